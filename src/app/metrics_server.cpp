#include "app/metrics_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <list>
#include <thread>
#include <utility>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include "common/build_info.hpp"
#include "common/log.hpp"
#include "common/thread_name.hpp"

namespace mc {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// How long one connection may take, from accept to the last byte of the answer.
constexpr std::chrono::seconds kConnectionDeadline{2};
// Most connections served at once; Prometheus needs one.
constexpr std::size_t kMaxConnections = 16;
// A request line longer than this is answered as whatever it starts with.
constexpr std::size_t kMaxRequestHead = 4096;
// Pauses after an accept() that failed for lack of descriptors or memory.
constexpr std::chrono::milliseconds kAcceptBackoffMin{50};
constexpr std::chrono::milliseconds kAcceptBackoffMax{1000};

struct CounterRow {
  const char* name;
  const char* help;
  const Counter& (*field)(const Metrics&);
};

// One counter of one module's struct in Metrics.
template <auto kModule, auto kField>
const Counter& counter_of(const Metrics& metrics) {
  return (metrics.*kModule).*kField;
}

constexpr std::array kCounters{
    CounterRow{"market_collector_ws_connects_total", "WebSocket connections established", &counter_of<&Metrics::feed, &FeedMetrics::ws_connects>},
    CounterRow{"market_collector_ws_disconnects_total", "WebSocket connections lost or closed", &counter_of<&Metrics::feed, &FeedMetrics::ws_disconnects>},
    CounterRow{"market_collector_ws_messages_total", "WebSocket messages received", &counter_of<&Metrics::feed, &FeedMetrics::ws_messages>},
    CounterRow{"market_collector_ws_bytes_total", "WebSocket payload bytes received", &counter_of<&Metrics::feed, &FeedMetrics::ws_bytes>},
    CounterRow{"market_collector_ws_pings_total", "WebSocket pings received", &counter_of<&Metrics::feed, &FeedMetrics::ws_pings>},
    CounterRow{"market_collector_ws_messages_oversize_total", "WebSocket messages over WS_MAX_MESSAGE_BYTES, quarantined as their first 4 KiB (the connection stays)", &counter_of<&Metrics::feed, &FeedMetrics::ws_messages_oversize>},
    CounterRow{"market_collector_symbols_listed_total", "SYMBOL=ALL: new listings subscribed", &counter_of<&Metrics::feed, &FeedMetrics::symbols_listed>},
    CounterRow{"market_collector_symbols_delisted_total", "SYMBOL=ALL: delisted symbols unsubscribed, their writers ended", &counter_of<&Metrics::feed, &FeedMetrics::symbols_delisted>},
    CounterRow{"market_collector_symbols_unplaced_total", "SYMBOL=ALL: listings not collected, every connection at 1024 streams (alarm)", &counter_of<&Metrics::feed, &FeedMetrics::symbols_unplaced>},
    CounterRow{"market_collector_symbol_list_failures_total", "SYMBOL=ALL: reads of exchangeInfo that failed or were refused", &counter_of<&Metrics::feed, &FeedMetrics::symbol_list_failures>},
    CounterRow{"market_collector_records_routed_total", "records queued for a writer", &counter_of<&Metrics::records, &RecordMetrics::records_routed>},
    CounterRow{"market_collector_records_ignored_total", "control messages dropped (subscription replies)", &counter_of<&Metrics::records, &RecordMetrics::records_ignored>},
    CounterRow{"market_collector_records_quarantined_total", "malformed messages kept in quarantine", &counter_of<&Metrics::records, &RecordMetrics::records_quarantined>},
    CounterRow{"market_collector_records_dropped_total", "records that could not be queued or written (alarm)", &counter_of<&Metrics::records, &RecordMetrics::records_dropped>},
    CounterRow{"market_collector_trade_id_gaps_total", "forward jumps of a symbol's written trade id (reconnects, restarts, exchange gaps)", &counter_of<&Metrics::ledger, &LedgerMetrics::trade_id_gaps>},
    CounterRow{"market_collector_trade_ids_missing_total", "trade ids skipped by those jumps, queued for backfill", &counter_of<&Metrics::ledger, &LedgerMetrics::trade_ids_missing>},
    CounterRow{"market_collector_trade_ids_duplicate_total", "trades not written again (overlapping connections, repeated backfill)", &counter_of<&Metrics::ledger, &LedgerMetrics::trade_ids_duplicate>},
    CounterRow{"market_collector_trade_ids_backfilled_total", "missing trade ids written later", &counter_of<&Metrics::ledger, &LedgerMetrics::trade_ids_backfilled>},
    CounterRow{"market_collector_trade_ids_unrecoverable_total", "missing trade ids the exchange says do not exist", &counter_of<&Metrics::ledger, &LedgerMetrics::trade_ids_unrecoverable>},
    CounterRow{"market_collector_backfill_requests_total", "historicalTrades requests sent", &counter_of<&Metrics::backfill, &BackfillMetrics::backfill_requests>},
    CounterRow{"market_collector_backfill_rate_limited_total", "historicalTrades answers 429 or 418", &counter_of<&Metrics::backfill, &BackfillMetrics::backfill_rate_limited>},
    CounterRow{"market_collector_backfill_failures_total", "historicalTrades requests that failed and were retried", &counter_of<&Metrics::backfill, &BackfillMetrics::backfill_failures>},
    CounterRow{"market_collector_backfill_not_served_total", "historicalTrades pages that did not serve ids known to exist yet (REST trailing the stream), asked again", &counter_of<&Metrics::backfill, &BackfillMetrics::backfill_not_served>},
    CounterRow{"market_collector_trade_ids_late_total", "trade ids given up as not existing that arrived after all and were written", &counter_of<&Metrics::ledger, &LedgerMetrics::trade_ids_late>},
    CounterRow{"market_collector_parts_opened_total", "parts opened in the spool", &counter_of<&Metrics::spool, &SpoolMetrics::parts_opened>},
    CounterRow{"market_collector_parts_sealed_total", "parts compressed, hashed and given a manifest", &counter_of<&Metrics::spool, &SpoolMetrics::parts_sealed>},
    CounterRow{"market_collector_seal_failures_total", "sealing attempts that failed", &counter_of<&Metrics::spool, &SpoolMetrics::seal_failures>},
    CounterRow{"market_collector_write_errors_total", "spool write errors", &counter_of<&Metrics::spool, &SpoolMetrics::write_errors>},
    CounterRow{"market_collector_bytes_written_total", "bytes appended to open parts", &counter_of<&Metrics::spool, &SpoolMetrics::bytes_written>},
    CounterRow{"market_collector_writer_fdatasyncs_total", "fdatasyncs of part files by the writer thread", &counter_of<&Metrics::spool, &SpoolMetrics::writer_fdatasyncs>},
    CounterRow{"market_collector_writer_syncfs_total", "syncfs calls by the writer thread, each making many part files durable", &counter_of<&Metrics::spool, &SpoolMetrics::writer_syncfs>},
    CounterRow{"market_collector_uploads_total", "parts stored with their manifest", &counter_of<&Metrics::upload, &UploadMetrics::uploads_ok>},
    CounterRow{"market_collector_upload_failures_total", "failed store requests (retried)", &counter_of<&Metrics::upload, &UploadMetrics::upload_failures>},
    CounterRow{"market_collector_bytes_uploaded_total", "bytes stored (parts and manifests)", &counter_of<&Metrics::upload, &UploadMetrics::bytes_uploaded>},
    CounterRow{"market_collector_upload_sha256_mismatches_total", "sealed parts whose bytes differ from their manifest's sha256 (never uploaded; alarm)", &counter_of<&Metrics::upload, &UploadMetrics::upload_sha256_mismatches>},
    CounterRow{"market_collector_parts_rejected_total", "sealed parts moved to rejected/ with their manifest (kept for an operator; alarm)", &counter_of<&Metrics::upload, &UploadMetrics::parts_rejected>},
    CounterRow{"market_collector_store_key_conflicts_total", "puts refused because a different object holds the key (stored under a new epoch_ms; alarm)", &counter_of<&Metrics::upload, &UploadMetrics::store_key_conflicts>},
    CounterRow{"market_collector_upload_queue_refused_total", "parts the full upload queue refused (offered again as it drains)", &counter_of<&Metrics::upload, &UploadMetrics::upload_queue_refused>},
};

using Gauge = std::atomic<std::int64_t>;

struct GaugeRow {
  const char* name;
  const char* help;
  const Gauge& (*field)(const Metrics&);
};

template <auto kModule, auto kField>
const Gauge& gauge_of(const Metrics& metrics) {
  return (metrics.*kModule).*kField;
}

constexpr std::array kGauges{
    GaugeRow{"market_collector_ws_connections_up", "WebSocket connections open (one per connection group; one more while a group switches connections)", &gauge_of<&Metrics::feed, &FeedMetrics::ws_connections_up>},
    GaugeRow{"market_collector_symbols_followed", "symbols subscribed now", &gauge_of<&Metrics::feed, &FeedMetrics::symbols_followed>},
    GaugeRow{"market_collector_spool_bytes", "bytes in the spool (LOCAL_DIR), measured every 5 s", &gauge_of<&Metrics::spool, &SpoolMetrics::spool_bytes>},
    GaugeRow{"market_collector_spool_files", "parts and manifests in the spool's open/ and sealed/, measured every 5 s", &gauge_of<&Metrics::spool, &SpoolMetrics::spool_files>},
    GaugeRow{"market_collector_spool_oldest_age_seconds", "age of the oldest of them (0: none)", &gauge_of<&Metrics::spool, &SpoolMetrics::spool_oldest_age_seconds>},
    GaugeRow{"market_collector_spool_filesystem_size_bytes", "size of the spool's file system (statvfs), measured every 5 s", &gauge_of<&Metrics::spool, &SpoolMetrics::spool_fs_size_bytes>},
    GaugeRow{"market_collector_spool_filesystem_avail_bytes", "bytes of the spool's file system free to the collector (statvfs f_bavail), measured every 5 s", &gauge_of<&Metrics::spool, &SpoolMetrics::spool_fs_avail_bytes>},
    GaugeRow{"market_collector_last_upload_timestamp_seconds", "Unix time of the last part stored with its manifest (0: none since start)", &gauge_of<&Metrics::upload, &UploadMetrics::last_upload_unix_seconds>},
    GaugeRow{"market_collector_trade_ids_pending", "missing trade ids not yet backfilled", &gauge_of<&Metrics::ledger, &LedgerMetrics::trade_ids_pending>},
    GaugeRow{"market_collector_backfill_overdue_gaps", "symbols whose backfill gap is pending longer than BACKFILL_ALARM_SECS (alarm)", &gauge_of<&Metrics::backfill, &BackfillMetrics::backfill_overdue_gaps>},
};

// Splits "host:port"; the host may be a bracketed IPv6 literal.
bool split_address(const std::string& address, std::string& host, std::string& port) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return true;
}

}  // namespace

std::string render_prometheus(const Metrics& metrics) {
  // Which code this collector runs, as labels (the values are checked to need no escaping at build time).
  const BuildInfo build = build_info();
  std::string out = fmt::format(
      "# HELP market_collector_build_info version, git commit and build type of the running binary\n"
      "# TYPE market_collector_build_info gauge\n"
      "market_collector_build_info{{version=\"{}\",commit=\"{}\",build_type=\"{}\"}} 1\n",
      build.version, build.commit, build.build_type);
  for (const GaugeRow& row : kGauges) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", row.name, row.help, row.name, row.name,
                       row.field(metrics).load(std::memory_order_relaxed));
  }
  for (const CounterRow& row : kCounters) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", row.name, row.help, row.name, row.name,
                       row.field(metrics).load(std::memory_order_relaxed));
  }
  const auto labelled = [&out](const char* name, const char* help, const char* label, const auto& names,
                               const auto& counters) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
    for (std::size_t i = 0; i < names.size(); ++i) {
      out += fmt::format("{}{{{}=\"{}\"}} {}\n", name, label, names[i], counters[i].load(std::memory_order_relaxed));
    }
  };
  labelled("market_collector_records_dropped_by_reason_total", "records_dropped_total split by why", "reason",
           kDropReasonNames, metrics.records.records_dropped_by_reason);
  labelled("market_collector_reconnects_total", "connections in service lost or replaced, by why", "reason",
           kReconnectReasonNames, metrics.feed.reconnects_by_reason);
  labelled("market_collector_store_errors_total", "upload_failures_total by error class", "class", kErrorKindNames,
           metrics.upload.store_errors_by_class);
  {
    std::string lines;
    metrics.ledger.for_each_symbol_gaps([&](const LedgerMetrics::SymbolGaps& symbol) {
      lines += fmt::format("market_collector_symbol_trade_id_gaps_total{{symbol=\"{}\"}} {}\n", symbol.symbol,
                           symbol.gaps.load(std::memory_order_relaxed));
    });
    if (!lines.empty()) {
      out += "# HELP market_collector_symbol_trade_id_gaps_total trade_id_gaps_total per symbol\n"
             "# TYPE market_collector_symbol_trade_id_gaps_total counter\n" + lines;
    }
  }
  // Symbols are validated upper-case letters and digits: nothing in them needs label escaping.
  const auto per_symbol = [&](const char* name, const char* type, const char* help, const auto& value) {
    std::string lines;
    metrics.feed.for_each_symbol([&](const SymbolMetrics& symbol) {
      lines += fmt::format("{}{{symbol=\"{}\"}} {}\n", name, symbol.symbol, value(symbol));
    });
    if (lines.empty()) return;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    out += lines;
  };
  per_symbol("market_collector_symbol_trades_total", "counter", "trade messages received, per symbol",
             [](const SymbolMetrics& s) { return s.trades.load(std::memory_order_relaxed); });
  per_symbol("market_collector_symbol_bytes_total", "counter", "trade message payload bytes received, per symbol",
             [](const SymbolMetrics& s) { return s.bytes.load(std::memory_order_relaxed); });
  per_symbol("market_collector_symbol_last_trade_id", "gauge", "trade id of the newest trade received, per symbol",
             [](const SymbolMetrics& s) { return s.last_trade_id.load(std::memory_order_relaxed); });
  per_symbol("market_collector_symbol_receive_lag_seconds", "gauge",
             "local receive time minus the exchange's event time of the newest trade, per symbol",
             [](const SymbolMetrics& s) {
               return fmt::format("{:.6f}", static_cast<double>(s.lag_us.load(std::memory_order_relaxed)) / 1e6);
             });
  return out;
}

struct MetricsServer::Impl {
  Impl(const Metrics& m, const HealthMonitor& h, const Clock& c, ProcfsPaths p)
      : metrics(m), health(h), clock(c), procfs(std::move(p)) {}

  struct Connection {
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::list<std::shared_ptr<Connection>>::iterator position;
    bool listed = true;  // still in `open`; false once evicted or finished
  };

  // The process_* series, read now; none when procfs cannot be read (said once in the log, so a
  // scrape every 15 s does not repeat it).
  std::string process_metrics() {
    const Result<ProcessStats> stats = read_process_stats(procfs, procfs_units);
    if (!stats) {
      if (!procfs_failed) log->warn("process_* metrics left out: {}", stats.status().message());
      procfs_failed = true;
      return {};
    }
    procfs_failed = false;
    return render_process_metrics(*stats);
  }

  // /healthz and /readyz as gauges, so an alert rule can tell "not ready" from "not scraped".
  std::string health_metrics() const {
    const auto now = clock.steady_now();
    return fmt::format(
        "# HELP market_collector_healthy 1 when /healthz answers 200 (the loops are turning)\n"
        "# TYPE market_collector_healthy gauge\nmarket_collector_healthy {}\n"
        "# HELP market_collector_ready 1 when /readyz answers 200 (data flows and the store keeps up)\n"
        "# TYPE market_collector_ready gauge\nmarket_collector_ready {}\n",
        health.live(now).ok ? 1 : 0, health.ready(now).ok ? 1 : 0);
  }

  // What a request line asks for: (status line, body).
  std::pair<std::string, std::string> answer(std::string_view head) {
    const auto verdict = [](const HealthVerdict& v) {
      return std::pair{std::string(v.ok ? "200 OK" : "503 Service Unavailable"), v.reason + "\n"};
    };
    if (head.starts_with("GET /metrics ") || head.starts_with("GET / ")) {
      return {"200 OK", render_prometheus(metrics) + health_metrics() + process_metrics()};
    }
    if (head.starts_with("GET /healthz ")) return verdict(health.live(clock.steady_now()));
    if (head.starts_with("GET /readyz ")) return verdict(health.ready(clock.steady_now()));
    return {"404 Not Found", "not found\n"};
  }

  // One request per connection. The whole exchange, read and write, has one deadline: a client that
  // sends nothing, or never reads the answer, loses its connection then.
  asio::awaitable<void> serve(std::shared_ptr<Connection> connection) {
    tcp::socket& socket = connection->socket;
    asio::steady_timer deadline(socket.get_executor(), kConnectionDeadline);
    deadline.async_wait([connection](boost::system::error_code ec) {
      if (!ec) connection->socket.close(ec);
    });
    boost::system::error_code ec;
    std::string head;
    std::array<char, 1024> chunk{};
    while (head.find("\r\n") == std::string::npos && head.size() < kMaxRequestHead) {
      const std::size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      head.append(chunk.data(), n);
    }
    if (!ec) {
      const auto [status, body] = answer(head);
      const std::string response = fmt::format(
          "HTTP/1.1 {}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
          status, body.size(), body);
      co_await asio::async_write(socket, asio::buffer(response), asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) socket.shutdown(tcp::socket::shutdown_both, ec);
    }
    deadline.cancel();
    socket.close(ec);
    if (connection->listed) {
      connection->listed = false;
      open.erase(connection->position);
    }
  }

  // At most kMaxConnections at once, so idle clients can neither take the descriptors the spool needs
  // nor keep a scrape waiting: a new connection evicts the oldest.
  void admit(tcp::socket socket) {
    if (open.size() >= kMaxConnections) {
      const std::shared_ptr<Connection> oldest = open.front();
      open.pop_front();
      oldest->listed = false;
      boost::system::error_code ec;
      oldest->socket.close(ec);
    }
    auto connection = std::make_shared<Connection>(std::move(socket));
    connection->position = open.insert(open.end(), connection);
    asio::co_spawn(io, serve(std::move(connection)), asio::detached);
  }

  // Out of descriptors, accept() fails at once while the connection stays queued: retrying straight
  // away would spin. Pause, doubling up to kAcceptBackoffMax, until an accept succeeds.
  asio::awaitable<void> accept_loop() {
    std::chrono::milliseconds backoff = kAcceptBackoffMin;
    while (acceptor.is_open()) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        backoff = kAcceptBackoffMin;
        admit(std::move(socket));
        continue;
      }
      if (ec == asio::error::operation_aborted) co_return;
      if (!out_of_resources(ec)) continue;  // the peer gave up before we accepted (ECONNABORTED)
      if (backoff == kAcceptBackoffMin) log->warn("accept failed, pausing error={} pause_ms={}", ec.message(), backoff.count());
      accept_backoffs.fetch_add(1, std::memory_order_relaxed);
      asio::steady_timer pause(io, backoff);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      backoff = std::min(backoff * 2, kAcceptBackoffMax);
    }
  }

  static bool out_of_resources(const boost::system::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
           ec == boost::system::error_code(ENFILE, boost::system::system_category());
  }

  const Metrics& metrics;
  const HealthMonitor& health;
  const Clock& clock;
  const ProcfsPaths procfs;
  const ProcfsUnits procfs_units = mc::procfs_units();
  bool procfs_failed = false;  // touched only on the server's thread
  std::shared_ptr<spdlog::logger> log = make_logger("metrics");
  std::atomic<std::uint64_t> accept_backoffs{0};
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::list<std::shared_ptr<Connection>> open;  // oldest first; touched only on the server's thread
  std::jthread thread;
};

MetricsServer::MetricsServer(const Metrics& metrics, const HealthMonitor& health, const Clock& clock,
                             ProcfsPaths procfs)
    : impl_(std::make_unique<Impl>(metrics, health, clock, std::move(procfs))) {}

MetricsServer::~MetricsServer() {
  // Nothing waits for a client: every pending read, write and accept is abandoned with the context.
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->open.clear();
}

Status MetricsServer::start(const std::string& address) {
  std::string host;
  std::string service;
  if (!split_address(address, host, service)) return Status::fatal("METRICS_ADDR: expected host:port, got " + address);
  boost::system::error_code ec;
  tcp::resolver resolver(impl_->io);
  const auto endpoints = resolver.resolve(host, service, tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) return Status::fatal("METRICS_ADDR: cannot resolve " + address + ": " + ec.message());
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  if (impl_->acceptor.open(endpoint.protocol(), ec); ec) return Status::fatal("metrics: open: " + ec.message());
  if (impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
    return Status::fatal("metrics: reuse_address: " + ec.message());
  }
  if (impl_->acceptor.bind(endpoint, ec); ec) return Status::fatal("metrics: bind " + address + ": " + ec.message());
  if (impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status::fatal("metrics: listen: " + ec.message());
  }
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::jthread([impl = impl_.get()] {
    name_this_thread("mc-metrics");
    impl->io.run();
  });
  impl_->log->info("serving metrics address={} port={}", address, port());
  return Status::ok();
}

std::uint64_t MetricsServer::accept_backoffs() const { return impl_->accept_backoffs.load(std::memory_order_relaxed); }

unsigned short MetricsServer::port() const {
  boost::system::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

}  // namespace mc
