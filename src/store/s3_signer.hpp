#pragma once
// One S3 request signed with SigV4 and sent, shared by the writer (S3Store) and the reader (S3Reader):
// the answer is classified once, and a skewed signing clock or expired credentials are fixed and the
// request sent again at once, each at most once per call, so a server that keeps saying so cannot keep
// a caller in the loop. Every other outcome goes back to the caller, whose retry policy owns the waiting.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "net/http_client.hpp"
#include "store/s3_address.hpp"
#include "store/s3_errors.hpp"

namespace spdlog {
class logger;
}

namespace mc {

// The SHA-256 of an empty payload, for requests without a body (GET, HEAD).
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct S3Call {
  std::string method;  // "PUT", "GET"
  S3ObjectAddress address;
  // Raw parameters: the signer encodes them once, the same way for the URL and the signature.
  std::vector<std::pair<std::string, std::string>> query;
  HeaderMap headers;  // to sign and send, lower-case names; host and the x-amz-* signing headers are added
  std::string_view body;
  std::string payload_sha256_hex;
  std::chrono::milliseconds timeout{120'000};
};

struct S3Answer {
  HttpResponse response;
  // kStored, kRetry or kOperatorFix; kResign or kRefreshCredentials only when the one re-send did not help.
  S3Verdict verdict;
};

// Thread-safe: the writer's uploader threads share one, each sending with its own client.
class S3Signer {
 public:
  // bucket and key_prefix only make the fix sentences of classified refusals concrete.
  S3Signer(std::string region, std::string bucket, std::string key_prefix, CredentialsSource& credentials,
           const Clock& clock);
  ~S3Signer();

  // A Status only when no answer came (credentials, signing, transport); `context` prefixes its message.
  Result<S3Answer> send(HttpClient& client, const S3Call& call, std::string_view context);

  // How far the server's clock is ahead of ours, learned from a RequestTimeTooSkewed answer.
  std::chrono::seconds clock_offset() const { return std::chrono::seconds(clock_offset_s_.load()); }

 private:
  Result<HttpResponse> send_signed(HttpClient& client, const S3Call& call, const AwsCredentials& credentials);
  void learn_clock_offset(const HttpResponse& response);

  std::string region_;
  std::string bucket_;
  std::string key_prefix_;
  CredentialsSource& credentials_;
  const Clock& clock_;
  std::atomic<long long> clock_offset_s_{0};
  std::shared_ptr<spdlog::logger> log_;
};

// The URL of `call`: the address's URL, plus "?" and the canonical query string when there is one.
std::string s3_call_url(const S3Call& call);

// "HTTP 404 NoSuchKey: msg", for the messages of Status values built from an answer.
std::string describe_s3_answer(const S3Answer& answer);

}  // namespace mc
