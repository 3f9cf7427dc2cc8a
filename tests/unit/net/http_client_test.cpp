#include "net/http_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "../feed/test_certs.hpp"
#include "loopback_http_server.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using ::testing::HasSubstr;
using testing::LoopbackHttpServer;
using testing::ReceivedRequest;
using testing::ScriptedResponse;

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { runtime_ = new HttpRuntime(); }
  static void TearDownTestSuite() { delete runtime_; }

  std::unique_ptr<HttpClient> client(HttpClientOptions options = {}) { return make_http_client(options); }

 private:
  static inline HttpRuntime* runtime_ = nullptr;
};

// Sets the proxy variables libcurl reads (and clears the exclusions) for one test.
class ProxyVariables {
 public:
  explicit ProxyVariables(const std::string& proxy_url) {
    for (const char* name : {"http_proxy", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"}) {
      if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
      ::unsetenv(name);
    }
    ::setenv("http_proxy", proxy_url.c_str(), 1);
    ::setenv("https_proxy", proxy_url.c_str(), 1);
  }
  ~ProxyVariables() {
    ::unsetenv("http_proxy");
    ::unsetenv("https_proxy");
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }
  ProxyVariables(const ProxyVariables&) = delete;
  ProxyVariables& operator=(const ProxyVariables&) = delete;

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(HttpClientTest, ABypassProxyClientIgnoresTheProxyVariables) {
  LoopbackHttpServer proxy([](const ReceivedRequest&) { return ScriptedResponse{.status = 200, .body = "proxy"}; });
  LoopbackHttpServer endpoint([](const ReceivedRequest&) { return ScriptedResponse{.status = 200, .body = "endpoint"}; });
  const ProxyVariables variables(proxy.url(""));
  HttpRequest request;
  request.url = endpoint.url("/latest/meta-data/iam/security-credentials/");

  // The variables are in force: an ordinary client sends the request to the proxy.
  Result<HttpResponse> proxied = client()->send(request);
  ASSERT_TRUE(proxied.is_ok()) << proxied.status().message();
  EXPECT_EQ(proxied->body, "proxy");
  ASSERT_EQ(proxy.requests().size(), 1U);
  EXPECT_EQ(proxy.requests()[0].target, request.url);

  Result<HttpResponse> direct = client(HttpClientOptions{.bypass_proxy = true})->send(request);
  ASSERT_TRUE(direct.is_ok()) << direct.status().message();
  EXPECT_EQ(direct->body, "endpoint");
  EXPECT_EQ(proxy.requests().size(), 1U);
  ASSERT_EQ(endpoint.requests().size(), 1U);
}

TEST_F(HttpClientTest, PutSendsTheBodyAndHeadersWithoutExpectContinue) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.status = 200, .headers = {{"ETag", "\"abc\""}, {"X-Amz-Request-Id", "r1"}}};
  });
  const std::string body(3 * 1024 * 1024, 'x');  // large enough that libcurl would ask for 100-continue
  HttpRequest request{.method = "PUT", .url = server.url("/bucket/raw/a%3Db"), .headers = {{"Content-Type", "application/gzip"}, {"x-amz-meta-test", "1"}}, .body = body};
  Result<HttpResponse> response = client()->send(request);
  ASSERT_TRUE(response) << response.status().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("etag"), "\"abc\"");
  EXPECT_EQ(response->header("X-AMZ-REQUEST-ID"), "r1");
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].method, "PUT");
  EXPECT_EQ(received[0].target, "/bucket/raw/a%3Db");  // sent as given, not re-encoded
  EXPECT_EQ(received[0].body, body);
  EXPECT_EQ(received[0].headers.at("content-type"), "application/gzip");
  EXPECT_EQ(received[0].headers.at("content-length"), std::to_string(body.size()));
  EXPECT_EQ(received[0].headers.count("expect"), 0U);
}

TEST_F(HttpClientTest, PostWithoutContentTypeGetsNoInventedFormType) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; });
  HttpRequest request{.method = "POST", .url = server.url("/"), .body = "Action=x"};
  ASSERT_TRUE(client()->send(request));
  EXPECT_EQ(server.requests().at(0).headers.count("content-type"), 0U);
}

TEST_F(HttpClientTest, EmptyPutSendsContentLengthZero) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.body = "token"}; });
  Result<HttpResponse> response = client()->send({.method = "PUT", .url = server.url("/latest/api/token")});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "token");
  EXPECT_EQ(server.requests().at(0).headers.at("content-length"), "0");
}

TEST_F(HttpClientTest, ReusesTheConnectionAcrossRequests) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.body = "ok"}; });
  auto http = client();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(http->send({.url = server.url("/" + std::to_string(i))}));
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests().size(), 3U);
}

TEST_F(HttpClientTest, ReconnectsWhenTheServerClosesEachConnection) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.close = true}; });
  auto http = client();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(http->send({.url = server.url("/")}));
  EXPECT_EQ(server.connections(), 3);
}

TEST_F(HttpClientTest, ErrorStatusIsAResponseNotATransportFailure) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.status = 503, .body = "<Error><Code>SlowDown</Code></Error>"};
  });
  Result<HttpResponse> response = client()->send({.url = server.url("/")});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_THAT(response->body, HasSubstr("SlowDown"));
}

TEST_F(HttpClientTest, ConnectionResetIsRetryable) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.reset_without_answer = true}; });
  Result<HttpResponse> response = client()->send({.method = "PUT", .url = server.url("/"), .body = "abc"});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(response.status().message(), HasSubstr("127.0.0.1"));
}

TEST_F(HttpClientTest, RefusedConnectionIsRetryable) {
  int port = 0;
  {
    LoopbackHttpServer closed([](const ReceivedRequest&) { return ScriptedResponse{}; });
    port = closed.port();
  }
  Result<HttpResponse> response = client()->send({.url = "http://127.0.0.1:" + std::to_string(port) + "/"});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(response.status().message(), HasSubstr("curl error 7"));
}

TEST_F(HttpClientTest, SlowAnswerTimesOutAsRetryable) {
  LoopbackHttpServer server([](const ReceivedRequest&) {
    return ScriptedResponse{.delay = std::chrono::milliseconds(1500)};
  });
  Result<HttpResponse> response = client()->send({.url = server.url("/"), .timeout = std::chrono::milliseconds(300)});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(response.status().message(), HasSubstr("curl error 28"));
}

TEST_F(HttpClientTest, OversizedBodyIsRefused) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.body = std::string(5000, 'a')}; });
  Result<HttpResponse> response = client({.max_response_bytes = 1000})->send({.url = server.url("/")});
  ASSERT_FALSE(response);
  EXPECT_THAT(response.status().message(), HasSubstr("over 1000 bytes"));
}

TEST_F(HttpClientTest, HonoursTheHttpProxyVariable) {
  LoopbackHttpServer proxy([](const ReceivedRequest&) { return ScriptedResponse{.body = "via proxy"}; });
  // libcurl reads the proxy variables at each transfer; this test is alone in its process while it runs.
  ASSERT_EQ(::setenv("http_proxy", proxy.url("").c_str(), 1), 0);  // NOLINT(concurrency-mt-unsafe)
  Result<HttpResponse> response = client()->send({.url = "http://s3.example.invalid/bkt/key"});
  ASSERT_EQ(::unsetenv("http_proxy"), 0);  // NOLINT(concurrency-mt-unsafe)
  ASSERT_TRUE(response) << response.status().message();
  EXPECT_EQ(response->body, "via proxy");
  // A proxy gets the absolute URL in the request line.
  EXPECT_EQ(proxy.requests().at(0).target, "http://s3.example.invalid/bkt/key");
}

TEST_F(HttpClientTest, MalformedUrlIsFatal) {
  Result<HttpResponse> response = client()->send({.url = "ftp://127.0.0.1/"});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().kind(), ErrorKind::kFatal);
}

TEST_F(HttpClientTest, GetWithBodyIsRefused) {
  Result<HttpResponse> response = client()->send({.url = "http://127.0.0.1:1/", .body = "x"});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().kind(), ErrorKind::kFatal);
}

class HttpClientTlsTest : public HttpClientTest {
 protected:
  void SetUp() override {
    auto ca = testing::make_test_ca(dir_.path(), "ca");
    ASSERT_TRUE(ca);
    auto server = testing::make_test_server_cert(dir_.path(), "server", *ca, "DNS:localhost,IP:127.0.0.1");
    ASSERT_TRUE(server);
    ca_file_ = ca->cert.string();
    tls_ = {server->cert, server->key};
  }
  testing::TempDir dir_;
  std::string ca_file_;
  testing::TlsFiles tls_;
};

TEST_F(HttpClientTlsTest, VerifiesThePeerWithTheExtraCaFile) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{.body = "secure"}; }, &tls_);
  Result<HttpResponse> response = client({.ca_file = ca_file_})->send({.url = server.url("/")});
  ASSERT_TRUE(response) << response.status().message();
  EXPECT_EQ(response->body, "secure");
}

TEST_F(HttpClientTlsTest, RefusesAPeerItCannotVerify) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; }, &tls_);
  Result<HttpResponse> response = client()->send({.url = server.url("/")});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().kind(), ErrorKind::kFatal);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpClientTlsTest, UnreadableCaFileIsFatal) {
  LoopbackHttpServer server([](const ReceivedRequest&) { return ScriptedResponse{}; }, &tls_);
  Result<HttpResponse> response = client({.ca_file = (dir_.path() / "missing.pem").string()})->send({.url = server.url("/")});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().kind(), ErrorKind::kFatal);
}

}  // namespace
}  // namespace mc
