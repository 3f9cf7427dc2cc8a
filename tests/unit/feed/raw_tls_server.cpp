#include "raw_tls_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <stdexcept>
#include <thread>

#include "feed/ws_protocol.hpp"

namespace mc::testing {
namespace {

constexpr int kPollMs = 20;
constexpr std::size_t kMaxRequest = std::size_t{64} * 1024;

// The key of the client's upgrade request, empty when there is none.
std::string websocket_key(const std::string& request) {
  const std::string name = "Sec-WebSocket-Key: ";
  const std::size_t at = request.find(name);
  if (at == std::string::npos) return {};
  const std::size_t begin = at + name.size();
  return request.substr(begin, request.find("\r\n", begin) - begin);
}

// Waits for the peer to leave or the server to stop, dropping what the peer sends.
void drain_until_closed(int fd, const std::atomic<bool>& stopping) {
  std::array<char, 4096> sink{};
  while (!stopping) {
    pollfd ready{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&ready, 1, kPollMs) <= 0) continue;
    if (::recv(fd, sink.data(), sink.size(), 0) <= 0) return;
  }
}

}  // namespace

std::string server_text_frame(const std::string& payload) {
  std::string frame = "\x81";
  if (payload.size() < 126) {
    frame += static_cast<char>(payload.size());
  } else if (payload.size() <= 0xFFFF) {
    frame += static_cast<char>(126);
    frame += static_cast<char>(payload.size() >> 8U);
    frame += static_cast<char>(payload.size() & 0xFFU);
  } else {
    frame += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((payload.size() >> shift) & 0xFFU);
  }
  return frame + payload;
}

struct RawTlsServer::Impl {
  Impl(const ServerTlsFiles& files, RawTlsScript script_in) : script(std::move(script_in)) {
    context = SSL_CTX_new(TLS_server_method());
    if (context == nullptr ||
        SSL_CTX_use_certificate_chain_file(context, files.cert_chain.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(context, files.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(context);
      throw std::runtime_error("raw TLS server: cannot load the certificate");
    }
    listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener, 8) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      if (listener >= 0) ::close(listener);
      SSL_CTX_free(context);
      throw std::runtime_error("raw TLS server: cannot listen");
    }
    port = ntohs(address.sin_port);
    thread = std::jthread([this] { accept_loop(); });
  }
  ~Impl() {
    stopping = true;
    thread.join();
    ::close(listener);
    SSL_CTX_free(context);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void accept_loop() {
    while (!stopping) {
      pollfd ready{.fd = listener, .events = POLLIN, .revents = 0};
      if (::poll(&ready, 1, kPollMs) <= 0) continue;
      const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      serve(fd);
      ::close(fd);
    }
  }

  void serve(int fd) {
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));  // each piece its own segment
    timeval limit{.tv_sec = 5, .tv_usec = 0};  // a client that stops mid-handshake cannot hold the thread
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    SSL* ssl = SSL_new(context);
    if (ssl != nullptr && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1 && upgrade(ssl)) play(ssl, fd);
    SSL_free(ssl);
  }

  bool upgrade(SSL* ssl) {
    std::string request;
    std::array<char, 4096> chunk{};
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequest) {
      const int n = SSL_read(ssl, chunk.data(), static_cast<int>(chunk.size()));
      if (n <= 0) return false;
      request.append(chunk.data(), static_cast<std::size_t>(n));
    }
    const std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: " + ws_accept_for(websocket_key(request)) + "\r\n\r\n";
    if (SSL_write(ssl, answer.data(), static_cast<int>(answer.size())) <= 0) return false;
    ++upgrades;
    return true;
  }

  // The frames go into a memory BIO in place of the socket, and from there to TCP in pieces.
  void play(SSL* ssl, int fd) {
    BIO* records = BIO_new(BIO_s_mem());
    if (records == nullptr) return;
    SSL_set0_wbio(ssl, records);  // the SSL owns it now
    for (const std::string& frame : script.records) {
      if (SSL_write(ssl, frame.data(), static_cast<int>(frame.size())) <= 0) return;
    }
    char* data = nullptr;
    const long held = BIO_get_mem_data(records, &data);
    const std::size_t total = held > 0 ? static_cast<std::size_t>(held) : 0;
    const std::size_t end = total - std::min(script.cut, total);
    const std::size_t piece = script.piece == 0 ? end : script.piece;
    for (std::size_t sent = 0; sent < end && !stopping;) {
      const ssize_t n = ::send(fd, data + sent, std::min(piece, end - sent), MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
      std::this_thread::sleep_for(script.gap);
    }
    if (script.cut == 0) drain_until_closed(fd, stopping);
  }

  const RawTlsScript script;
  SSL_CTX* context = nullptr;
  int listener = -1;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<int> upgrades{0};
  std::jthread thread;
};

RawTlsServer::RawTlsServer(const ServerTlsFiles& files, RawTlsScript script)
    : impl_(std::make_unique<Impl>(files, std::move(script))) {}

RawTlsServer::~RawTlsServer() = default;

std::uint16_t RawTlsServer::port() const { return impl_->port; }

int RawTlsServer::upgrades() const { return impl_->upgrades.load(); }

}  // namespace mc::testing
