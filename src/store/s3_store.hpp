#pragma once
// The S3 object store: PutObject signed with SigV4, with server-side encryption, integrity headers S3
// verifies (x-amz-content-sha256 and x-amz-checksum-sha256, both from the caller's one SHA-256 of the
// body) and If-None-Match: *, so an object is never replaced. One put is one PUT, plus at most one
// immediate re-send when the answer says the signing clock is skewed or the credentials expired
// (store/s3_signer.hpp); every other failure goes back to the uploader, whose retry policy owns the
// waiting. When S3 answers 412 (the key is taken), a HEAD
// with x-amz-checksum-mode: ENABLED (or a GET when the object has no SHA-256 checksum) tells whether the
// object there is this one (a retried PUT whose answer was lost: stored) or another (kAlreadyExists).
// Both need s3:GetObject on the collector's prefix.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "net/http_client.hpp"
#include "store/object_store.hpp"
#include "store/s3_address.hpp"
#include "store/s3_errors.hpp"
#include "store/s3_signer.hpp"

namespace spdlog {
class logger;
}

namespace mc {

struct S3StoreOptions {
  S3Location location;
  std::string key_prefix;          // S3_PREFIX, only to name the resource in messages
  std::string sse = "AES256";      // "AES256" or "aws:kms"
  std::string sse_kms_key_id;      // with "aws:kms": the key; empty: the bucket's default KMS key
  std::chrono::milliseconds request_timeout{120'000};
};

class S3Store final : public ObjectStore {
 public:
  // make_client is called once per concurrent caller of put(): each uploader thread keeps a client
  // (and its open connection) in a small pool.
  S3Store(S3StoreOptions options, CredentialsSource& credentials, HttpClientFactory make_client, const Clock& clock);
  ~S3Store() override;

  // kAlreadyExists when a different object holds the key; kRetryable for throttling, server and
  // transport errors; kFatal when an operator must act (permissions, keys, bucket, region), with the
  // cause and the fix in the message; kCorrupt when request.sha256_hex is not a hex SHA-256.
  Status put(const PutRequest& request) override;
  std::string describe() const override;  // "s3://bucket (region r[, endpoint e])"

  // How far the server's clock is ahead of ours, learned from a RequestTimeTooSkewed answer.
  std::chrono::seconds clock_offset() const { return signer_.clock_offset(); }

 private:
  Status put_with(HttpClient& client, const PutRequest& request);
  // After a 412: ok when the object under the key has our checksum (base64), else kAlreadyExists.
  Status compare_existing(HttpClient& client, const PutRequest& request, const std::string& checksum);
  Result<HttpResponse> read_existing(HttpClient& client, const S3Call& call, const std::string& key,
                                     const std::string& context);
  std::unique_ptr<HttpClient> acquire_client();
  void release_client(std::unique_ptr<HttpClient> client);
  void log_refusal(const std::string& key, const S3Verdict& verdict);

  S3StoreOptions options_;
  HttpClientFactory make_client_;
  const Clock& clock_;
  S3Signer signer_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex mutex_;
  std::vector<std::unique_ptr<HttpClient>> idle_clients_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_refusal_log_;
};

}  // namespace mc
