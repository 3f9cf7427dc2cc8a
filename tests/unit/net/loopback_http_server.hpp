#pragma once
// A small HTTP/1.1 server on 127.0.0.1 for the HTTP client's tests: one connection at a time, requests
// answered in order by a handler, keep-alive unless the handler says otherwise, optional TLS. It records
// what arrived so tests can check the bytes the client really sent.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mc::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int connection = 0;  // which accepted connection carried it (1, 2, ...)
};

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering
  bool close = false;                  // close the connection after this answer
  bool reset_without_answer = false;   // abort the connection instead of answering
};

struct TlsFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<ScriptedResponse(const ReceivedRequest&)>;

  // Listens on an ephemeral port; serves TLS when tls is given.
  explicit LoopbackHttpServer(Handler handler, const TlsFiles* tls = nullptr);
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const;
  std::vector<ReceivedRequest> requests() const;
  int connections() const { return connections_.load(); }

 private:
  void serve();
  void serve_connection(int fd, int connection);

  Handler handler_;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, kept opaque so tests need not include OpenSSL
  bool tls_ = false;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

}  // namespace mc::testing
