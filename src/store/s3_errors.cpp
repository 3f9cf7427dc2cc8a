#include "store/s3_errors.hpp"

#include <array>
#include <utility>

#include "net/xml_text.hpp"

namespace mc {

namespace {

struct CodeRule {
  std::string_view code;
  S3Action action;
};

// S3 error codes whose meaning does not depend on the HTTP status they came with.
constexpr std::array kCodeRules = {
    CodeRule{"ExpiredToken", S3Action::kRefreshCredentials},
    CodeRule{"TokenRefreshRequired", S3Action::kRefreshCredentials},
    CodeRule{"InvalidToken", S3Action::kRefreshCredentials},
    CodeRule{"RequestTimeTooSkewed", S3Action::kResign},
    CodeRule{"RequestExpired", S3Action::kResign},
    CodeRule{"SlowDown", S3Action::kRetry},
    CodeRule{"RequestTimeout", S3Action::kRetry},
    CodeRule{"InternalError", S3Action::kRetry},
    CodeRule{"ServiceUnavailable", S3Action::kRetry},
    CodeRule{"OperationAborted", S3Action::kRetry},
    CodeRule{"BadDigest", S3Action::kRetry},  // the body changed in transit; the spool copy is intact
    CodeRule{"InvalidDigest", S3Action::kRetry},
    CodeRule{"XAmzContentSHA256Mismatch", S3Action::kRetry},
    CodeRule{"IncompleteBody", S3Action::kRetry},
    // Another conditional write of the same key was in progress; the next try learns which one won.
    CodeRule{"ConditionalRequestConflict", S3Action::kRetry},
    CodeRule{"PreconditionFailed", S3Action::kKeyTaken},
};

std::string fix_for(std::string_view code, long http_status, std::string_view bucket, std::string_view prefix,
                    S3Operation operation) {
  const std::string resource = "arn:aws:s3:::" + std::string(bucket) + "/" + std::string(prefix) + "*";
  if (code == "AccessDenied" || (code.empty() && http_status == 403)) {
    if (operation == S3Operation::kRead) {
      return "the credentials lack s3:ListBucket on arn:aws:s3:::" + std::string(bucket) + " or s3:GetObject on " +
             resource + ": fix the IAM policy";
    }
    return "the credentials lack s3:PutObject on " + resource +
           " (or a bucket policy, KMS key policy or SSE condition refuses the request): fix the IAM policy";
  }
  if (operation == S3Operation::kRead && (code == "NoSuchKey" || (code.empty() && http_status == 404))) {
    return "the object is not in the bucket: it was deleted (check lifecycle rules and who may delete) or never stored";
  }
  if (code == "InvalidAccessKeyId") return "the access key id is unknown to S3: check the credential source the log names";
  if (code == "SignatureDoesNotMatch") {
    return "the secret access key does not match the key id (or a proxy rewrote the request): fix the secret";
  }
  if (code == "NoSuchBucket") return "bucket " + std::string(bucket) + " does not exist: check RAW_BUCKET";
  if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException" ||
      http_status == 301) {
    return "the bucket is in another region: set AWS_REGION to the bucket's region";
  }
  if (code.starts_with("KMS.") || code == "KMSAccessDenied") {
    return "the KMS key refuses the collector: check S3_SSE_KMS_KEY_ID and the key policy";
  }
  if (code == "InvalidBucketName") return "RAW_BUCKET is not a valid bucket name";
  if (code == "AllAccessDisabled" || code == "AccountProblem") return "the AWS account cannot use S3: contact the account owner";
  return "S3 refused the request: check the message and the bucket's configuration";
}

}  // namespace

const char* to_string(S3Action action) {
  switch (action) {
    case S3Action::kStored: return "stored";
    case S3Action::kRetry: return "retry";
    case S3Action::kRefreshCredentials: return "refresh-credentials";
    case S3Action::kResign: return "resign";
    case S3Action::kOperatorFix: return "operator-fix";
    case S3Action::kKeyTaken: return "key-taken";
  }
  return "unknown";
}

S3Verdict classify_s3_response(long http_status, std::string_view body, std::string_view bucket,
                               std::string_view key_prefix, S3Operation operation) {
  if (http_status >= 200 && http_status < 300) return {S3Action::kStored, {}, {}, {}};
  S3Verdict verdict;
  const std::string code = xml_element_text(body, "Code").value_or("");
  verdict.code = code.empty() ? "HTTP " + std::to_string(http_status) : code;
  verdict.message = xml_element_text(body, "Message").value_or("");
  for (const CodeRule& rule : kCodeRules) {
    if (rule.code == code) {
      verdict.action = rule.action;
      return verdict;
    }
  }
  // Unknown or absent codes: the status decides. Server-side and throttling statuses pass with time;
  // any other refusal waits for an operator (with the data kept in the spool).
  if (http_status >= 500 || http_status == 429 || http_status == 408) {
    verdict.action = S3Action::kRetry;
    return verdict;
  }
  verdict.action = S3Action::kOperatorFix;
  verdict.fix = fix_for(code, http_status, bucket, key_prefix, operation);
  return verdict;
}

}  // namespace mc
