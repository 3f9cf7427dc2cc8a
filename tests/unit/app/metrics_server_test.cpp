#include "app/metrics_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/build_info.hpp"
#include "common/status.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

// A loopback connection to port whose reads give up after 10 s, so a server that holds a client
// fails the test instead of hanging it.
int connect_to(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  const timeval timeout{10, 0};
  EXPECT_EQ(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout), 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  return fd;
}

// Everything until the peer closes (or the 10 s read timeout).
std::string read_all(int fd) {
  std::string response;
  std::array<char, 4096> buffer{};
  ssize_t n = 0;
  while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) response.append(buffer.data(), static_cast<std::size_t>(n));
  return response;
}

// One plain HTTP/1.1 request over loopback; returns the whole response.
std::string http_get(unsigned short port, const std::string& path) {
  const int fd = connect_to(port);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response = read_all(fd);
  ::close(fd);
  return response;
}

TEST(RenderPrometheusTest, EveryCounterWithItsValue) {
  Metrics metrics;
  metrics.records.records_routed = 12345;
  metrics.records.records_dropped = 7;
  metrics.spool.spool_bytes = 4096;
  const std::string text = render_prometheus(metrics);
  EXPECT_NE(text.find("\nmarket_collector_records_routed_total 12345\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nmarket_collector_records_dropped_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE market_collector_spool_bytes gauge\nmarket_collector_spool_bytes 4096\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE market_collector_uploads_total counter"), std::string::npos);
}

TEST(RenderPrometheusTest, BuildInfoGaugeNamesVersionCommitAndBuildType) {
  const BuildInfo build = build_info();
  const std::string text = render_prometheus(Metrics{});
  EXPECT_NE(text.find("# TYPE market_collector_build_info gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find(fmt::format("\nmarket_collector_build_info{{version=\"{}\",commit=\"{}\",build_type=\"{}\"}} 1\n",
                                  MC_VERSION, build.commit, MC_TEST_BUILD_TYPE)),
            std::string::npos)
      << text;
}

TEST(RenderPrometheusTest, DropsReconnectsAndStoreErrorsByReasonAndSpoolGauges) {
  Metrics metrics;
  count_drop(metrics.records, DropReason::kQueueFull, 3);
  count_drop(metrics.records, DropReason::kWriteFailed);
  bump(metrics.feed.reconnects_by_reason[static_cast<std::size_t>(ReconnectReason::kMaxAge)]);
  bump(metrics.upload.store_errors_by_class[static_cast<std::size_t>(ErrorKind::kFatal)], 2);
  metrics.spool.spool_files = 12;
  metrics.spool.spool_oldest_age_seconds = 90;
  const std::string text = render_prometheus(metrics);
  EXPECT_NE(text.find("\nmarket_collector_records_dropped_total 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("market_collector_records_dropped_by_reason_total{reason=\"queue_full\"} 3\n"
                      "market_collector_records_dropped_by_reason_total{reason=\"write_failed\"} 1\n"
                      "market_collector_records_dropped_by_reason_total{reason=\"unknown_route\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("market_collector_reconnects_total{reason=\"max_age\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("market_collector_reconnects_total{reason=\"idle\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("market_collector_store_errors_total{class=\"fatal\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("\nmarket_collector_spool_files 12\n"), std::string::npos);
  EXPECT_NE(text.find("\nmarket_collector_spool_oldest_age_seconds 90\n"), std::string::npos);
}

TEST(RenderPrometheusTest, UploadAlarmsAreExposed) {
  Metrics metrics;
  bump(metrics.upload.upload_sha256_mismatches, 2);
  bump(metrics.upload.parts_rejected);
  bump(metrics.upload.store_key_conflicts, 3);
  bump(metrics.upload.upload_queue_refused, 7);
  bump(metrics.upload.store_errors_by_class[static_cast<std::size_t>(ErrorKind::kAlreadyExists)]);
  const std::string text = render_prometheus(metrics);
  EXPECT_NE(text.find("\nmarket_collector_upload_sha256_mismatches_total 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nmarket_collector_parts_rejected_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("\nmarket_collector_store_key_conflicts_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("\nmarket_collector_upload_queue_refused_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("market_collector_store_errors_total{class=\"already_exists\"} 1\n"), std::string::npos);
}

TEST(RenderPrometheusTest, PerSymbolSeriesCarryTheSymbolLabel) {
  Metrics metrics;
  metrics.feed.add_symbols({"BTCUSDT", "ETHUSDT"});
  metrics.feed.symbols[0].trades = 10;
  metrics.feed.symbols[0].bytes = 2500;
  metrics.feed.symbols[0].last_trade_id = 4619270197;
  metrics.feed.symbols[0].lag_us = 1500;
  const std::string text = render_prometheus(metrics);
  EXPECT_NE(text.find("# TYPE market_collector_symbol_trades_total counter\n"
                      "market_collector_symbol_trades_total{symbol=\"BTCUSDT\"} 10\n"
                      "market_collector_symbol_trades_total{symbol=\"ETHUSDT\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("market_collector_symbol_bytes_total{symbol=\"BTCUSDT\"} 2500\n"), std::string::npos);
  EXPECT_NE(text.find("market_collector_symbol_last_trade_id{symbol=\"BTCUSDT\"} 4619270197\n"), std::string::npos);
  EXPECT_NE(text.find("market_collector_symbol_last_trade_id{symbol=\"ETHUSDT\"} -1\n"), std::string::npos);
  EXPECT_NE(text.find("market_collector_symbol_receive_lag_seconds{symbol=\"BTCUSDT\"} 0.001500\n"), std::string::npos);
}

TEST(RenderPrometheusTest, ConnectionsDiskUploadTimeAndGapsPerSymbol) {
  Metrics metrics;
  metrics.feed.ws_connections_up = 2;
  metrics.spool.spool_fs_size_bytes = 10'000'000'000;
  metrics.spool.spool_fs_avail_bytes = 2'500'000'000;
  metrics.upload.last_upload_unix_seconds = 1'764'950'000;
  metrics.ledger.add_symbols({"BTCUSDT", "ETHUSDT"});
  metrics.ledger.count_gap(1);
  metrics.ledger.count_gap(1);
  const std::string text = render_prometheus(metrics);
  EXPECT_NE(text.find("# TYPE market_collector_ws_connections_up gauge\nmarket_collector_ws_connections_up 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nmarket_collector_spool_filesystem_size_bytes 10000000000\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE market_collector_spool_filesystem_avail_bytes gauge\n"
                      "market_collector_spool_filesystem_avail_bytes 2500000000\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE market_collector_last_upload_timestamp_seconds gauge\n"
                      "market_collector_last_upload_timestamp_seconds 1764950000\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE market_collector_symbol_trade_id_gaps_total counter\n"
                      "market_collector_symbol_trade_id_gaps_total{symbol=\"BTCUSDT\"} 0\n"
                      "market_collector_symbol_trade_id_gaps_total{symbol=\"ETHUSDT\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nmarket_collector_trade_id_gaps_total 2\n"), std::string::npos);
}

// Every series has one HELP and one TYPE line, and every name follows Prometheus's conventions:
// counters end in _total, and no name is exported twice.
TEST(RenderPrometheusTest, EveryMetricHasOneHelpAndOneTypeLine) {
  Metrics metrics;
  metrics.feed.add_symbols({"BTCUSDT"});
  metrics.ledger.add_symbols({"BTCUSDT"});
  const std::string text = render_prometheus(metrics);
  std::set<std::string> typed;
  std::istringstream lines(text);
  std::string line;
  std::string helped;
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ")) {
      helped = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (!line.starts_with("# TYPE ")) continue;
    std::istringstream words(line.substr(7));
    std::string name;
    std::string type;
    words >> name >> type;
    EXPECT_EQ(name, helped) << "TYPE without a HELP before it: " << line;
    EXPECT_TRUE(typed.insert(name).second) << "exported twice: " << name;
    EXPECT_TRUE(type == "counter" || type == "gauge") << line;
    EXPECT_EQ(name.ends_with("_total"), type == "counter") << name << " is a " << type;
  }
  EXPECT_GT(typed.size(), 40U);
}

// A metrics server on a free loopback port, with a health monitor on fake time.
struct ServerUnderTest {
  explicit ServerUnderTest(ProcfsPaths procfs = {})
      : server(std::make_unique<MetricsServer>(metrics, health, clock, std::move(procfs))) {
    EXPECT_TRUE(server->start("127.0.0.1:0").is_ok());
    EXPECT_NE(server->port(), 0);
  }
  unsigned short port() const { return server->port(); }
  // Destroys the server on another thread; true when that finished within `limit`.
  bool stops_within(std::chrono::seconds limit) {
    auto destroyed = std::async(std::launch::async, [this] { server.reset(); });
    return destroyed.wait_for(limit) == std::future_status::ready;
  }

  Metrics metrics;
  testing::FakeClock clock;
  HealthMonitor health{{.tick_stale = std::chrono::seconds(15), .feed_idle = std::chrono::seconds(60)},
                       metrics.feed.ws_messages};
  std::unique_ptr<MetricsServer> server;
};

TEST(MetricsServerTest, ServesMetricsOverHttp) {
  ServerUnderTest s;
  s.metrics.feed.ws_messages = 42;
  const std::string response = http_get(s.port(), "/metrics");
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
  EXPECT_NE(response.find("\nmarket_collector_ws_messages_total 42\n"), std::string::npos);
  EXPECT_TRUE(http_get(s.port(), "/other").starts_with("HTTP/1.1 404"));
}

TEST(MetricsServerTest, ServesTheProcessMetricsFromProc) {
  ServerUnderTest s;
  const std::string response = http_get(s.port(), "/metrics");
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                           "process_max_fds", "process_start_time_seconds"}) {
    EXPECT_NE(response.find(fmt::format("\n# TYPE {} ", name)), std::string::npos) << name;
    EXPECT_NE(response.find(fmt::format("\n{} ", name)), std::string::npos) << name;
  }
}

// A procfs that cannot be read costs the process_* series, not the scrape.
TEST(MetricsServerTest, AnUnreadableProcfsLeavesOutOnlyTheProcessMetrics) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "self");
  std::ofstream(dir.path() / "self" / "stat") << "garbled";
  ServerUnderTest s({.self = dir.path() / "self", .system_stat = dir.path() / "stat"});
  s.metrics.feed.ws_messages = 7;
  for (int scrape = 0; scrape < 2; ++scrape) {
    const std::string response = http_get(s.port(), "/metrics");
    EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
    EXPECT_NE(response.find("\nmarket_collector_ws_messages_total 7\n"), std::string::npos);
    EXPECT_EQ(response.find("process_"), std::string::npos) << response;
  }
}

TEST(MetricsServerTest, HealthzAndReadyzAnswerFromTheHealthMonitor) {
  ServerUnderTest s;
  EXPECT_TRUE(http_get(s.port(), "/healthz").starts_with("HTTP/1.1 503 ")) << http_get(s.port(), "/healthz");
  EXPECT_TRUE(http_get(s.port(), "/readyz").starts_with("HTTP/1.1 503 "));

  s.health.observe({.at = s.clock.steady_now(), .feeds_alive = true, .uploads_ok = 0});
  EXPECT_TRUE(http_get(s.port(), "/healthz").starts_with("HTTP/1.1 200 OK\r\n"));
  const std::string not_ready = http_get(s.port(), "/readyz");
  EXPECT_TRUE(not_ready.starts_with("HTTP/1.1 503 ")) << not_ready;
  EXPECT_NE(not_ready.find("feed: no message received yet"), std::string::npos) << not_ready;

  EXPECT_NE(http_get(s.port(), "/metrics").find("\nmarket_collector_healthy 1\n# HELP market_collector_ready "
                                                 "1 when /readyz answers 200 (data flows and the store keeps up)\n"
                                                 "# TYPE market_collector_ready gauge\nmarket_collector_ready 0\n"),
            std::string::npos);

  s.metrics.feed.ws_messages = 3;
  s.health.observe({.at = s.clock.steady_now(), .feeds_alive = true, .uploads_ok = 0});
  EXPECT_TRUE(http_get(s.port(), "/readyz").starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(http_get(s.port(), "/metrics").find("\nmarket_collector_ready 1\n"), std::string::npos);

  // The main loop stops sampling: the server's clock moves on, both fail.
  s.clock.advance(std::chrono::seconds(16));
  EXPECT_TRUE(http_get(s.port(), "/healthz").starts_with("HTTP/1.1 503 "));
  EXPECT_TRUE(http_get(s.port(), "/readyz").starts_with("HTTP/1.1 503 "));
  const std::string metrics = http_get(s.port(), "/metrics");
  EXPECT_NE(metrics.find("\nmarket_collector_healthy 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nmarket_collector_ready 0\n"), std::string::npos);
}

// A probe right after start sees the feed's first message, not the main loop's last sample.
TEST(MetricsServerTest, ReadyzAnswers200AtTheFirstMessageWithoutAWaitForTheNextSample) {
  ServerUnderTest s;
  s.health.observe({.at = s.clock.steady_now(), .feeds_alive = true, .uploads_ok = 0});
  EXPECT_TRUE(http_get(s.port(), "/readyz").starts_with("HTTP/1.1 503 "));

  bump(s.metrics.feed.ws_messages);
  s.clock.advance(std::chrono::seconds(1));
  const std::string ready = http_get(s.port(), "/readyz");
  EXPECT_TRUE(ready.starts_with("HTTP/1.1 200 OK\r\n")) << ready;
  EXPECT_NE(http_get(s.port(), "/metrics").find("\nmarket_collector_ready 1\n"), std::string::npos);
}

TEST(MetricsServerTest, AnIdleClientHoldsNeitherTheServerNorItsShutdown) {
  ServerUnderTest s;
  const int idle = connect_to(s.port());  // connects and never sends a request
  EXPECT_TRUE(http_get(s.port(), "/metrics").starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(s.stops_within(std::chrono::seconds(10)));
  ::close(idle);
}

TEST(MetricsServerTest, AClientThatNeverReadsHoldsNeitherScrapesNorShutdown) {
  ServerUnderTest s;
  // An answer far larger than the socket buffers, so writing it blocks on a client that never reads.
  std::vector<std::string> symbols;
  symbols.reserve(50000);
  for (int i = 0; i < 50000; ++i) symbols.push_back("SYMBOL" + std::to_string(i) + "USDT");
  s.metrics.feed.add_symbols(symbols);
  const int stuck = connect_to(s.port());
  const int small = 4096;
  ASSERT_EQ(::setsockopt(stuck, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(stuck, request.data(), request.size()), static_cast<ssize_t>(request.size()));

  for (int scrape = 0; scrape < 3; ++scrape) {
    EXPECT_TRUE(http_get(s.port(), "/metrics").starts_with("HTTP/1.1 200 OK\r\n")) << "scrape " << scrape;
  }
  EXPECT_TRUE(s.stops_within(std::chrono::seconds(10)));
  ::close(stuck);
}

TEST(MetricsServerTest, ManyIdleConnectionsDoNotKeepAScrapeWaitingAndAreBounded) {
  ServerUnderTest s;
  constexpr int kIdle = 300;
  std::vector<int> idle;
  idle.reserve(kIdle);
  for (int i = 0; i < kIdle; ++i) idle.push_back(connect_to(s.port()));
  // Served at once, not after each idle client's deadline in turn (http_get gives up after 10 s).
  EXPECT_TRUE(http_get(s.port(), "/metrics").starts_with("HTTP/1.1 200 OK\r\n"));
  // Every idle connection but the newest few was closed by the server to make room.
  std::vector<pollfd> polls;
  polls.reserve(idle.size());
  for (const int fd : idle) polls.push_back({fd, POLLIN, 0});
  ASSERT_GE(::poll(polls.data(), polls.size(), 0), 0);
  int closed_by_server = 0;
  for (std::size_t i = 0; i < polls.size(); ++i) {
    char byte = 0;
    if ((polls[i].revents & (POLLIN | POLLHUP)) != 0 && ::read(polls[i].fd, &byte, 1) == 0) ++closed_by_server;
  }
  EXPECT_GE(closed_by_server, kIdle - 16);
  for (const int fd : idle) ::close(fd);
  EXPECT_TRUE(s.stops_within(std::chrono::seconds(10)));
}

TEST(MetricsServerTest, OutOfDescriptorsPausesAcceptsInsteadOfSpinning) {
  ServerUnderTest s;
  // Scraped once before the descriptors run out, as a running collector is: UBSan's first check of
  // the types Asio's timer service creates opens a pipe, and with no descriptor left it would call
  // a sound object invalid.
  ASSERT_TRUE(http_get(s.port(), "/healthz").starts_with("HTTP/1.1 "));
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit lowered = saved;
  lowered.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 1024);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  // Take every descriptor but one, which the client's socket then takes: the server's accept()
  // has none left and fails with EMFILE while the connection stays queued.
  std::vector<int> fillers;
  while (true) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fillers.push_back(fd);
  }
  ASSERT_EQ(errno, EMFILE);
  ::close(fillers.back());
  fillers.pop_back();
  const int client = connect_to(s.port());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const std::uint64_t backoffs = s.server->accept_backoffs();
  for (const int fd : fillers) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  // Without the pause the loop retries accept() as fast as it can: hundreds of thousands in a second.
  // With pauses of 50 ms and up: a handful.
  EXPECT_GE(backoffs, 1U);
  EXPECT_LE(backoffs, 25U);
  // Descriptors back, the queued connection is served.
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(client, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  EXPECT_TRUE(read_all(client).starts_with("HTTP/1.1 503 "));
  ::close(client);
}

TEST(MetricsServerTest, RefusesABadAddress) {
  Metrics metrics;
  testing::FakeClock clock;
  const HealthMonitor health({.tick_stale = std::chrono::seconds(15), .feed_idle = std::chrono::seconds(60)},
                             metrics.feed.ws_messages);
  MetricsServer server(metrics, health, clock);
  EXPECT_FALSE(server.start("no-port").is_ok());
  EXPECT_FALSE(server.start("127.0.0.1:notaport").is_ok());
}

}  // namespace
}  // namespace mc
