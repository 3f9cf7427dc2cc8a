#include "fake_ws_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <thread>

namespace mc::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kFragments = 3;

// A loopback acceptor on an ephemeral port.
void listen_on_loopback(tcp::acceptor& acceptor) {
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
}

}  // namespace

struct FakeWsServer::Impl {
  Impl(std::vector<ServerScript> scripts_in, const std::optional<ServerTlsFiles>& tls) : scripts(std::move(scripts_in)) {
    if (tls) {
      ssl_context.emplace(ssl::context::tls_server);
      ssl_context->use_certificate_chain_file(tls->cert_chain.string());
      ssl_context->use_private_key_file(tls->private_key.string(), ssl::context::pem);
    }
    listen_on_loopback(acceptor);
    port = acceptor.local_endpoint().port();
    asio::co_spawn(ioc, accept_loop(), asio::detached);
    thread = std::jthread([this] { ioc.run(); });
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (ec) co_return;
      const std::size_t index = static_cast<std::size_t>(accepts++);
      asio::co_spawn(ioc, serve(std::move(socket), scripts[std::min(index, scripts.size() - 1)]), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket, const ServerScript& script) {
    if (ssl_context) {
      websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(beast::tcp_stream(std::move(socket)), *ssl_context);
      if (auto [ec] = co_await ws.next_layer().async_handshake(ssl::stream_base::server, kNoThrow); ec) {
        ++tls_failures;
        co_return;
      }
      co_await play(ws, script);
    } else {
      websocket::stream<beast::tcp_stream> ws(beast::tcp_stream(std::move(socket)));
      co_await play(ws, script);
    }
  }

  template <class Ws>
  asio::awaitable<void> play(Ws& ws, const ServerScript& script) {
    beast::flat_buffer buffer;
    beast::http::request<beast::http::string_body> request;
    if (auto [ec, bytes] = co_await beast::http::async_read(ws.next_layer(), buffer, request, kNoThrow); ec) co_return;
    {
      const std::lock_guard lock(mutex);
      seen_targets.emplace_back(request.target());
    }
    ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) ++pongs;
    });
    if (auto [ec] = co_await ws.async_accept(request, kNoThrow); ec) co_return;
    ++upgrades;

    for (const ServerAction& action : script) {
      boost::system::error_code ec;
      switch (action.kind) {
        case ServerAction::Kind::kText:
        case ServerAction::Kind::kBinary:
          ws.text(action.kind == ServerAction::Kind::kText);
          std::tie(ec, std::ignore) = co_await ws.async_write(asio::buffer(action.payload), kNoThrow);
          break;
        case ServerAction::Kind::kFragmentedText: {
          ws.text(true);
          const std::size_t piece = action.payload.size() / kFragments;
          for (std::size_t i = 0; i < kFragments && !ec; ++i) {
            const bool last = i + 1 == kFragments;
            const std::size_t length = last ? action.payload.size() - i * piece : piece;
            std::tie(ec, std::ignore) =
                co_await ws.async_write_some(last, asio::buffer(action.payload.data() + i * piece, length), kNoThrow);
          }
          break;
        }
        case ServerAction::Kind::kPing:
          std::tie(ec) = co_await ws.async_ping({}, kNoThrow);
          break;
        case ServerAction::Kind::kClose:
          co_await ws.async_close(websocket::close_reason(websocket::close_code::normal, action.payload), kNoThrow);
          co_return;
        case ServerAction::Kind::kSleep: {
          asio::steady_timer timer(ws.get_executor(), action.duration);
          std::tie(ec) = co_await timer.async_wait(kNoThrow);
          break;
        }
        case ServerAction::Kind::kTrickle: {
          // Under the WebSocket layer, which has no frame in progress between two actions.
          asio::steady_timer timer(ws.get_executor());
          for (std::size_t i = 0; i < action.payload.size() && !ec; ++i) {
            std::tie(ec, std::ignore) =
                co_await asio::async_write(ws.next_layer(), asio::buffer(&action.payload[i], 1), kNoThrow);
            timer.expires_after(action.duration);
            if (!ec) std::tie(ec) = co_await timer.async_wait(kNoThrow);
          }
          break;
        }
      }
      if (ec) co_return;
    }
    // Silent from here on: reading only makes pongs and the client's close visible.
    beast::flat_buffer ignored;
    for (;;) {
      auto [ec, bytes] = co_await ws.async_read(ignored, kNoThrow);
      if (ec) co_return;
      ignored.clear();
    }
  }

  // Declared first, destroyed last: the coroutine frames it still owns at destruction hold streams
  // that refer to the SSL context.
  std::optional<ssl::context> ssl_context;
  const std::vector<ServerScript> scripts;
  std::atomic<int> accepts{0};
  std::atomic<int> tls_failures{0};
  std::atomic<int> upgrades{0};
  std::atomic<int> pongs{0};
  mutable std::mutex mutex;
  std::vector<std::string> seen_targets;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::uint16_t port = 0;  // read by the test thread: set before the server thread starts
  std::jthread thread;
};

FakeWsServer::FakeWsServer(std::vector<ServerScript> scripts, std::optional<ServerTlsFiles> tls)
    : impl_(std::make_unique<Impl>(std::move(scripts), tls)) {}

FakeWsServer::~FakeWsServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t FakeWsServer::port() const { return impl_->port; }
int FakeWsServer::tcp_accepts() const { return impl_->accepts.load(); }
int FakeWsServer::tls_failures() const { return impl_->tls_failures.load(); }
int FakeWsServer::upgrades() const { return impl_->upgrades.load(); }
int FakeWsServer::pongs() const { return impl_->pongs.load(); }

std::vector<std::string> FakeWsServer::targets() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->seen_targets;
}

struct SilentTcpServer::Impl {
  Impl() {
    listen_on_loopback(acceptor);
    port = acceptor.local_endpoint().port();
    asio::co_spawn(ioc, accept_loop(), asio::detached);
    thread = std::jthread([this] { ioc.run(); });
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (ec) co_return;
      held.push_back(std::make_unique<tcp::socket>(std::move(socket)));
      ++accepts;
      asio::co_spawn(ioc, swallow(*held.back()), asio::detached);
    }
  }

  // Reads and discards what the peer sends, answering nothing.
  asio::awaitable<void> swallow(tcp::socket& socket) {
    std::array<char, 4096> buffer{};
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kNoThrow);
      if (ec) co_return;
      bytes += n;
    }
  }

  std::atomic<int> accepts{0};
  std::atomic<std::uint64_t> bytes{0};
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::vector<std::unique_ptr<tcp::socket>> held;  // open until the server dies, so the peer sees no EOF
  std::uint16_t port = 0;
  std::jthread thread;
};

SilentTcpServer::SilentTcpServer() : impl_(std::make_unique<Impl>()) {}

SilentTcpServer::~SilentTcpServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t SilentTcpServer::port() const { return impl_->port; }
int SilentTcpServer::tcp_accepts() const { return impl_->accepts.load(); }
std::uint64_t SilentTcpServer::bytes_received() const { return impl_->bytes.load(); }

}  // namespace mc::testing
