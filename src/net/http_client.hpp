#pragma once
// One HTTP exchange at a time, over libcurl. S3 uploads, the credential providers and REST backfill all
// talk HTTP through this interface, so tests can point them at loopback servers and a fake can script
// answers where a real server would add nothing.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "GET";  // "GET", "PUT", "POST", "HEAD"
  std::string url;             // absolute: scheme, host, port, path already percent-encoded, query
  std::vector<HttpHeader> headers;
  std::string_view body;                       // must outlive send(); sent with a Content-Length
  std::chrono::milliseconds timeout{30'000};   // whole exchange, connect included
};

struct HttpResponse {
  long status = 0;
  std::vector<HttpHeader> headers;  // names lower-cased, in arrival order
  std::string body;

  // The first header with this (case-insensitive) name.
  std::optional<std::string> header(std::string_view name) const;
};

struct HttpClientOptions {
  std::string ca_file;                                // extra trust anchor (PEM); empty: system store
  std::chrono::milliseconds connect_timeout{5'000};
  // A transfer slower than low_speed_bytes per second for low_speed_time is aborted as a timeout.
  long low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{20};
  std::size_t max_response_bytes = std::size_t{16} * 1024 * 1024;  // a longer body is a transport error
  // For credential endpoints (IMDS, the ECS/EKS container endpoint, localhost): ignore https_proxy and
  // http_proxy, so neither the requests nor the credentials in the answers pass through a proxy.
  bool bypass_proxy = false;
};

// Not thread-safe: one client per thread. The client keeps its connections open between calls.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Any HTTP status is a response. A transport failure is a Status whose message names the method, the
  // host and libcurl's error: kRetryable for what may pass (DNS, connect, reset, timeout, oversized
  // body), kFatal for what an operator must fix (certificate verification, malformed URL).
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

// libcurl's process-wide set-up and tear-down. Construct one in main() before any thread starts and keep
// it until every client is gone; libcurl's global init is not safe to race with other threads.
class HttpRuntime {
 public:
  HttpRuntime();
  ~HttpRuntime();
  HttpRuntime(const HttpRuntime&) = delete;
  HttpRuntime& operator=(const HttpRuntime&) = delete;
};

// Makes a libcurl-backed client. Proxy variables (https_proxy, http_proxy, no_proxy) are honoured the
// way libcurl honours them, unless options.bypass_proxy. TLS peers are always verified.
std::unique_ptr<HttpClient> make_http_client(const HttpClientOptions& options);

// Makes new clients on demand: code with several threads (uploaders) gives each its own.
using HttpClientFactory = std::function<std::unique_ptr<HttpClient>()>;

}  // namespace mc
