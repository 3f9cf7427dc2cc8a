#include "store/s3_store.hpp"

#include <spdlog/spdlog.h>

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
  // The spool's copy is checked against its manifest before it leaves: a part damaged on the local
  // disk must not become a stored object with a matching checksum.
  Result<std::string> actual_sha = sha256_hex(request.body);
  if (!actual_sha) return actual_sha.status().with_context(context);
  if (!request.sha256_hex.empty() && *actual_sha != request.sha256_hex) {
    return Status::corrupt(context + ": sha256 mismatch: expected " + request.sha256_hex + ", body has " + *actual_sha);
  }
  Result<std::string> md5 = content_md5_base64(request.body);
  if (!md5) return md5.status().with_context(context);
  Result<std::string> checksum = sha256_base64_from_hex(*actual_sha);
  if (!checksum) return checksum.status().with_context(context);
  Result<S3ObjectAddress> address = address_object(options_.location, request.key);
  if (!address) return address.status().with_context(context);

  S3Call call{.method = "PUT",
              .address = std::move(*address),
              .body = request.body,
              .payload_sha256_hex = *actual_sha,
              .timeout = options_.request_timeout};
  call.headers = {
      {"content-md5", std::move(*md5)},
      {"content-type", request.content_type.empty() ? "application/octet-stream" : request.content_type},
      {"x-amz-checksum-sha256", std::move(*checksum)},
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
