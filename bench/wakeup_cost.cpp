// What a wake-up costs on this machine, apart from any collector: the floor under the network
// thread's CPU at a steady rate.
//
//   mc_wakeup_cost [wakeups [--tls]]        prints one JSON object
//
// A sender thread writes 2,600 bytes (one 1 ms batch of 3 MB/s of trades) every millisecond into a
// Unix socket; the reader waits in epoll (edge-triggered, as Asio does) and reads until EAGAIN, the
// same system calls as the feed's read minus parsing. With --tls the bytes travel in TLS records and
// the reader calls SSL_read straight on the non-blocking socket (no Asio, no memory BIOs): what a
// leaner read loop than Asio's SSL stream could cost. Reports the reader's CPU per wake-up and, for
// scale, the CPU of one trivial system call.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>

#include <fmt/core.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace {

constexpr std::size_t kBatchBytes = 2600;
constexpr int kTrivialCalls = 1'000'000;

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// A server context with a fresh self-signed P-256 certificate: the reader does not verify it, the
// point is the record layer's cost, not the handshake's.
SSL_CTX* server_context() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (key == nullptr || cert == nullptr || ctx == nullptr) {  // the free functions take null
    X509_free(cert);
    EVP_PKEY_free(key);
    SSL_CTX_free(ctx);
    return nullptr;
  }
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  const bool ok = X509_sign(cert, key, EVP_sha256()) > 0 && SSL_CTX_use_certificate(ctx, cert) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

int main(int argc, char** argv) {
  const long batches = argc > 1 ? std::atol(argv[1]) : 3000;
  const bool tls = argc > 2 && std::string_view(argv[2]) == "--tls";
  if (batches < 1 || (argc > 2 && !tls) || argc > 3) {
    fmt::print(stderr, "usage: mc_wakeup_cost [wakeups [--tls]]\n");
    return 2;
  }

  double started = thread_cpu_seconds();
  for (int i = 0; i < kTrivialCalls; ++i) ::syscall(SYS_getppid);
  const double syscall_us = (thread_cpu_seconds() - started) / kTrivialCalls * 1e6;

  std::array<int, 2> pair{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
    std::perror("socketpair");
    return 1;
  }
  const int reader = pair[1];
  const int writer = pair[0];
  SSL_CTX* server_ctx = tls ? server_context() : nullptr;
  SSL_CTX* client_ctx = tls ? SSL_CTX_new(TLS_client_method()) : nullptr;
  SSL* server = server_ctx != nullptr ? SSL_new(server_ctx) : nullptr;
  SSL* client = client_ctx != nullptr ? SSL_new(client_ctx) : nullptr;
  if (tls && (server == nullptr || client == nullptr)) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  std::thread sender([&] {
    if (server != nullptr && (SSL_set_fd(server, writer) != 1 || SSL_accept(server) != 1)) {
      ERR_print_errors_fp(stderr);
      ::close(writer);
      return;
    }
    const std::array<char, kBatchBytes> batch{};
    for (long i = 0; i < batches; ++i) {
      const long n = server != nullptr ? SSL_write(server, batch.data(), static_cast<int>(batch.size()))
                                       : ::write(writer, batch.data(), batch.size());
      if (n <= 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::shutdown(writer, SHUT_WR);  // the reader sees the end; no close_notify needed for that
  });
  if (client != nullptr && (SSL_set_fd(client, reader) != 1 || SSL_connect(client) != 1)) {
    ERR_print_errors_fp(stderr);
    sender.join();
    return 1;
  }

  const int poll = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event interest{};
  interest.events = EPOLLIN | EPOLLET;
  interest.data.fd = reader;
  if (poll < 0 || ::fcntl(reader, F_SETFL, O_NONBLOCK) != 0 || ::epoll_ctl(poll, EPOLL_CTL_ADD, reader, &interest) != 0) {
    std::perror("epoll");
    sender.join();
    return 1;
  }

  std::array<char, std::size_t{17} * 1024> buffer{};  // a TLS record's worth, as Asio's SSL stream reads
  long wakeups = 0;
  bool done = false;
  started = thread_cpu_seconds();
  while (!done) {
    epoll_event ready{};
    if (::epoll_wait(poll, &ready, 1, -1) < 1) {
      if (errno == EINTR) continue;
      std::perror("epoll_wait");  // a failed wait would otherwise spin here for good
      std::_Exit(1);               // not joining: the sender may be blocked on a full socket
    }
    ++wakeups;
    for (;;) {
      if (client != nullptr) {
        const int n = SSL_read(client, buffer.data(), static_cast<int>(buffer.size()));
        if (n > 0) continue;
        done = SSL_get_error(client, n) != SSL_ERROR_WANT_READ;
        break;
      }
      const ssize_t n = ::recv(reader, buffer.data(), buffer.size(), 0);
      if (n == 0) done = true;
      if (n <= 0) break;
    }
  }
  const double per_wakeup_us = (thread_cpu_seconds() - started) / static_cast<double>(wakeups) * 1e6;
  sender.join();
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
  ::close(reader);
  ::close(writer);
  fmt::print("{{\"tls\": {}, \"trivial_syscall_us\": {:.2f}, \"wakeups\": {}, \"cpu_us_per_wakeup\": {:.1f}, "
             "\"share_of_a_core_at_1000_per_second\": {:.4f}}}\n",
             tls, syscall_us, wakeups, per_wakeup_us, per_wakeup_us * 1000 / 1e6);
  return 0;
}
