#include "loopback_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>
#include <system_error>

namespace mc::testing {

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Reads and writes one connection, in clear or through TLS.
class Stream {
 public:
  Stream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}

  // Waits for readable data up to 5 s; returns bytes read, 0 at end of stream or on error.
  std::size_t read(char* buffer, std::size_t size, const std::atomic<bool>& stopping) {
    while (!stopping.load()) {
      if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, 50);
        if (ready < 0) return 0;
        if (ready == 0) continue;
      }
      if (ssl_ != nullptr) {
        const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
        return n > 0 ? static_cast<std::size_t>(n) : 0;
      }
      const ssize_t n = ::read(fd_, buffer, size);
      return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    return 0;
  }

  bool write(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      if (ssl_ != nullptr) {
        const int n = SSL_write(ssl_, bytes.data() + done, static_cast<int>(bytes.size() - done));
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
      } else {
        const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
      }
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_;
};

std::string reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

LoopbackHttpServer::LoopbackHttpServer(Handler handler, const TlsFiles* tls) : handler_(std::move(handler)) {
  if (tls != nullptr) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx, tls->cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, tls->key.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(ctx);
      throw std::runtime_error("loopback server: cannot load the TLS certificate");
    }
    ssl_ctx_ = ctx;
    tls_ = true;
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "loopback server: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stopping_.store(true);
  thread_.join();
  ::close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

std::string LoopbackHttpServer::url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> LoopbackHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void LoopbackHttpServer::serve() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    serve_connection(fd, ++connections_);
    ::close(fd);
  }
}

void LoopbackHttpServer::serve_connection(int fd, int connection) {
  SSL* ssl = nullptr;
  if (tls_) {
    ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {  // e.g. the client refused our certificate
      SSL_free(ssl);
      return;
    }
  }
  Stream stream(fd, ssl);
  std::string buffer;
  char chunk[16384];
  bool open = true;
  while (open && !stopping_.load()) {
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      const std::size_t n = stream.read(chunk, sizeof(chunk), stopping_);
      if (n == 0) {
        open = false;
        break;
      }
      buffer.append(chunk, n);
    }
    if (!open) break;
    ReceivedRequest request;
    request.connection = connection;
    const std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const std::size_t space1 = request_line.find(' ');
    const std::size_t space2 = request_line.find(' ', space1 + 1);
    request.method = request_line.substr(0, space1);
    request.target = request_line.substr(space1 + 1, space2 - space1 - 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        request.headers[lower(line.substr(0, colon))] = value;
      }
      line_end = next;
    }
    const auto length_header = request.headers.find("content-length");
    const std::size_t length = length_header == request.headers.end() ? 0 : std::stoul(length_header->second);
    ScriptedResponse response = handler_(request);
    while (buffer.size() < length && !response.reset_without_answer) {
      const std::size_t n = stream.read(chunk, sizeof(chunk), stopping_);
      if (n == 0) break;
      buffer.append(chunk, n);
    }
    request.body = buffer.substr(0, std::min(length, buffer.size()));
    buffer.erase(0, request.body.size());
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    if (response.delay.count() > 0) std::this_thread::sleep_for(response.delay);
    if (response.reset_without_answer) {
      linger hard{1, 0};  // close with RST, as a crashed peer or a middlebox would
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
      break;
    }
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) + "\r\n";
    for (const auto& [name, value] : response.headers) out.append(name).append(": ").append(value).append("\r\n");
    out += "Content-Length: " + std::to_string(request.method == "HEAD" ? 0 : response.body.size()) + "\r\n";
    if (response.close) out += "Connection: close\r\n";
    out += "\r\n";
    if (request.method != "HEAD") out += response.body;
    if (!stream.write(out) || response.close) open = false;
  }
  if (ssl != nullptr) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
}

}  // namespace mc::testing
