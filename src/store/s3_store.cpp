#include "store/s3_store.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "common/log.hpp"
#include "common/sha256.hpp"
#include "store/local_store.hpp"
#include "store/s3_checksums.hpp"

namespace mc {

namespace {

constexpr std::size_t kMaxIdleClients = 8;
// A refusal that needs an operator is logged loudly at most this often per error code; the uploader
// logs every failed attempt on its own, more quietly.
constexpr std::chrono::seconds kRefusalLogInterval{60};

}  // namespace

S3Store::S3Store(S3StoreOptions options, CredentialsSource& credentials, HttpClientFactory make_client,
                 const Clock& clock)
    : options_(std::move(options)),
      make_client_(std::move(make_client)),
      clock_(clock),
      signer_(options_.location.region, options_.location.bucket, options_.key_prefix, credentials, clock),
      log_(make_logger("s3")) {}

S3Store::~S3Store() = default;

std::string S3Store::describe() const {
  std::string out = "s3://" + options_.location.bucket + " (region " + options_.location.region;
  if (!options_.location.endpoint.empty()) out += ", endpoint " + options_.location.endpoint;
  return out + ")";
}

std::unique_ptr<HttpClient> S3Store::acquire_client() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_clients_.empty()) {
      std::unique_ptr<HttpClient> client = std::move(idle_clients_.back());
      idle_clients_.pop_back();
      return client;
    }
  }
  return make_client_();
}

void S3Store::release_client(std::unique_ptr<HttpClient> client) {
  std::lock_guard lock(mutex_);
  if (idle_clients_.size() < kMaxIdleClients) idle_clients_.push_back(std::move(client));
}

Status S3Store::put(const PutRequest& request) {
  std::unique_ptr<HttpClient> client = acquire_client();
  Status status = put_with(*client, request);
  release_client(std::move(client));
  return status;
}

Status S3Store::put_with(HttpClient& client, const PutRequest& request) {
  const std::string context = "s3 put " + request.key;
  if (Status valid = validate_object_key(request.key); !valid) return valid.with_context(context);
  // The caller's SHA-256 is sent, not recomputed: S3 checks the body against both headers, so a body
  // that does not match it is refused, never stored under another checksum. It is the only hash of
  // the body a PUT costs (no Content-MD5: the two SHA-256 headers already cover the bytes).
  Result<std::string> checksum = sha256_base64_from_hex(request.sha256_hex);
  if (!checksum) return checksum.status().with_context(context);
  Result<S3ObjectAddress> address = address_object(options_.location, request.key);
  if (!address) return address.status().with_context(context);

  S3Call call{.method = "PUT",
              .address = std::move(*address),
              .body = request.body,
              .payload_sha256_hex = request.sha256_hex,
              .timeout = options_.request_timeout};
  call.headers = {
      {"content-type", request.content_type.empty() ? "application/octet-stream" : request.content_type},
      // Every key is written once: S3 refuses the PUT (412) when an object already holds the key.
      {"if-none-match", "*"},
      {"x-amz-checksum-sha256", *checksum},
      {"x-amz-sdk-checksum-algorithm", "SHA256"},
      {"x-amz-server-side-encryption", options_.sse},
  };
  if (options_.sse == "aws:kms" && !options_.sse_kms_key_id.empty()) {
    call.headers["x-amz-server-side-encryption-aws-kms-key-id"] = options_.sse_kms_key_id;
  }

  Result<S3Answer> answer = signer_.send(client, call, context);
  if (!answer) return answer.status();
  const std::string what = context + ": " + describe_s3_answer(*answer);
  switch (answer->verdict.action) {
    case S3Action::kStored:
      return Status::ok();
    case S3Action::kKeyTaken:
      return compare_existing(client, request, *checksum);
    case S3Action::kOperatorFix:
      log_refusal(request.key, answer->verdict);
      return Status::fatal(what + "; fix: " + answer->verdict.fix);
    case S3Action::kResign:
    case S3Action::kRefreshCredentials:
    case S3Action::kRetry:
      return Status::retryable(what);
  }
  return Status::retryable(what);
}

Status S3Store::compare_existing(HttpClient& client, const PutRequest& request, const std::string& checksum) {
  const std::string context = "s3 put " + request.key + ": the key is taken; reading the object there";
  Result<S3ObjectAddress> address = address_object(options_.location, request.key);
  if (!address) return address.status().with_context(context);
  // HEAD first: S3 returns the stored checksum without the body when the PUT carried one (ours do).
  S3Call head{.method = "HEAD",
              .address = *address,
              .headers = {{"x-amz-checksum-mode", "ENABLED"}},
              .payload_sha256_hex = std::string(kEmptyPayloadSha256),
              .timeout = options_.request_timeout};
  Result<HttpResponse> headed = read_existing(client, head, request.key, context);
  if (!headed) return headed.status();
  std::optional<std::string> existing = headed->header("x-amz-checksum-sha256");
  // Absent (stored without one) or composite ("...-3", multipart): hash the object's bytes instead.
  if (!existing || existing->find('-') != std::string::npos) {
    S3Call get{.method = "GET",
               .address = std::move(*address),
               .payload_sha256_hex = std::string(kEmptyPayloadSha256),
               .timeout = options_.request_timeout};
    Result<HttpResponse> got = read_existing(client, get, request.key, context);
    if (!got) return got.status();
    Result<std::string> sha = sha256_hex(got->body);
    if (!sha) return sha.status().with_context(context);
    Result<std::string> base64 = sha256_base64_from_hex(*sha);
    if (!base64) return base64.status().with_context(context);
    existing = *base64;
  }
  if (*existing == checksum) {
    log_->info("already stored: an identical object holds the key key={} sha256={}", request.key, request.sha256_hex);
    return Status::ok();
  }
  return Status::already_exists("s3 put " + request.key + ": a different object holds the key (its x-amz-checksum-sha256 " +
                                *existing + ", ours " + checksum + ")");
}

Result<HttpResponse> S3Store::read_existing(HttpClient& client, const S3Call& call, const std::string& key,
                                            const std::string& context) {
  Result<S3Answer> answer = signer_.send(client, call, context);
  if (!answer) return answer.status();
  const std::string what = context + ": " + call.method + " " + describe_s3_answer(*answer);
  if (answer->verdict.action == S3Action::kStored) return std::move(answer->response);
  // Gone again (a lifecycle rule, an operator): the next try PUTs again.
  if (answer->response.status == 404) return Status::retryable(what);
  // Without s3:GetObject the collector cannot tell a retried PUT of its own from another object.
  if (answer->verdict.action == S3Action::kOperatorFix) {
    log_refusal(key, answer->verdict);
    return Status::fatal(what + "; fix: " + answer->verdict.fix);
  }
  return Status::retryable(what);
}

void S3Store::log_refusal(const std::string& key, const S3Verdict& verdict) {
  const auto now = clock_.steady_now();
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = last_refusal_log_.try_emplace(verdict.code, now);
    if (!inserted) {
      if (now - it->second < kRefusalLogInterval) return;
      it->second = now;
    }
  }
  log_->error("S3 REFUSES WRITES: bucket={} code={} message=\"{}\" key={} fix: {}; parts stay in the spool and are "
              "retried",
              options_.location.bucket, verdict.code, verdict.message, key, verdict.fix);
}

}  // namespace mc
