#pragma once
// The one place that decides what an S3 answer means for the caller: the HTTP status and the S3 error
// <Code> of the body (or the status alone when there is no body: HEAD, some proxies) map to an action.
// Transport failures were already classified by the HTTP client (net/http_client.hpp).

#include <string>
#include <string_view>

namespace mc {

enum class S3Action {
  kStored,              // 2xx
  kRetry,               // 5xx, SlowDown, RequestTimeout, 429, a body damaged in transit: back off, try again
  kRefreshCredentials,  // ExpiredToken and kin: fetch new credentials, then try again
  kResign,              // RequestTimeTooSkewed: correct the signing clock from the server's Date, try again
  kOperatorFix,         // permissions, keys, bucket, region: nothing changes until an operator acts
  kKeyTaken,            // 412 PreconditionFailed to If-None-Match: *: an object already holds the key
};

struct S3Verdict {
  S3Action action = S3Action::kRetry;
  std::string code;     // S3's <Code>, or "HTTP <status>" when the body has none
  std::string message;  // S3's <Message>, possibly empty
  std::string fix;      // for kOperatorFix: what the operator should check, in one sentence
};

// What was asked of S3: the fix for a refusal names the permissions that operation needs.
enum class S3Operation { kWrite, kRead };

const char* to_string(S3Action action);

// `bucket` and `key_prefix` only make the fix sentence concrete.
S3Verdict classify_s3_response(long http_status, std::string_view body, std::string_view bucket,
                               std::string_view key_prefix, S3Operation operation);

}  // namespace mc
