#include "store/s3_store.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "aws/credentials_parsing.hpp"
#include "aws/sigv4.hpp"
#include "common/log.hpp"
#include "common/sha256.hpp"
#include "net/http_date.hpp"
#include "store/local_store.hpp"
#include "store/s3_checksums.hpp"

namespace mc {

namespace {

constexpr std::size_t kMaxIdleClients = 8;
// A refusal that needs an operator is logged loudly at most this often per error code; the uploader
// logs every failed attempt on its own, more quietly.
constexpr std::chrono::seconds kRefusalLogInterval{60};

}  // namespace

// What stays the same across the sends of one put.
struct S3Store::Prepared {
  S3ObjectAddress address;
  std::string_view body;
  std::map<std::string, std::string> headers;  // to sign and send, lower-case names
  std::string payload_sha256_hex;
};

S3Store::S3Store(S3StoreOptions options, CredentialsSource& credentials, HttpClientFactory make_client,
                 const Clock& clock)
    : options_(std::move(options)),
      credentials_(credentials),
      make_client_(std::move(make_client)),
      clock_(clock),
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

  Prepared prepared{.address = std::move(*address), .body = request.body, .payload_sha256_hex = *actual_sha};
  prepared.headers = {
      {"content-md5", std::move(*md5)},
      {"content-type", request.content_type.empty() ? "application/octet-stream" : request.content_type},
      {"x-amz-checksum-sha256", std::move(*checksum)},
      {"x-amz-sdk-checksum-algorithm", "SHA256"},
      {"x-amz-server-side-encryption", options_.sse},
  };
  if (options_.sse == "aws:kms" && !options_.sse_kms_key_id.empty()) {
    prepared.headers["x-amz-server-side-encryption-aws-kms-key-id"] = options_.sse_kms_key_id;
  }

  // A skewed clock or expired credentials are fixed here and the PUT sent again at once; each at most
  // once per put, so a server that keeps saying so cannot keep us in this loop.
  bool resigned = false;
  bool refreshed = false;
  while (true) {
    Result<AwsCredentials> credentials = credentials_.current();
    if (!credentials) return credentials.status().with_context(context + ": credentials");
    Result<HttpResponse> response = send_signed(client, prepared, *credentials);
    if (!response) return response.status().with_context(context);
    const S3Verdict verdict = classify_s3_response(response->status, response->body, options_.location.bucket,
                                                   options_.key_prefix);
    const std::string what = context + ": HTTP " + std::to_string(response->status) + " " + verdict.code +
                             (verdict.message.empty() ? "" : ": " + verdict.message);
    switch (verdict.action) {
      case S3Action::kStored:
        return Status::ok();
      case S3Action::kResign:
        learn_clock_offset(*response);
        if (resigned) return Status::retryable(what);
        resigned = true;
        continue;
      case S3Action::kRefreshCredentials:
        credentials_.invalidate();
        if (refreshed) return Status::retryable(what);
        refreshed = true;
        log_->info("credentials rejected as expired, refreshing: key={} code={}", request.key, verdict.code);
        continue;
      case S3Action::kRetry:
        return Status::retryable(what);
      case S3Action::kOperatorFix:
        log_refusal(request.key, verdict);
        return Status::fatal(what + "; fix: " + verdict.fix);
    }
  }
}

Result<HttpResponse> S3Store::send_signed(HttpClient& client, const Prepared& prepared,
                                          const AwsCredentials& credentials) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::microseconds(clock_.system_now_us())) +
                   clock_offset();
  SignableRequest signable{.method = "PUT",
                           .canonical_uri = prepared.address.canonical_uri,
                           .query = {},
                           .headers = prepared.headers,
                           .payload_sha256_hex = prepared.payload_sha256_hex};
  signable.headers["host"] = prepared.address.host;
  const SigningScope scope{.date = amz_date(now).substr(0, 8), .region = options_.location.region, .service = "s3"};
  Result<std::map<std::string, std::string>> signed_headers = sign(signable, credentials, scope, now);
  if (!signed_headers) return signed_headers.status();

  HttpRequest http{.method = "PUT", .url = prepared.address.url, .body = prepared.body,
                   .timeout = options_.request_timeout};
  for (const auto& [name, value] : *signed_headers) {
    if (name != "host") http.headers.push_back({name, value});  // libcurl writes Host from the URL
  }
  return client.send(http);
}

void S3Store::learn_clock_offset(const HttpResponse& response) {
  std::optional<std::chrono::system_clock::time_point> server_time;
  if (const auto date = response.header("date")) server_time = parse_http_date(*date);
  if (!server_time) server_time = parse_iso8601_utc(xml_element_text(response.body, "ServerTime").value_or(""));
  if (!server_time) {
    log_->warn("clock skew reported but the answer carries no server time; signing with the local clock");
    return;
  }
  const auto local = std::chrono::system_clock::time_point(std::chrono::microseconds(clock_.system_now_us()));
  const auto offset = std::chrono::duration_cast<std::chrono::seconds>(*server_time - local);
  clock_offset_s_.store(offset.count());
  log_->warn("local clock is off from S3's by {} s: signing with S3's time (fix NTP on this host)", offset.count());
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
