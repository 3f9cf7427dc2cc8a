#include "store/s3_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <optional>

#include "../net/loopback_http_server.hpp"
#include "common/sha256.hpp"
#include "s3_test_support.hpp"
#include "support/fake_clock.hpp"

namespace mc {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::LoopbackHttpServer;
using testing::ReceivedRequest;
using testing::CountingCredentials;
using testing::ScriptedResponse;
using testing::s3_error_body;

// 2025-02-09T22:43:50Z: the FakeClock's default time.
constexpr const char* kFakeNowAmzDate = "20250209T224350Z";

class S3StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { runtime_ = new HttpRuntime(); }
  static void TearDownTestSuite() { delete runtime_; }

  std::unique_ptr<S3Store> store_for(const LoopbackHttpServer& server, S3StoreOptions options = {}) {
    options.location.bucket = "bkt";
    options.location.region = "us-east-1";
    options.location.endpoint = "http://127.0.0.1:" + std::to_string(server.port());
    options.key_prefix = "raw/";
    return std::make_unique<S3Store>(options, credentials_, [] { return make_http_client({}); }, clock_);
  }

  PutRequest request(std::string_view body) {
    body_ = std::string(body);
    return PutRequest{.key = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/43/part-i-1.jsonl.gz",
                      .body = body_,
                      .content_type = "application/gzip",
                      .sha256_hex = *sha256_hex(body_)};
  }

  CountingCredentials credentials_;
  testing::FakeClock clock_;
  std::string body_;

 private:
  static inline HttpRuntime* runtime_ = nullptr;
};

TEST_F(S3StoreTest, PutSendsASignedEncryptedChecksummedObject) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; });
  auto store = store_for(server);
  ASSERT_TRUE(store->put(request("abc")));
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 1U);
  const ReceivedRequest& put = received[0];
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.target, "/bkt/raw/exchange%3Dbinance/stream%3Dtrade/symbol%3DBTCUSDT/dt%3D2025-02-09/22/43/part-i-1.jsonl.gz");
  EXPECT_EQ(put.body, "abc");
  EXPECT_EQ(put.headers.at("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(put.headers.count("content-md5"), 0U) << "the SHA-256 headers cover the body: no second hash";
  EXPECT_EQ(put.headers.at("x-amz-checksum-sha256"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  EXPECT_EQ(put.headers.at("x-amz-sdk-checksum-algorithm"), "SHA256");
  EXPECT_EQ(put.headers.at("x-amz-content-sha256"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(put.headers.at("content-type"), "application/gzip");
  EXPECT_EQ(put.headers.at("if-none-match"), "*");
  EXPECT_EQ(put.headers.at("x-amz-date"), kFakeNowAmzDate);
  EXPECT_EQ(put.headers.at("x-amz-security-token"), "token1");
  EXPECT_EQ(put.headers.count("expect"), 0U);
  const std::string& authorization = put.headers.at("authorization");
  EXPECT_THAT(authorization, StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE1/20250209/us-east-1/s3/aws4_request, "));
  EXPECT_THAT(authorization, HasSubstr("SignedHeaders=content-type;host;if-none-match;x-amz-checksum-sha256;"
                                       "x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm;"
                                       "x-amz-security-token;x-amz-server-side-encryption, Signature="));
}

TEST_F(S3StoreTest, KmsEncryptionNamesTheKey) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; });
  auto store = store_for(server, {.sse = "aws:kms", .sse_kms_key_id = "alias/collector"});
  ASSERT_TRUE(store->put(request("abc")));
  const ReceivedRequest put = server.requests().at(0);
  EXPECT_EQ(put.headers.at("x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(put.headers.at("x-amz-server-side-encryption-aws-kms-key-id"), "alias/collector");
  EXPECT_THAT(put.headers.at("authorization"), HasSubstr("x-amz-server-side-encryption-aws-kms-key-id"));
}

// The uploader hashed the body once to check it against the manifest; the store sends that hash and
// does not compute its own, so S3 (which checks the body against both headers) refuses a body that
// does not match it instead of storing it under a fresh checksum.
TEST_F(S3StoreTest, ChecksumHeadersCarryTheCallersSha256NotARecomputedOne) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; });
  auto store = store_for(server);
  PutRequest put = request("abc");
  const std::string vouched = *sha256_hex("abd");
  put.sha256_hex = vouched;
  ASSERT_TRUE(store->put(put));
  const ReceivedRequest sent = server.requests().at(0);
  EXPECT_EQ(sent.headers.at("x-amz-content-sha256"), vouched);
  EXPECT_EQ(sent.headers.at("x-amz-checksum-sha256"), "pS0VnyYrLG3bckphhAvvw26zDIiHekAwtly+himESck=");
}

TEST_F(S3StoreTest, ASha256ThatIsNotHexIsRefusedWithoutSending) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; });
  auto store = store_for(server);
  PutRequest put = request("abc");
  put.sha256_hex = "not a sha";
  const Status status = store->put(put);
  EXPECT_EQ(status.kind(), ErrorKind::kCorrupt);
  EXPECT_THAT(status.message(), HasSubstr("not a sha"));
  EXPECT_TRUE(server.requests().empty());
}

// What S3 answers to the PUT (412: the key is taken), then to the HEAD, then to a GET.
ScriptedResponse key_taken(const ReceivedRequest& request, const std::optional<std::string>& stored_checksum,
                           const std::string& stored_body) {
  if (request.method == "PUT") return {.status = 412, .body = s3_error_body("PreconditionFailed")};
  if (request.method == "HEAD") {
    ScriptedResponse head;
    if (stored_checksum) head.headers = {{"x-amz-checksum-sha256", *stored_checksum}};
    return head;
  }
  return {.body = stored_body};
}

TEST_F(S3StoreTest, KeyTakenByTheSameObjectIsStored) {
  LoopbackHttpServer server([](const ReceivedRequest& r) {
    return key_taken(r, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", "");  // the checksum of "abc"
  });
  auto store = store_for(server);
  EXPECT_TRUE(store->put(request("abc")));
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[1].method, "HEAD");
  EXPECT_EQ(received[1].target, received[0].target);
  EXPECT_EQ(received[1].headers.at("x-amz-checksum-mode"), "ENABLED");
  EXPECT_THAT(received[1].headers.at("authorization"), HasSubstr("x-amz-checksum-mode"));
}

TEST_F(S3StoreTest, KeyTakenByAnotherObjectIsAlreadyExistsAndNothingIsOverwritten) {
  LoopbackHttpServer server([](const ReceivedRequest& r) { return key_taken(r, "b3RoZXI=", ""); });
  auto store = store_for(server);
  const Status status = store->put(request("abc"));
  EXPECT_EQ(status.kind(), ErrorKind::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("b3RoZXI="));
  EXPECT_EQ(server.requests().size(), 2U) << "one PUT, one HEAD; no second PUT";
}

// An object stored without a SHA-256 checksum (another writer, a multipart upload) is read and hashed.
TEST_F(S3StoreTest, KeyTakenByAnObjectWithoutChecksumIsComparedByItsBytes) {
  LoopbackHttpServer same([](const ReceivedRequest& r) { return key_taken(r, std::nullopt, "abc"); });
  EXPECT_TRUE(store_for(same)->put(request("abc")));
  ASSERT_EQ(same.requests().size(), 3U);
  EXPECT_EQ(same.requests()[2].method, "GET");

  LoopbackHttpServer other([](const ReceivedRequest& r) { return key_taken(r, "abc-2", "xyz"); });
  EXPECT_EQ(store_for(other)->put(request("abc")).kind(), ErrorKind::kAlreadyExists);
}

TEST_F(S3StoreTest, KeyTakenButUnreadableNamesGetObjectAsTheFix) {
  LoopbackHttpServer server([](const ReceivedRequest& r) {
    return r.method == "PUT" ? ScriptedResponse{.status = 412, .body = s3_error_body("PreconditionFailed")}
                             : ScriptedResponse{.status = 403};
  });
  const Status status = store_for(server)->put(request("abc"));
  EXPECT_EQ(status.kind(), ErrorKind::kFatal);
  EXPECT_THAT(status.message(), HasSubstr("s3:GetObject"));
}

TEST_F(S3StoreTest, SkewedClockIsCorrectedFromTheServersDateAndResent) {
  std::atomic<int> calls{0};
  LoopbackHttpServer server([&calls](const ReceivedRequest&) {
    if (calls++ == 0) {
      return ScriptedResponse{.status = 403,
                              .headers = {{"Date", "Sun, 09 Feb 2025 23:43:50 GMT"}},  // one hour ahead
                              .body = s3_error_body("RequestTimeTooSkewed")};
    }
    return ScriptedResponse{};
  });
  auto store = store_for(server);
  ASSERT_TRUE(store->put(request("abc")));
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[0].headers.at("x-amz-date"), kFakeNowAmzDate);
  EXPECT_EQ(received[1].headers.at("x-amz-date"), "20250209T234350Z");
  EXPECT_EQ(store->clock_offset(), std::chrono::seconds(3600));
}

TEST_F(S3StoreTest, ExpiredTokenRefreshesCredentialsAndResends) {
  std::atomic<int> calls{0};
  LoopbackHttpServer server([&calls](const ReceivedRequest&) {
    return calls++ == 0 ? ScriptedResponse{.status = 400, .body = s3_error_body("ExpiredToken")} : ScriptedResponse{};
  });
  auto store = store_for(server);
  ASSERT_TRUE(store->put(request("abc")));
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[1].headers.at("x-amz-security-token"), "token2");
  EXPECT_EQ(credentials_.generation(), 2);
}

TEST_F(S3StoreTest, CredentialsThatKeepExpiringAreRetryableAfterOneRefresh) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.status = 400, .body = s3_error_body("ExpiredToken")};
  });
  auto store = store_for(server);
  const Status status = store->put(request("abc"));
  EXPECT_EQ(status.kind(), ErrorKind::kRetryable);
  EXPECT_EQ(server.requests().size(), 2U);
}

TEST_F(S3StoreTest, ThrottlingIsRetryableWithoutResending) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.status = 503, .body = s3_error_body("SlowDown")};
  });
  auto store = store_for(server);
  const Status status = store->put(request("abc"));
  EXPECT_EQ(status.kind(), ErrorKind::kRetryable);
  EXPECT_THAT(status.message(), HasSubstr("SlowDown"));
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST_F(S3StoreTest, AccessDeniedIsFatalAndNamesTheFix) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.status = 403, .body = s3_error_body("AccessDenied")};
  });
  auto store = store_for(server);
  const Status status = store->put(request("abc"));
  EXPECT_EQ(status.kind(), ErrorKind::kFatal);
  EXPECT_THAT(status.message(), HasSubstr("AccessDenied"));
  EXPECT_THAT(status.message(), HasSubstr("arn:aws:s3:::bkt/raw/*"));
}

TEST_F(S3StoreTest, ResetMidRequestIsRetryable) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.reset_without_answer = true}; });
  auto store = store_for(server);
  EXPECT_EQ(store->put(request(std::string(100000, 'x'))).kind(), ErrorKind::kRetryable);
}

TEST_F(S3StoreTest, SuccessivePutsReuseOneConnection) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; });
  auto store = store_for(server);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->put(request("abc")));
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(S3StoreTest, DescribeNamesBucketRegionAndEndpoint) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; });
  EXPECT_THAT(store_for(server)->describe(), StartsWith("s3://bkt (region us-east-1, endpoint http://127.0.0.1:"));
}

}  // namespace
}  // namespace mc
