#include "feed/feed_client.hpp"

// The only translation unit that sees Beast (with tls_socket.cpp, the only ones that see Asio): one
// coroutine per connection attempt on one io_context, driven by run() on the caller's thread, after
// Beast's websocket/client/awaitable and async-ssl examples. TLS is TlsSocket's.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <deque>
#include <cstring>
#include <exception>
#include <random>
#include <span>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <utility>

#include "common/log.hpp"
#include "feed/attempt_budget.hpp"
#include "feed/backoff.hpp"
#include "feed/control_messages.hpp"
#include "feed/tls_context.hpp"
#include "feed/tls_socket.hpp"
#include "feed/ws_frame_reader.hpp"
#include "feed/ws_protocol.hpp"
#include "feed/ws_url.hpp"

namespace mc {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// I/O errors come back as values; the coroutines throw only on resource exhaustion.
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Body of a refused upgrade kept for the error message; a longer one ends the attempt as well.
constexpr std::uint32_t kMaxRefusalBody = 64 * 1024;
constexpr const char* kUserAgent = "market-collector/" MC_VERSION;
// How long a stop request may take to wind the event loop down before it is ended regardless.
constexpr std::chrono::milliseconds kStopDeadline{1000};
// A connection up this long has proven the exchange reachable: the next failure starts the backoff over.
constexpr std::chrono::seconds kStableConnection{60};
// Longest URL a log line shows: two hundred streams make a 3 KB URL, its stream count says enough.
constexpr std::size_t kMaxLoggedUrl = 160;

using PlainStream = beast::tcp_stream;

// One connection attempt. The session coroutine, its watchdog and the stop request all run on the
// io_context's only thread, so nothing here needs a lock.
//
// The watchdog bounds every phase with one deadline, including resolve (which beast::tcp_stream's
// timer does not cover) and the read phase: Beast's own idle timer is re-armed only when a read
// operation starts, not by control frames arriving during it, so with keep_alive_pings off it would
// drop a quiet connection whose server still pings. Here every complete message or control frame
// moves the deadline; bytes alone do not, or a peer trickling a byte now and then would hold a dead
// connection for ever.
struct Connection {
  Connection(const asio::any_io_executor& executor, const Clock& clock_in, std::uint64_t number_in,
             std::vector<bool> subscribed_in, std::string target_in, asio::steady_timer& wake_in)
      : clock(clock_in),
        resolver(executor),
        watchdog_timer(executor),
        send_wake(executor),
        wake(wake_in),
        number(number_in),
        target(std::move(target_in)),
        subscribed(std::move(subscribed_in)),
        first_id(subscribed.size(), -1),
        last_id(subscribed.size(), -1) {}

  void enter(const char* next_phase, std::chrono::nanoseconds next_budget) {
    phase = next_phase;
    budget = next_budget;
    touch();
    // The watchdog sleeps until the deadline it saw last; a phase with a shorter budget (an idle
    // timeout below the connect timeout) must wake it to re-arm, or the stall is noticed late.
    watchdog_timer.cancel();
  }
  // Cheap enough for every read: the watchdog reads the deadline when it wakes up.
  void touch() { deadline = clock.steady_now() + budget; }
  void abort() {
    resolver.cancel();
    // Closing the socket ends whatever waits on it, in Asio or in TlsSocket.
    boost::system::error_code ignored;
    if (transport != nullptr) transport->close(ignored);
  }
  // Tells the supervisor something changed; it re-checks what it waits for.
  void notify() { wake.cancel(); }

  void saw_trade(std::size_t stream, std::int64_t id) {
    // A stream subscribed after the connection opened has a position beyond its first list.
    if (stream >= first_id.size()) {
      first_id.resize(stream + 1, -1);
      last_id.resize(stream + 1, -1);
    }
    if (first_id[stream] == -1) {
      first_id[stream] = id;
      notify();
    }
    last_id[stream] = std::max(last_id[stream], id);
  }

  // Hands frames to the sender (send_messages), which writes them one at a time: pongs at once,
  // control messages paced (ControlPacer).
  void send(std::string frame, bool control) {
    (control ? controls : pongs_out).push_back(std::move(frame));
    send_wake.cancel();
  }

  const Clock& clock;
  tcp::resolver resolver;
  asio::steady_timer watchdog_timer;
  asio::steady_timer send_wake;  // the sender sleeps on it; send() wakes it
  asio::steady_timer& wake;
  tcp::socket* transport = nullptr;        // the live stream's socket; null once it is gone
  const std::uint64_t number;              // 1, 2, ... in the order of attempts: names it in logs
  const std::string target;                // the request target: the streams active when it started
  // By stream position: what this connection asked for, in its URL or with SUBSCRIBE since.
  std::vector<bool> subscribed;
  std::deque<std::string> pongs_out;       // masked pong frames to write
  std::deque<std::string> controls;        // masked SUBSCRIBE / UNSUBSCRIBE frames to write, paced
  ControlPacer pacer;
  bool reading = true;                     // false once the session's reader has ended
  const char* phase = "resolve";
  std::chrono::nanoseconds budget{};
  SteadyClock::time_point deadline;
  SteadyClock::time_point connected_at;
  std::vector<std::int64_t> first_id;  // per stream: the first trade id it delivered, -1 before
  std::vector<std::int64_t> last_id;   // per stream: the largest trade id it delivered
  Status result;                       // why it ended, once finished
  int close_code = 0;                  // the server's close frame code, 0 without one
  bool timed_out = false;
  bool finished = false;
  bool connected = false;
  bool shutdown_announced = false;  // a serverShutdown event arrived on it
  bool retired = false;             // closed by the client after its replacement took over
};

// The replacement has delivered, on every active stream, an id the old connection delivered too: from
// there on, whatever the old one would still deliver, the new one delivers as well.
bool overlapped(const Connection& old_conn, const Connection& new_conn, const std::vector<bool>& active) {
  for (std::size_t i = 0; i < active.size(); ++i) {
    if (!active[i]) continue;
    const std::int64_t first = i < new_conn.first_id.size() ? new_conn.first_id[i] : -1;
    const std::int64_t last = i < old_conn.last_id.size() ? old_conn.last_id[i] : -1;
    if (first == -1 || first > last) return false;
  }
  return true;
}

// Why a connection in service ended on its own.
ReconnectReason lost_reason(const Connection& conn) {
  if (conn.timed_out) return ReconnectReason::kIdle;
  if (conn.close_code != 0) return ReconnectReason::kServerClose;
  return ReconnectReason::kError;
}

// Close codes a server sends when it goes away on purpose (1001 going away, 1012 service restart):
// reconnect at once instead of backing off.
bool announces_restart(int close_code) { return close_code == 1001 || close_code == 1012; }

// Deadlines are read on the injected Clock; Asio's timers wait on the real steady clock, so a timer
// waits the time left until the deadline and the caller checks the Clock again when it fires.
void arm(asio::steady_timer& timer, SteadyClock::time_point deadline, const Clock& clock) {
  if (deadline == SteadyClock::time_point::max()) {
    timer.expires_at(SteadyClock::time_point::max());
  } else {
    timer.expires_after(std::max(deadline - clock.steady_now(), SteadyClock::duration::zero()));
  }
}

asio::awaitable<void> watch(std::shared_ptr<Connection> conn) {
  while (!conn->finished) {
    arm(conn->watchdog_timer, conn->deadline, conn->clock);
    co_await conn->watchdog_timer.async_wait(kNoThrow);
    if (!conn->finished && conn->clock.steady_now() >= conn->deadline) {
      conn->timed_out = true;
      conn->abort();
      co_return;
    }
  }
}

// Text the server chose goes into a quoted log field: keep it from closing the quotes or breaking the line.
Status failed(std::string_view phase, const boost::system::error_code& ec) {
  return Status::retryable(std::string(phase) + ": " + ec.message());
}

// The URL for logs: whole when short, else cut after a stream name and followed by the stream count.
std::string logged_url(std::string url, std::size_t streams) {
  if (url.size() <= kMaxLoggedUrl) return url;
  const std::size_t cut = url.rfind('/', kMaxLoggedUrl);
  url.resize(cut == std::string::npos ? kMaxLoggedUrl : cut);
  return url + "/...(" + std::to_string(streams) + "_streams)";
}

}  // namespace

struct FeedClient::Impl {
  Impl(FeedOptions options_in, FeedHandler& handler_in, const Clock& clock_in, FeedMetrics& metrics_in)
      : options(std::move(options_in)),
        handler(handler_in),
        clock(clock_in),
        metrics(metrics_in),
        log(make_logger(options.log_name)),
        url(parse_ws_url(options.base_url)),
        attempt_budget(options.attempt_budget ? options.attempt_budget : std::make_shared<AttemptBudget>()),
        rng(std::random_device{}()),
        backoff(options.backoff_initial, options.backoff_max, [this] { return unit(rng); }) {
    for (const std::string& stream : options.streams) {
      position_of.emplace(stream, streams.size());
      streams.push_back(stream);
      active.push_back(true);
    }
    describe_streams();
  }

  // The request target of the next connection, and its URL for logs.
  void describe_streams() {
    if (!url) return;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (active[i]) names.push_back(streams[i]);
    }
    active_count = names.size();
    target = stream_target(*url, names);
    display_url = logged_url(url->to_string() + target.substr(url->base_path.size()), names.size());
  }
  std::vector<std::size_t> add_streams(const std::vector<std::string>& names);
  void remove_streams(const std::vector<std::string>& names);
  // Queues the SUBSCRIBE / UNSUBSCRIBE messages that bring a connected conn to the active streams.
  void reconcile(Connection& conn);

  void run(const std::stop_token& stop);
  void request_stop();
  asio::awaitable<void> supervise();
  asio::awaitable<void> beat();
  template <class Predicate>
  asio::awaitable<void> wait_until(Predicate done, SteadyClock::time_point deadline);
  asio::awaitable<std::shared_ptr<Connection>> start_connection();
  asio::awaitable<std::shared_ptr<Connection>> keep_alive(std::shared_ptr<Connection> conn);
  SteadyClock::time_point replace_at(const Connection& conn);
  asio::awaitable<void> run_connection(std::shared_ptr<Connection> conn);
  asio::awaitable<Status> attempt(const std::shared_ptr<Connection>& conn);
  asio::awaitable<Status> attempt_tls(Connection& conn);
  template <class Stream>
  asio::awaitable<Status> session(Stream& stream, Connection& conn);
  asio::awaitable<Status> connect_tcp(tcp::socket& socket, Connection& conn);
  asio::awaitable<Status> handshake_tls(TlsSocket& stream, Connection& conn);
  template <class Stream>
  asio::awaitable<Status> handshake_ws(Stream& stream, WsFrameReader& frames, const std::string& request_target);
  template <class Stream>
  asio::awaitable<Status> read_messages(Stream& stream, WsFrameReader& frames, Connection& conn);
  template <class Stream>
  asio::awaitable<Status> read_until_ended(Stream& stream, WsFrameReader& frames, Connection& conn);
  template <class Stream>
  asio::awaitable<Status> send_messages(Stream& stream, Connection& conn);
  Status handle_frames(WsFrameReader& frames, Connection& conn, std::int64_t recv_us, std::string& pongs);
  std::string describe_timeout(const Connection& conn) const;

  const FeedOptions options;
  FeedHandler& handler;
  const Clock& clock;
  FeedMetrics& metrics;
  std::shared_ptr<spdlog::logger> log;
  const Result<WsUrl> url;
  // Every stream this client was ever asked for, by position (MessageSeen::stream): a position is
  // never reused, so trade ids seen per position stay meaningful while the set changes.
  std::vector<std::string> streams;
  std::vector<bool> active;  // by position: subscribed now
  std::unordered_map<std::string, std::size_t> position_of;
  std::size_t active_count = 0;
  std::uint64_t next_message_id = 1;
  std::string target;
  std::string display_url;
  const std::shared_ptr<AttemptBudget> attempt_budget;  // safe from any thread
  std::mt19937_64 rng;
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  Backoff backoff;

  // Touched only on the io_context's thread.
  asio::io_context ioc{1};
  asio::steady_timer wake{ioc};  // the supervisor sleeps on it; cancel() wakes it
  asio::steady_timer heartbeat_timer{ioc};
  asio::steady_timer stop_deadline{ioc};
  std::uint64_t attempts = 0;
  // Written on the io_context's thread, read by any: steady-clock ticks of the last heartbeat.
  std::atomic<SteadyClock::rep> heartbeat{clock.steady_now().time_since_epoch().count()};
  TlsContext tls_context;  // built on the first wss attempt, kept once it loads
  std::vector<std::shared_ptr<Connection>> live;  // every connection not yet finished (two while switching)
  bool stopping = false;
};

void FeedClient::Impl::run(const std::stop_token& stop) {
  if (!url) {
    log->error("feed not started url={} error=\"{}\"", log_safe(options.base_url), url.status().message());
    return;
  }
  ioc.restart();
  stopping = false;
  // The callback may run on any thread; the work it asks for happens on the io_context's.
  const std::stop_callback on_stop(stop, [this] { asio::post(ioc, [this] { request_stop(); }); });
  asio::co_spawn(ioc, beat(), asio::detached);
  asio::co_spawn(ioc, supervise(), [this](const std::exception_ptr& error) {
    // Once the supervisor is done nothing is left to deliver: end the loop now rather than wait for
    // whatever else is pending (a watchdog or heartbeat timer) to notice.
    ioc.stop();
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log->error("feed loop ended by an exception url={} error=\"{}\"", display_url, log_safe(e.what()));
    } catch (...) {
      log->error("feed loop ended by an unknown exception url={}", display_url);
    }
  });
  ioc.run();
}

void FeedClient::Impl::request_stop() {
  stopping = true;
  wake.cancel();
  heartbeat_timer.cancel();
  for (const auto& conn : live) conn->abort();
  // An operation abort() does not reach (seen under heavy load: the loop still running 30 s after
  // SIGTERM) must not hold the process: after this long the loop is ended regardless.
  stop_deadline.expires_after(kStopDeadline);
  stop_deadline.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      log->warn("feed loop still busy {} ms after the stop request; ending it", kStopDeadline.count());
      ioc.stop();
    }
  });
}

asio::awaitable<void> FeedClient::Impl::beat() {
  while (!stopping) {
    heartbeat.store(clock.steady_now().time_since_epoch().count(), std::memory_order_relaxed);
    heartbeat_timer.expires_after(std::chrono::seconds(1));
    co_await heartbeat_timer.async_wait(kNoThrow);
  }
}

// One connection at a time, except while a replacement takes over from an old one. A connection that
// ends on its own is followed by a new one after a backoff delay (none when the server announced a
// restart); one that reaches its age or is told of a server shutdown is replaced make-before-break.
asio::awaitable<void> FeedClient::Impl::supervise() {
  while (!stopping) {
    const std::shared_ptr<Connection> conn = co_await keep_alive(co_await start_connection());
    if (stopping) break;
    if (conn->connected) bump(metrics.reconnects_by_reason[static_cast<std::size_t>(lost_reason(*conn))]);
    if (conn->connected && clock.steady_now() - conn->connected_at >= kStableConnection) backoff.reset();
    std::chrono::milliseconds delay = backoff.next();
    if (conn->connected && (announces_restart(conn->close_code) || conn->shutdown_announced)) {
      delay = std::chrono::milliseconds::zero();
    }
    log->warn("{} url={} conn={} error=\"{}\" attempt={} delay_ms={}",
              conn->connected ? "connection lost" : "connection failed", display_url, conn->number,
              conn->result.message(), backoff.failures(), delay.count());
    co_await wait_until([] { return false; }, clock.steady_now() + delay);
  }
  // The stop request aborted every live connection; they end as soon as their operations return.
  while (!live.empty()) {
    wake.expires_at(SteadyClock::time_point::max());
    co_await wake.async_wait(kNoThrow);
  }
  log->info("feed stopped url={}", display_url);
}

template <class Predicate>
asio::awaitable<void> FeedClient::Impl::wait_until(Predicate done, SteadyClock::time_point deadline) {
  while (!stopping && !done() && clock.steady_now() < deadline) {
    arm(wake, deadline, clock);
    co_await wake.async_wait(kNoThrow);
  }
}

// Starts an attempt once the attempt budget allows it; returns without waiting for its outcome.
asio::awaitable<std::shared_ptr<Connection>> FeedClient::Impl::start_connection() {
  // Another connection may take the slot this one waited for: ask again after every wait.
  for (auto budget_wait = attempt_budget->take(clock.steady_now()); budget_wait > SteadyClock::duration::zero();
       budget_wait = attempt_budget->take(clock.steady_now())) {
    log->warn("connection attempts at their budget ({} per {} s); next attempt in {} ms", kMaxConnectAttempts,
              std::chrono::duration_cast<std::chrono::seconds>(kConnectAttemptWindow).count(),
              std::chrono::duration_cast<std::chrono::milliseconds>(budget_wait).count());
    co_await wait_until([] { return false; }, clock.steady_now() + budget_wait);
    if (stopping) break;
  }
  auto conn = std::make_shared<Connection>(co_await asio::this_coro::executor, clock, ++attempts, active, target, wake);
  live.push_back(conn);
  asio::co_spawn(ioc, run_connection(conn), asio::detached);
  co_return conn;
}

asio::awaitable<void> FeedClient::Impl::run_connection(std::shared_ptr<Connection> conn) {
  conn->result = co_await attempt(conn);
  std::erase(live, conn);
  conn->notify();
}

// Follows conn, and its replacements, until the one in service ends without a successor (or the feed
// stops); returns that one.
asio::awaitable<std::shared_ptr<Connection>> FeedClient::Impl::keep_alive(std::shared_ptr<Connection> conn) {
  co_await wait_until([&] { return conn->finished || conn->connected; }, SteadyClock::time_point::max());
  while (!stopping && !conn->finished) {
    co_await wait_until([&] { return conn->finished || conn->shutdown_announced; }, replace_at(*conn));
    if (stopping || conn->finished) break;

    const char* why = conn->shutdown_announced ? "server_shutdown" : "max_age";
    log->info("opening a replacement connection reason={} conn={} age_s={}", why, conn->number,
              std::chrono::duration_cast<std::chrono::seconds>(clock.steady_now() - conn->connected_at).count());
    const std::shared_ptr<Connection> next = co_await start_connection();
    const auto overlap_deadline = clock.steady_now() + options.connect_timeout + options.overlap_timeout;
    co_await wait_until([&] { return next->finished || conn->finished || (next->connected && overlapped(*conn, *next, active)); },
                        overlap_deadline);
    if (stopping) break;
    if (next->finished) {
      // The old connection still serves; try again after a backoff delay unless it ends first.
      const std::chrono::milliseconds delay = backoff.next();
      log->warn("replacement connection failed url={} conn={} error=\"{}\" keeping conn={} retry_in_ms={}",
                display_url, next->number, next->result.message(), conn->number, delay.count());
      co_await wait_until([&] { return conn->finished; }, clock.steady_now() + delay);
      continue;
    }
    const bool proven = next->connected && overlapped(*conn, *next, active);
    bump(metrics.reconnects_by_reason[static_cast<std::size_t>(
        conn->shutdown_announced ? ReconnectReason::kServerShutdown : ReconnectReason::kMaxAge)]);
    log->info("switched to the replacement connection conn={} from={} overlap={}", next->number, conn->number,
              proven ? "proven" : (conn->finished ? "old_closed_first" : "timed_out"));
    if (!conn->finished) {
      conn->retired = true;
      conn->abort();
    }
    conn = next;
    co_await wait_until([&] { return conn->finished || conn->connected; }, SteadyClock::time_point::max());
  }
  co_return conn;
}

// The connection's age limit, less a random share of up to a tenth of it, so instances started
// together do not all switch at the same moment.
SteadyClock::time_point FeedClient::Impl::replace_at(const Connection& conn) {
  const auto age = std::chrono::duration_cast<SteadyClock::duration>(options.max_age);
  const auto jitter = std::chrono::duration_cast<SteadyClock::duration>(age * (unit(rng) / 10.0));
  return conn.connected_at + age - jitter;
}

asio::awaitable<Status> FeedClient::Impl::attempt(const std::shared_ptr<Connection>& conn) {
  conn->enter("resolve", options.connect_timeout);
  asio::co_spawn(conn->watchdog_timer.get_executor(), watch(conn), asio::detached);
  Status status;
  try {
    if (url->tls) {
      status = co_await attempt_tls(*conn);
    } else {
      PlainStream stream(conn->resolver.get_executor());
      status = co_await session(stream, *conn);
    }
  } catch (const std::exception& e) {
    status = Status::retryable(std::string("unexpected exception: ") + log_safe(e.what()));
  }
  conn->transport = nullptr;
  conn->finished = true;
  conn->watchdog_timer.cancel();
  if (stopping) {
    status = Status::retryable("stop requested");
  } else if (conn->retired) {
    status = Status::retryable("retired: its replacement took over");
  } else if (conn->timed_out) {
    status = Status::retryable(describe_timeout(*conn));
  }
  if (conn->connected) {
    bump(metrics.ws_disconnects);
    metrics.ws_connections_up.fetch_sub(1, std::memory_order_relaxed);
    handler.on_disconnected(status.message());
  }
  co_return status;
}

asio::awaitable<Status> FeedClient::Impl::attempt_tls(Connection& conn) {
  if (!tls_context) {
    Result<TlsContext> made = make_tls_context(options.ca_file);
    if (!made) co_return made.status();
    tls_context = std::move(made).value();
  }
  TlsSocket stream(conn.resolver.get_executor(), tls_context.get());
  co_return co_await session(stream, conn);
}

std::string FeedClient::Impl::describe_timeout(const Connection& conn) const {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(conn.budget).count();
  if (std::string_view(conn.phase) == "read") return "no frame for " + std::to_string(seconds) + "s (idle timeout)";
  return std::string(conn.phase) + ": timed out after " + std::to_string(seconds) + "s";
}

template <class Stream>
asio::awaitable<Status> FeedClient::Impl::session(Stream& stream, Connection& conn) {
  conn.transport = &stream.socket();
  // A stop request aborts the operation in progress; one that came between two operations (a
  // resolve already completed, a socket not yet open) is seen here, or the next one would run on.
  const Status stopped = Status::retryable("stop requested");
  if (Status status = co_await connect_tcp(stream.socket(), conn); !status) co_return status;
  if (stopping) co_return stopped;
  if constexpr (std::is_same_v<Stream, TlsSocket>) {
    if (Status status = co_await handshake_tls(stream, conn); !status) co_return status;
    if (stopping) co_return stopped;
  }

  WsFrameReader frames(options.max_message_bytes);
  conn.enter("ws_handshake", options.connect_timeout);
  if (Status status = co_await handshake_ws(stream, frames, conn.target); !status) co_return status;
  if (stopping) co_return stopped;

  conn.connected = true;
  conn.connected_at = clock.steady_now();
  conn.notify();
  bump(metrics.ws_connects);
  metrics.ws_connections_up.fetch_add(1, std::memory_order_relaxed);
  log->info("connected url={} conn={} tls={} streams={}", display_url, conn.number, url->tls ? "on" : "off",
            active_count);
  handler.on_connected();
  // The streams may have changed since this connection's URL was made.
  reconcile(conn);
  // One reader and one writer at a time on the stream (TLS allows no more); when either ends, the
  // other is cancelled and awaited before the stream goes away.
  using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace): operator||
  auto ended = co_await (read_until_ended(stream, frames, conn) || send_messages(stream, conn));
  co_return ended.index() == 0 ? std::get<0>(std::move(ended)) : std::get<1>(std::move(ended));
}

template <class Stream>
asio::awaitable<Status> FeedClient::Impl::read_until_ended(Stream& stream, WsFrameReader& frames, Connection& conn) {
  Status ended = co_await read_messages(stream, frames, conn);
  conn.reading = false;
  co_return ended;
}

template <class Stream>
asio::awaitable<Status> FeedClient::Impl::send_messages(Stream& stream, Connection& conn) {
  // Ends once the reader has: operator|| then cancels the wait below, and a wake-up by send() is
  // told apart by the flag.
  while (conn.reading) {
    std::string out;
    for (; !conn.pongs_out.empty(); conn.pongs_out.pop_front()) out += conn.pongs_out.front();
    SteadyClock::time_point next = SteadyClock::time_point::max();
    if (!conn.controls.empty()) {
      const SteadyClock::time_point now = clock.steady_now();
      next = conn.pacer.next_at(now);
      if (next <= now) {
        out += conn.controls.front();
        conn.controls.pop_front();
        conn.pacer.sent(now);
        next = SteadyClock::time_point::max();
      }
    }
    if (!out.empty()) {
      if (auto [ec, bytes] = co_await asio::async_write(stream, asio::buffer(out), kNoThrow); ec) {
        conn.abort();  // ends the reader too
        co_return failed("write", ec);
      }
      continue;
    }
    arm(conn.send_wake, next, clock);
    co_await conn.send_wake.async_wait(kNoThrow);
  }
  co_return Status::ok();
}

std::vector<std::size_t> FeedClient::Impl::add_streams(const std::vector<std::string>& names) {
  std::vector<std::size_t> positions;
  for (const std::string& name : names) {
    auto [it, added] = position_of.emplace(name, streams.size());
    if (added) {
      streams.push_back(name);
      active.push_back(true);
    } else {
      active[it->second] = true;
    }
    positions.push_back(it->second);
  }
  describe_streams();
  for (const auto& conn : live) {
    if (conn->connected && !conn->finished) reconcile(*conn);
  }
  return positions;
}

void FeedClient::Impl::remove_streams(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (const auto it = position_of.find(name); it != position_of.end()) active[it->second] = false;
  }
  describe_streams();
  for (const auto& conn : live) {
    if (conn->connected && !conn->finished) reconcile(*conn);
  }
}

void FeedClient::Impl::reconcile(Connection& conn) {
  conn.subscribed.resize(streams.size(), false);
  std::vector<std::string> subscribe;
  std::vector<std::string> unsubscribe;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (active[i] == conn.subscribed[i]) continue;
    (active[i] ? subscribe : unsubscribe).push_back(streams[i]);
    conn.subscribed[i] = active[i];
  }
  const auto queue = [&](StreamMethod method, const std::vector<std::string>& names) {
    for (ControlMessage& message : control_messages(method, names, next_message_id)) {
      Result<std::string> frame = masked_text(message.text);
      if (!frame) {
        log->error("control message not sent conn={} id={} error=\"{}\"", conn.number, message.id,
                   frame.status().message());
        continue;
      }
      log->info("{} conn={} id={} streams={} first={}",
                method == StreamMethod::kSubscribe ? "subscribing" : "unsubscribing", conn.number, message.id,
                message.streams, names.front());
      conn.send(std::move(frame).value(), true);
    }
  };
  queue(StreamMethod::kUnsubscribe, unsubscribe);
  queue(StreamMethod::kSubscribe, subscribe);
}

asio::awaitable<Status> FeedClient::Impl::connect_tcp(tcp::socket& socket, Connection& conn) {
  // Resolve and connect share one budget.
  auto [resolve_ec, endpoints] =
      co_await conn.resolver.async_resolve(url->host, std::to_string(url->port), kNoThrow);
  if (resolve_ec) co_return failed("resolve", resolve_ec);
  if (stopping) co_return Status::retryable("stop requested");
  conn.phase = "connect";
  if (auto [ec, endpoint] = co_await asio::async_connect(socket, endpoints, kNoThrow); ec) co_return failed("connect", ec);
  co_return Status::ok();
}

asio::awaitable<Status> FeedClient::Impl::handshake_tls(TlsSocket& stream, Connection& conn) {
  conn.enter("tls_handshake", options.connect_timeout);
  co_return co_await stream.handshake(url->host);
}

// The opening handshake (RFC 6455 4.1). Frames the server sent right behind its answer may have
// been read with it: they go to the frame reader, not lost.
template <class Stream>
asio::awaitable<Status> FeedClient::Impl::handshake_ws(Stream& stream, WsFrameReader& frames,
                                                      const std::string& request_target) {
  Result<std::string> key = make_ws_key();
  if (!key) co_return key.status();
  http::request<http::empty_body> request{http::verb::get, request_target, 11};
  request.set(http::field::host, url->host_header());
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::sec_websocket_key, *key);
  request.set(http::field::sec_websocket_version, "13");
  request.set(http::field::user_agent, kUserAgent);
  if (auto [ec, bytes] = co_await http::async_write(stream, request, kNoThrow); ec) co_return failed("ws_handshake", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxRefusalBody);
  if (auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kNoThrow); ec) {
    co_return failed("ws_handshake", ec);
  }
  const http::response<http::string_body>& answer = parser.get();
  const auto header = [&answer](http::field field) {
    const auto value = answer[field];
    return std::string_view(value.data(), value.size());
  };
  if (Status checked = check_ws_upgrade({.status = static_cast<int>(answer.result_int()),
                                         .upgrade = header(http::field::upgrade),
                                         .connection = header(http::field::connection),
                                         .accept = header(http::field::sec_websocket_accept),
                                         .extensions = header(http::field::sec_websocket_extensions),
                                         .body = answer.body()},
                                        *key);
      !checked) {
    co_return checked;
  }
  const auto rest = buffer.cdata();
  for (std::size_t copied = 0; copied < rest.size();) {
    const std::span<char> room = frames.read_buffer();
    const std::size_t n = std::min(room.size(), rest.size() - copied);
    std::memcpy(room.data(), static_cast<const char*>(rest.data()) + copied, n);
    frames.commit(n);
    copied += n;
  }
  co_return Status::ok();
}

// Whatever the transport has is read at once and every complete frame in it handled before the
// next read: one event-loop turn per read, not per message. Over TLS a read takes everything the
// socket holds (TlsSocket::read_available), in plain one system call's worth.
template <class Stream>
asio::awaitable<Status> FeedClient::Impl::read_messages(Stream& stream, WsFrameReader& frames, Connection& conn) {
  conn.enter("read", options.idle_timeout);
  std::int64_t recv_us = clock.system_now_us();
  std::string pongs;
  for (;;) {
    Status handled = handle_frames(frames, conn, recv_us, pongs);
    handler.on_read_end();
    if (!handled) co_return handled;
    if (!pongs.empty()) conn.send(std::exchange(pongs, {}), false);
    const std::span<char> room = frames.read_buffer();
    std::tuple<boost::system::error_code, std::size_t> read;
    if constexpr (std::is_same_v<Stream, TlsSocket>) {
      read = co_await stream.read_available(room);
    } else {
      read = co_await stream.async_read_some(asio::buffer(room.data(), room.size()), kNoThrow);
    }
    auto [ec, bytes] = read;
    if (ec) co_return failed("read", ec);
    frames.commit(bytes);
    // The messages of one read came in with one system call: they share its receive time.
    recv_us = clock.system_now_us();
  }
}

// Delivers the complete messages in the reader, queues a pong for each ping; a close frame or a
// protocol error ends the connection. Any complete event is a sign of life for the watchdog.
Status FeedClient::Impl::handle_frames(WsFrameReader& frames, Connection& conn, std::int64_t recv_us,
                                       std::string& pongs) {
  // Counted once per read, however it ends: two atomic adds a message showed in the profile.
  struct ReadCount {
    FeedMetrics& metrics;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    ~ReadCount() {
      if (messages == 0) return;
      bump(metrics.ws_messages, messages);
      bump(metrics.ws_bytes, bytes);
    }
  } count{metrics};
  bool alive = false;  // a complete event arrived; the watchdog is told once per read, not per message
  for (;;) {
    Result<WsEvent> event = frames.next();
    if (!event) return event.status().with_context("read");
    switch (event->kind) {
      case WsEventKind::kNeedMore:
        if (alive) conn.touch();
        return Status::ok();
      case WsEventKind::kMessage: {
        ++count.messages;
        count.bytes += event->payload.size();
        const MessageSeen seen = handler.on_message(event->payload, event->text, recv_us);
        if (seen.stream) conn.saw_trade(*seen.stream, seen.trade_id);
        if (seen.server_shutdown && !conn.shutdown_announced) {
          conn.shutdown_announced = true;
          conn.notify();
        }
        break;
      }
      case WsEventKind::kOversize:
        ++count.messages;
        count.bytes += event->message_bytes;
        bump(metrics.ws_messages_oversize);
        handler.on_oversize(event->payload, event->text, event->message_bytes, recv_us);
        break;
      case WsEventKind::kPing: {
        bump(metrics.ws_pings);
        Result<std::string> pong = masked_pong(event->payload);
        if (!pong) return pong.status();
        pongs += *pong;
        break;
      }
      case WsEventKind::kPong: break;
      case WsEventKind::kClose:
        // No close frame goes back: the socket is closed at once, which the server sees the same way.
        conn.close_code = event->close_code;
        return Status::retryable("closed by server code=" + std::to_string(event->close_code) +
                                 " reason=" + log_safe(event->payload));
    }
    alive = true;
  }
}

FeedClient::FeedClient(FeedOptions options, FeedHandler& handler, const Clock& clock, FeedMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), handler, clock, metrics)) {}

FeedClient::~FeedClient() = default;

void FeedClient::run(const std::stop_token& stop) { impl_->run(stop); }

void FeedClient::post(std::function<void()> task) { boost::asio::post(impl_->ioc, std::move(task)); }

std::vector<std::size_t> FeedClient::add_streams(const std::vector<std::string>& streams) {
  return impl_->add_streams(streams);
}

void FeedClient::remove_streams(const std::vector<std::string>& streams) { impl_->remove_streams(streams); }

std::size_t FeedClient::active_streams() const { return impl_->active_count; }

std::chrono::steady_clock::time_point FeedClient::last_heartbeat() const {
  return std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(impl_->heartbeat.load(std::memory_order_relaxed)));
}

}  // namespace mc
