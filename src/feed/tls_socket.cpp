#include "feed/tls_socket.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <climits>
#include <algorithm>

#include "feed/tls_context.hpp"

namespace mc {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// The handshake's error, and the certificate check's result when that is what failed.
Status handshake_failed(SSL* ssl, const error_code& error) {
  std::string message = "tls_handshake: " + error.message();
  if (const long verified = SSL_get_verify_result(ssl); verified != X509_V_OK) {
    message += std::string(" verify=") + X509_verify_cert_error_string(verified);
  }
  return Status::retryable(message);
}

}  // namespace

void TlsSocket::SslFree::operator()(SSL* ssl) const { SSL_free(ssl); }

TlsSocket::TlsSocket(const executor_type& executor, SSL_CTX* context) : socket_(executor), context_(context) {}

asio::awaitable<Status> TlsSocket::handshake(const std::string& host) {
  ERR_clear_error();
  ssl_.reset(SSL_new(context_));
  if (!ssl_) co_return Status::retryable("tls_handshake: " + openssl_reason());
  error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) co_return Status::retryable("tls_handshake: " + ec.message());
  SSL* ssl = ssl_.get();
  if (SSL_set_fd(ssl, socket_.native_handle()) != 1) {
    co_return Status::retryable("tls_handshake: " + openssl_reason());
  }
  // Partial writes let a write return what the socket took and wait for the rest; the buffer may
  // move between the tries (asio::async_write passes the remainder). Read-ahead takes whatever the
  // socket holds in one recv, not a record's header and body in two.
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_read_ahead(ssl, 1);
  // SNI carries host names only; certificates for IP literals are checked against their IP SANs.
  const bool checked = is_ip_literal(host)
                           ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1
                           : SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
  if (!checked) co_return Status::retryable("tls_handshake: cannot check the certificate for host=" + host);

  for (;;) {
    errno = 0;
    const int result = SSL_connect(ssl);
    if (result == 1) co_return Status::ok();
    const Io io = failure(result, errno);
    if (io.wait == Wait::kNone) co_return handshake_failed(ssl, io.error);
    const auto wait = io.wait == Wait::kRead ? asio::socket_base::wait_read : asio::socket_base::wait_write;
    if (auto [wait_ec] = co_await socket_.async_wait(wait, kNoThrow); wait_ec) {
      co_return Status::retryable("tls_handshake: " + wait_ec.message());
    }
  }
}

asio::awaitable<TlsSocket::ReadResult> TlsSocket::read_available(std::span<char> room) {
  if (pending_error_) co_return ReadResult{std::exchange(pending_error_, {}), 0};
  std::size_t filled = 0;
  Wait wait = drained_ ? Wait::kRead : Wait::kNone;
  for (;;) {
    if (wait != Wait::kNone) {
      const auto what = wait == Wait::kRead ? asio::socket_base::wait_read : asio::socket_base::wait_write;
      if (auto [ec] = co_await socket_.async_wait(what, kNoThrow); ec) co_return ReadResult{ec, 0};
    }
    const Io io = transfer(true, room.data() + filled, room.size() - filled);
    filled += io.bytes;
    drained_ = io.wait == Wait::kRead;
    wait = io.wait;
    if (io.error) {
      if (filled == 0) co_return ReadResult{io.error, 0};
      pending_error_ = io.error;
      co_return ReadResult{error_code{}, filled};
    }
    // A full room, or bytes and a socket that has no more: the caller handles them first.
    if (filled == room.size() || (filled > 0 && wait != Wait::kNone)) co_return ReadResult{error_code{}, filled};
  }
}

TlsSocket::Io TlsSocket::transfer(bool read, void* data, std::size_t size) {
  // After close() the descriptor's number may already belong to another file.
  if (!socket_.is_open() || !ssl_) return {.error = asio::error::operation_aborted};
  if (size == 0) return {};
  const int length = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  // SSL_get_error needs an empty error queue before the call: failure() and handshake() leave it
  // so, rather than clearing it before every read (a few per cent of the thread's CPU).
  errno = 0;
  const int result = read ? SSL_read(ssl_.get(), data, length) : SSL_write(ssl_.get(), data, length);
  if (result > 0) return {.bytes = static_cast<std::size_t>(result)};
  return failure(result, errno);
}

// What a failed SSL call asks for: a wait, or the error that ends the connection. Empties the
// thread's error queue for the next call.
TlsSocket::Io TlsSocket::failure(int result, int sys_errno) {
  const int kind = SSL_get_error(ssl_.get(), result);
  const unsigned long code = ERR_peek_error();
  ERR_clear_error();
  switch (kind) {
    case SSL_ERROR_WANT_READ: return {.wait = Wait::kRead};
    case SSL_ERROR_WANT_WRITE: return {.wait = Wait::kWrite};
    case SSL_ERROR_ZERO_RETURN: return {.error = asio::error::eof};  // the peer's close_notify
    case SSL_ERROR_SYSCALL:
      if (sys_errno != 0) return {.error = error_code(sys_errno, boost::system::system_category())};
      if (code == 0) return {.error = asio::ssl::error::stream_truncated};  // the socket ended mid-record
      [[fallthrough]];
    case SSL_ERROR_SSL:
      if (code != 0) return {.error = error_code(static_cast<int>(code), asio::error::get_ssl_category())};
      return {.error = asio::ssl::error::stream_truncated};
    default: return {.error = boost::system::errc::make_error_code(boost::system::errc::protocol_error)};
  }
}

}  // namespace mc
