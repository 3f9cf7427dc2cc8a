#pragma once
// Reading the S3 store back, for the audit: ListObjectsV2 (every page) and GetObject, signed and
// classified by the same code as the writer (store/s3_signer.hpp). A skewed clock or expired credentials
// are fixed with one immediate re-send; every other failure goes back to the caller.
//
// A missing object (404 NoSuchKey) is kFatal like any refusal an operator has to look at: the audit reads
// keys it has just listed, so one that is gone means someone deleted data. On AWS a caller without
// s3:ListBucket gets 403 AccessDenied, not 404, for a missing key.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "net/http_client.hpp"
#include "store/s3_address.hpp"
#include "store/s3_signer.hpp"

namespace mc {

// GetObject answers hold whole parts: the factory given to S3Reader must make clients that accept bodies
// this long (HttpClientOptions::max_response_bytes), or a large part fails as a transport error.
inline constexpr std::size_t kS3ReaderMaxResponseBytes = std::size_t{256} * 1024 * 1024;

struct ObjectEntry {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // without the quotes S3 puts around it
  std::chrono::system_clock::time_point last_modified;
};

struct S3ReaderOptions {
  S3Location location;
  std::string key_prefix;  // S3_PREFIX, only to name the resource in messages
  std::chrono::milliseconds request_timeout{120'000};
};

// Not thread-safe: it keeps one HTTP client (and its connection); give each thread its own reader.
class S3Reader {
 public:
  S3Reader(S3ReaderOptions options, CredentialsSource& credentials, const HttpClientFactory& make_client,
           const Clock& clock);
  ~S3Reader();

  // Every object whose key starts with prefix, in S3's (UTF-8 binary) key order. kRetryable for
  // throttling, server and transport errors and for a listing that cannot be read; kFatal when an
  // operator must act (permissions, bucket, region), with the fix in the message.
  Result<std::vector<ObjectEntry>> list(std::string_view prefix);

  // The "folders" right below prefix (ListObjectsV2 with delimiter "/": its CommonPrefixes), each
  // the whole key prefix ending in '/', in S3's key order. Errors as for list().
  Result<std::vector<std::string>> list_folders(std::string_view prefix);

  // The object's body. Errors as for list(); a missing key is kFatal (see the file comment).
  Result<std::string> get(std::string_view key);

  std::string describe() const;  // "s3://bucket (region r[, endpoint e])"

 private:
  Result<HttpResponse> exchange(S3Call call, const std::string& context);
  // Every page of a listing (with delimiter "/" when folders), each body handed to on_page.
  Status for_each_page(std::string_view prefix, bool folders, const std::string& context,
                       const std::function<Status(std::string_view body)>& on_page);

  S3ReaderOptions options_;
  std::unique_ptr<HttpClient> client_;
  S3Signer signer_;
};

}  // namespace mc
