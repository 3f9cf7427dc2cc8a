#include "store/s3_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "../net/loopback_http_server.hpp"
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

std::string contents(const std::string& key_xml, int size) {
  return "<Contents><Key>" + key_xml + "</Key><LastModified>2025-02-09T22:43:50.000Z</LastModified><ETag>&quot;etag-" +
         std::to_string(size) + "&quot;</ETag><Size>" + std::to_string(size) +
         "</Size><StorageClass>STANDARD</StorageClass></Contents>";
}

std::string listing(const std::string& entries, const std::string& next_token) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<Name>bkt</Name><Prefix>raw/</Prefix><MaxKeys>1000</MaxKeys>";
  out += next_token.empty() ? "<IsTruncated>false</IsTruncated>"
                            : "<IsTruncated>true</IsTruncated><NextContinuationToken>" + next_token +
                                  "</NextContinuationToken>";
  return out + entries + "</ListBucketResult>";
}

class S3ReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { runtime_ = new HttpRuntime(); }
  static void TearDownTestSuite() { delete runtime_; }

  std::unique_ptr<S3Reader> reader_for(const LoopbackHttpServer& server) {
    S3ReaderOptions options;
    options.location = {.bucket = "bkt", .region = "us-east-1",
                        .endpoint = "http://127.0.0.1:" + std::to_string(server.port())};
    options.key_prefix = "raw/";
    return std::make_unique<S3Reader>(
        options, credentials_, [] { return make_http_client({.max_response_bytes = kS3ReaderMaxResponseBytes}); },
        clock_);
  }

  CountingCredentials credentials_;
  testing::FakeClock clock_;

 private:
  static inline HttpRuntime* runtime_ = nullptr;
};

TEST_F(S3ReaderTest, ListFollowsContinuationTokensSentBackEncoded) {
  // The tokens hold characters that must be percent-encoded in a query value.
  LoopbackHttpServer server([](const ReceivedRequest& request) {
    if (request.target.find("continuation-token=") == std::string::npos) {
      return ScriptedResponse{.body = listing(contents("raw/a=1/one space.gz", 1), "tok/1+a=b")};
    }
    if (request.target.find("continuation-token=tok%2F1%2Ba%3Db&") != std::string::npos) {
      return ScriptedResponse{.body = listing(contents("raw/b=2/R&amp;D.gz", 2), "tok 2")};
    }
    if (request.target.find("continuation-token=tok%202&") != std::string::npos) {
      return ScriptedResponse{.body = listing(contents("raw/c=3/x.gz", 3) + contents("raw/c=3/y.gz", 4), "")};
    }
    return ScriptedResponse{.status = 400, .body = s3_error_body("InvalidArgument")};
  });
  auto reader = reader_for(server);
  Result<std::vector<ObjectEntry>> entries = reader->list("raw/");
  ASSERT_TRUE(entries) << entries.status().message();
  ASSERT_EQ(entries->size(), 4U);
  EXPECT_EQ((*entries)[0].key, "raw/a=1/one space.gz");
  EXPECT_EQ((*entries)[0].size, 1U);
  EXPECT_EQ((*entries)[0].etag, "etag-1");
  EXPECT_EQ((*entries)[0].last_modified, std::chrono::system_clock::time_point(std::chrono::seconds(1739141030)));
  EXPECT_EQ((*entries)[1].key, "raw/b=2/R&D.gz");
  EXPECT_EQ((*entries)[3].key, "raw/c=3/y.gz");
  EXPECT_EQ((*entries)[3].size, 4U);

  const auto received = server.requests();
  ASSERT_EQ(received.size(), 3U);
  // Sorted by name, as SigV4 canonicalises them; the URL sent must be that same string.
  EXPECT_EQ(received[0].target, "/bkt?list-type=2&prefix=raw%2F");
  EXPECT_EQ(received[1].target, "/bkt?continuation-token=tok%2F1%2Ba%3Db&list-type=2&prefix=raw%2F");
  EXPECT_EQ(received[2].target, "/bkt?continuation-token=tok%202&list-type=2&prefix=raw%2F");
  EXPECT_EQ(received[0].method, "GET");
  EXPECT_EQ(received[0].headers.at("x-amz-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_THAT(received[0].headers.at("authorization"),
              StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE1/20250209/us-east-1/s3/aws4_request, "));
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(S3ReaderTest, ListFoldersAsksWithADelimiterAndReadsEveryPagesCommonPrefixes) {
  const std::string folder = "raw/exchange=binance/stream=trade/";
  const auto common = [&folder](const std::string& name) {
    return "<CommonPrefixes><Prefix>" + folder + name + "/</Prefix></CommonPrefixes>";
  };
  LoopbackHttpServer server([&](const ReceivedRequest& request) {
    if (request.target.find("continuation-token=") == std::string::npos) {
      return ScriptedResponse{.body = listing(common("symbol=BTCUSDT") + common("symbol=ETHUSDT"), "t2")};
    }
    return ScriptedResponse{.body = listing(common("symbol=SOLUSDT"), "")};
  });
  auto reader = reader_for(server);
  Result<std::vector<std::string>> folders = reader->list_folders(folder);
  ASSERT_TRUE(folders) << folders.status().message();
  EXPECT_EQ(*folders, (std::vector<std::string>{folder + "symbol=BTCUSDT/", folder + "symbol=ETHUSDT/",
                                                folder + "symbol=SOLUSDT/"}));
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[0].target,
            "/bkt?delimiter=%2F&list-type=2&prefix=raw%2Fexchange%3Dbinance%2Fstream%3Dtrade%2F");

  // A CommonPrefixes entry that is not below the prefix asked cannot be a folder of it.
  LoopbackHttpServer odd([](const ReceivedRequest&) {
    return ScriptedResponse{.body = listing("<CommonPrefixes><Prefix>elsewhere/</Prefix></CommonPrefixes>", "")};
  });
  const Result<std::vector<std::string>> refused = reader_for(odd)->list_folders(folder);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.status().message(), HasSubstr("CommonPrefixes entry without a Prefix below"));
}

TEST_F(S3ReaderTest, TruncatedListingWithoutANewTokenIsRetryableNotALoop) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.body = listing(contents("raw/x", 1), "same")};
  });
  auto reader = reader_for(server);
  const Result<std::vector<ObjectEntry>> entries = reader->list("raw/");
  ASSERT_FALSE(entries);
  EXPECT_EQ(entries.status().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(server.requests().size(), 2U);
}

TEST_F(S3ReaderTest, GetReturnsTheBodyOfAnEncodedKey) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.body = std::string("\x1f\x8b\0raw", 6)}; });
  auto reader = reader_for(server);
  Result<std::string> body = reader->get("raw/symbol=BTCUSDT/a b&c.gz");
  ASSERT_TRUE(body) << body.status().message();
  EXPECT_EQ(*body, std::string("\x1f\x8b\0raw", 6));
  const ReceivedRequest get = server.requests().at(0);
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.target, "/bkt/raw/symbol%3DBTCUSDT/a%20b%26c.gz");
  EXPECT_EQ(get.headers.at("x-amz-security-token"), "token1");
}

TEST_F(S3ReaderTest, MissingKeyIsFatalAndSaysTheObjectIsGone) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.status = 404, .body = s3_error_body("NoSuchKey")};
  });
  auto reader = reader_for(server);
  const Result<std::string> body = reader->get("raw/gone.gz");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.status().kind(), ErrorKind::kFatal);
  EXPECT_THAT(body.status().message(), HasSubstr("HTTP 404 NoSuchKey"));
  EXPECT_THAT(body.status().message(), HasSubstr("not in the bucket"));
}

TEST_F(S3ReaderTest, AccessDeniedNamesTheReadPermissions) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.status = 403, .body = s3_error_body("AccessDenied")};
  });
  auto reader = reader_for(server);
  const Result<std::vector<ObjectEntry>> entries = reader->list("raw/");
  ASSERT_FALSE(entries);
  EXPECT_EQ(entries.status().kind(), ErrorKind::kFatal);
  EXPECT_THAT(entries.status().message(), HasSubstr("s3:ListBucket on arn:aws:s3:::bkt "));
  EXPECT_THAT(entries.status().message(), HasSubstr("s3:GetObject on arn:aws:s3:::bkt/raw/*"));
}

TEST_F(S3ReaderTest, ServiceUnavailableIsRetryableWithoutResending) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.status = 503, .body = s3_error_body("SlowDown")};
  });
  auto reader = reader_for(server);
  const Result<std::string> body = reader->get("raw/x.gz");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(body.status().message(), HasSubstr("SlowDown"));
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST_F(S3ReaderTest, ExpiredTokenRefreshesCredentialsAndResends) {
  std::atomic<int> calls{0};
  LoopbackHttpServer server([&calls](const ReceivedRequest&) {
    return calls++ == 0 ? ScriptedResponse{.status = 400, .body = s3_error_body("ExpiredToken")}
                        : ScriptedResponse{.body = "data"};
  });
  auto reader = reader_for(server);
  const Result<std::string> body = reader->get("raw/x.gz");
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, "data");
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[1].headers.at("x-amz-security-token"), "token2");
  EXPECT_EQ(credentials_.generation(), 2);
}

TEST_F(S3ReaderTest, SkewedClockIsCorrectedFromTheServersDateAndResent) {
  std::atomic<int> calls{0};
  LoopbackHttpServer server([&calls](const ReceivedRequest&) {
    if (calls++ == 0) {
      return ScriptedResponse{.status = 403,
                              .headers = {{"Date", "Sun, 09 Feb 2025 23:43:50 GMT"}},  // one hour ahead
                              .body = s3_error_body("RequestTimeTooSkewed")};
    }
    return ScriptedResponse{.body = listing("", "")};
  });
  auto reader = reader_for(server);
  const Result<std::vector<ObjectEntry>> entries = reader->list("raw/");
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[1].headers.at("x-amz-date"), "20250209T234350Z");
}

TEST_F(S3ReaderTest, AnswerThatIsNotAListingIsRetryable) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.body = "<html>proxy</html>"}; });
  auto reader = reader_for(server);
  const Result<std::vector<ObjectEntry>> entries = reader->list("raw/");
  ASSERT_FALSE(entries);
  EXPECT_EQ(entries.status().kind(), ErrorKind::kRetryable);
}

}  // namespace
}  // namespace mc
