#include "store/s3_signer.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "net/xml_text.hpp"
#include "common/log.hpp"
#include "net/http_date.hpp"

namespace mc {

S3Signer::S3Signer(std::string region, std::string bucket, std::string key_prefix, CredentialsSource& credentials,
                   const Clock& clock)
    : region_(std::move(region)),
      bucket_(std::move(bucket)),
      key_prefix_(std::move(key_prefix)),
      credentials_(credentials),
      clock_(clock),
      log_(make_logger("s3")) {}

S3Signer::~S3Signer() = default;

std::string s3_call_url(const S3Call& call) {
  if (call.query.empty()) return call.address.url;
  return call.address.url + "?" + canonical_query_string(call.query);
}

std::string describe_s3_answer(const S3Answer& answer) {
  return "HTTP " + std::to_string(answer.response.status) + " " + answer.verdict.code +
         (answer.verdict.message.empty() ? "" : ": " + answer.verdict.message);
}

Result<S3Answer> S3Signer::send(HttpClient& client, const S3Call& call, std::string_view context) {
  bool resigned = false;
  bool refreshed = false;
  while (true) {
    Result<AwsCredentials> credentials = credentials_.current();
    if (!credentials) return credentials.status().with_context(std::string(context) + ": credentials");
    Result<HttpResponse> response = send_signed(client, call, *credentials);
    if (!response) return response.status().with_context(context);
    const S3Operation operation = call.method == "PUT" ? S3Operation::kWrite : S3Operation::kRead;
    S3Verdict verdict = classify_s3_response(response->status, response->body, bucket_, key_prefix_, operation);
    if (verdict.action == S3Action::kResign) {
      learn_clock_offset(*response);
      if (!resigned) {
        resigned = true;
        continue;
      }
    } else if (verdict.action == S3Action::kRefreshCredentials) {
      credentials_.invalidate();
      if (!refreshed) {
        refreshed = true;
        log_->info("credentials rejected as expired, refreshing: request=\"{}\" code={}", context, verdict.code);
        continue;
      }
    }
    return S3Answer{.response = std::move(*response), .verdict = std::move(verdict)};
  }
}

Result<HttpResponse> S3Signer::send_signed(HttpClient& client, const S3Call& call, const AwsCredentials& credentials) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::microseconds(clock_.system_now_us())) +
                   clock_offset();
  SignableRequest signable{.method = call.method,
                           .canonical_uri = call.address.canonical_uri,
                           .query = call.query,
                           .headers = call.headers,
                           .payload_sha256_hex = call.payload_sha256_hex};
  signable.headers["host"] = call.address.host;
  const SigningScope scope{.date = amz_date(now).substr(0, 8), .region = region_, .service = "s3"};
  Result<HeaderMap> signed_headers = sign(signable, credentials, scope, now);
  if (!signed_headers) return signed_headers.status();

  HttpRequest http{.method = call.method, .url = s3_call_url(call), .body = call.body, .timeout = call.timeout};
  for (const auto& [name, value] : *signed_headers) {
    if (name != "host") http.headers.push_back({name, value});  // libcurl writes Host from the URL
  }
  return client.send(http);
}

void S3Signer::learn_clock_offset(const HttpResponse& response) {
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

}  // namespace mc
