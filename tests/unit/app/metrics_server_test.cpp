#include "app/metrics_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "common/status.hpp"

namespace mc {
namespace {

// One plain HTTP/1.1 request over loopback; returns the whole response.
std::string http_get(unsigned short port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}

TEST(RenderPrometheusTest, EveryCounterWithItsValue) {
  Metrics metrics;
  metrics.records_routed = 12345;
  metrics.records_dropped = 7;
  metrics.spool_bytes = 4096;
  const std::string text = render_prometheus(metrics);
  EXPECT_NE(text.find("\nmarket_collector_records_routed_total 12345\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nmarket_collector_records_dropped_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE market_collector_spool_bytes gauge\nmarket_collector_spool_bytes 4096\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE market_collector_uploads_total counter"), std::string::npos);
}

TEST(RenderPrometheusTest, DropsReconnectsAndStoreErrorsByReasonAndSpoolGauges) {
  Metrics metrics;
  count_drop(metrics, DropReason::kQueueFull, 3);
  count_drop(metrics, DropReason::kWriteFailed);
  bump(metrics.reconnects_by_reason[static_cast<std::size_t>(ReconnectReason::kMaxAge)]);
  bump(metrics.store_errors_by_class[static_cast<std::size_t>(ErrorKind::kFatal)], 2);
  metrics.spool_files = 12;
  metrics.spool_oldest_age_seconds = 90;
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
  bump(metrics.upload_sha256_mismatches, 2);
  bump(metrics.parts_rejected);
  bump(metrics.store_key_conflicts, 3);
  bump(metrics.upload_queue_refused, 7);
  bump(metrics.store_errors_by_class[static_cast<std::size_t>(ErrorKind::kAlreadyExists)]);
  const std::string text = render_prometheus(metrics);
  EXPECT_NE(text.find("\nmarket_collector_upload_sha256_mismatches_total 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nmarket_collector_parts_rejected_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("\nmarket_collector_store_key_conflicts_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("\nmarket_collector_upload_queue_refused_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("market_collector_store_errors_total{class=\"already_exists\"} 1\n"), std::string::npos);
}

TEST(RenderPrometheusTest, PerSymbolSeriesCarryTheSymbolLabel) {
  Metrics metrics;
  metrics.add_symbols({"BTCUSDT", "ETHUSDT"});
  metrics.symbols[0].trades = 10;
  metrics.symbols[0].bytes = 2500;
  metrics.symbols[0].last_trade_id = 4619270197;
  metrics.symbols[0].lag_us = 1500;
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

TEST(MetricsServerTest, ServesMetricsOverHttp) {
  Metrics metrics;
  metrics.ws_messages = 42;
  MetricsServer server(metrics);
  ASSERT_TRUE(server.start("127.0.0.1:0").is_ok());
  ASSERT_NE(server.port(), 0);
  const std::string response = http_get(server.port(), "/metrics");
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
  EXPECT_NE(response.find("\nmarket_collector_ws_messages_total 42\n"), std::string::npos);
  EXPECT_TRUE(http_get(server.port(), "/other").starts_with("HTTP/1.1 404"));
}

TEST(MetricsServerTest, AnIdleClientHoldsNeitherTheServerNorItsShutdown) {
  Metrics metrics;
  auto server = std::make_unique<MetricsServer>(metrics);
  ASSERT_TRUE(server->start("127.0.0.1:0").is_ok());
  // Connects and never sends a request.
  const int idle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(idle, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  // The next scrape is still served once the idle client's deadline passed.
  EXPECT_TRUE(http_get(server->port(), "/metrics").starts_with("HTTP/1.1 200 OK\r\n"));
  auto destroyed = std::async(std::launch::async, [&server] { server.reset(); });
  EXPECT_EQ(destroyed.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ::close(idle);
}

TEST(MetricsServerTest, RefusesABadAddress) {
  Metrics metrics;
  MetricsServer server(metrics);
  EXPECT_FALSE(server.start("no-port").is_ok());
  EXPECT_FALSE(server.start("127.0.0.1:notaport").is_ok());
}

}  // namespace
}  // namespace mc
