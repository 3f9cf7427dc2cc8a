#pragma once
// A TLS client connection straight on a non-blocking TCP socket: OpenSSL reads and writes the
// socket's descriptor itself (SSL_set_fd) and Asio only says when the socket is ready (async_wait).
// Asio's ssl::stream passes every record through two memory BIOs and a composed operation per read;
// at a thousand small reads a second that was most of the network thread's CPU (docs/PERFORMANCE.md).
//
// Brings in Asio: included by the feed's .cpp files only.

#include <openssl/types.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <tuple>

#include "common/status.hpp"

namespace mc {

// One connection. Reads and writes may interleave on the io_context's thread (a reader waiting while
// the writer writes), never run on two threads at once.
class TlsSocket {
 public:
  using executor_type = boost::asio::any_io_executor;
  using ReadResult = std::tuple<boost::system::error_code, std::size_t>;

  // context (verify mode, trust anchors) must outlive the socket.
  TlsSocket(const executor_type& executor, SSL_CTX* context);

  executor_type get_executor() { return socket_.get_executor(); }
  // The TCP socket, to connect it before the handshake and to close it: close() ends any wait.
  boost::asio::ip::tcp::socket& socket() { return socket_; }

  // The TLS handshake on the connected socket: SNI (not for IP literals) and the peer's certificate
  // checked for host, a name or an IP literal against its IP subjectAltNames. A failure names
  // OpenSSL's reason and the certificate check's result ("verify=...").
  boost::asio::awaitable<Status> handshake(const std::string& host);

  // Fills room with what TLS has decrypted and what the socket holds, until the socket would block
  // or room is full; waits for the socket only when nothing can be read. Every wait follows a read
  // that found the socket empty and is queued before the thread returns to epoll, so the
  // edge-triggered reactor loses no edge. Bytes read before an error come first, the error with the
  // next call.
  boost::asio::awaitable<ReadResult> read_available(std::span<char> room);

  // AsyncReadStream and AsyncWriteStream (for Beast's HTTP read and write, asio::async_write).
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    const boost::asio::mutable_buffer buffer = first_nonempty<boost::asio::mutable_buffer>(buffers);
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        IoOp{*this, buffer.data(), buffer.size(), true}, token, socket_);
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    const boost::asio::const_buffer buffer = first_nonempty<boost::asio::const_buffer>(buffers);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): SSL_write only reads it
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        IoOp{*this, const_cast<void*>(buffer.data()), buffer.size(), false}, token, socket_);
  }

 private:
  struct SslFree {
    void operator()(SSL* ssl) const;
  };
  enum class Wait { kNone, kRead, kWrite };
  // One SSL_read or SSL_write: bytes moved, or what to wait for, or the error.
  struct Io {
    std::size_t bytes = 0;
    Wait wait = Wait::kNone;
    boost::system::error_code error;
  };

  // One non-blocking read or write through async_compose, waiting on the socket as OpenSSL asks.
  // An operation that completes at once is posted, never completed inside its initiation.
  struct IoOp {
    TlsSocket& tls;
    void* data;
    std::size_t size;
    bool read;
    bool waited = false;
    bool done = false;
    Io io{};

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      if (!done) {
        io = ec ? Io{.error = ec} : tls.transfer(read, data, size);
        if (io.wait != Wait::kNone) {
          waited = true;
          tls.socket_.async_wait(io.wait == Wait::kRead ? boost::asio::socket_base::wait_read
                                                        : boost::asio::socket_base::wait_write,
                                 std::move(self));
          return;
        }
        done = true;
        if (!waited) {
          boost::asio::post(tls.socket_.get_executor(), std::move(self));
          return;
        }
      }
      self.complete(io.error, io.bytes);
    }
  };

  template <class Buffer, class Buffers>
  static Buffer first_nonempty(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      const Buffer buffer(*it);
      if (buffer.size() > 0) return buffer;
    }
    return Buffer();
  }

  Io transfer(bool read, void* data, std::size_t size);
  Io failure(int result, int sys_errno);

  boost::asio::ip::tcp::socket socket_;
  SSL_CTX* context_;
  std::unique_ptr<SSL, SslFree> ssl_;
  bool drained_ = false;                      // the last read found the socket empty: wait before the next
  boost::system::error_code pending_error_;  // met after bytes the last read_available returned
};

}  // namespace mc
