#include "feed/feed_client.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "feed/ws_frame_reader.hpp"

#include "fake_ws_server.hpp"
#include "raw_tls_server.hpp"
#include "support/eventually.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"
#include "test_certs.hpp"

namespace mc {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::FakeWsServer;
using testing::ServerAction;
using testing::ServerScript;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kPromptStop = 1s;
constexpr std::size_t kLogLinesKept = 64;

class RecordingHandler final : public FeedHandler {
 public:
  struct Message {
    std::string payload;
    bool is_text;
    std::int64_t recv_us;
    SteadyClock::time_point at;
  };

  MessageSeen on_message(std::string_view payload, bool is_text, std::int64_t recv_us) override {
    const std::lock_guard lock(mutex_);
    messages_.push_back({std::string(payload), is_text, recv_us, SteadyClock::now()});
    return {};
  }
  void on_oversize(std::string_view prefix, bool is_text, std::uint64_t message_bytes, std::int64_t recv_us) override {
    const std::lock_guard lock(mutex_);
    messages_.push_back({"oversize:" + std::to_string(message_bytes) + ":" + std::string(prefix), is_text, recv_us,
                         SteadyClock::now()});
  }
  void on_connected() override {
    const std::lock_guard lock(mutex_);
    connected_at_.push_back(SteadyClock::now());
  }
  void on_disconnected(std::string_view reason) override {
    const std::lock_guard lock(mutex_);
    disconnect_reasons_.emplace_back(reason);
  }

  std::vector<Message> messages() const {
    const std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const Message& m : messages()) out.push_back(m.payload);
    return out;
  }
  std::vector<SteadyClock::time_point> connected_at() const {
    const std::lock_guard lock(mutex_);
    return connected_at_;
  }
  std::vector<std::string> disconnect_reasons() const {
    const std::lock_guard lock(mutex_);
    return disconnect_reasons_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Message> messages_;
  std::vector<SteadyClock::time_point> connected_at_;
  std::vector<std::string> disconnect_reasons_;
};

FeedOptions test_options(std::string url) {
  FeedOptions options;
  options.base_url = std::move(url);
  options.streams = {"btcusdt@trade", "ethusdt@trade"};
  options.idle_timeout = 2s;
  options.connect_timeout = 2s;
  options.backoff_initial = 50ms;
  options.backoff_max = 200ms;
  return options;
}

std::string ws_url(const FakeWsServer& server, std::string_view host = "127.0.0.1") {
  return "ws://" + std::string(host) + ":" + std::to_string(server.port());
}

std::string wss_url(const FakeWsServer& server, std::string_view host) {
  return "wss://" + std::string(host) + ":" + std::to_string(server.port());
}

// FeedClient::run on its own thread, as the application runs it.
class RunningClient {
 public:
  RunningClient(FeedOptions options, FeedHandler& handler, const Clock& clock, FeedMetrics& metrics)
      : client_(std::move(options), handler, clock, metrics),
        thread_([this](const std::stop_token& stop) { client_.run(stop); }) {}

  // Requests stop and returns how long run() took to return.
  SteadyClock::duration stop() {
    const auto start = SteadyClock::now();
    thread_.request_stop();
    thread_.join();
    return SteadyClock::now() - start;
  }
  const FeedClient& client() const { return client_; }

 private:
  FeedClient client_;
  std::jthread thread_;
};

class FeedClientTest : public ::testing::Test {
 protected:
  // Component loggers copy the default logger's sinks when they are made, so the capturing sink
  // goes onto the default logger before the test makes its client.
  void SetUp() override {
    ASSERT_TRUE(init_logging("info", LogFormat::kText));
    spdlog::default_logger()->sinks().push_back(log_);
  }
  void TearDown() override {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), log_), sinks.end());
  }
  // The first connection was ended by its 1 s idle timeout, counted from its first complete frame,
  // and the second followed after the short backoff.
  void expect_idle_timeout_after_first_message() const {
    const auto messages = handler_.messages();
    const auto connected = handler_.connected_at();
    ASSERT_EQ(connected.size(), 2U);
    EXPECT_GE(connected[1] - messages.at(0).at, 950ms);
    EXPECT_LT(connected[1] - messages.at(0).at, 2500ms);
    EXPECT_EQ(handler_.disconnect_reasons().at(0), "no frame for 1s (idle timeout)");
  }
  bool logged(std::string_view needle) const {
    const auto lines = log_->last_formatted();
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(needle) != std::string::npos; });
  }

  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(kLogLinesKept);
  testing::FixedWallClock clock_;
  FeedMetrics metrics_;
  RecordingHandler handler_;
};

TEST_F(FeedClientTest, TheHeartbeatIsReadOnTheInjectedClock) {
  testing::FakeClock fake;
  FakeWsServer server({{ServerAction::text(R"({"a":1})")}});
  RunningClient client(test_options(ws_url(server)), handler_, fake, metrics_);
  EXPECT_EQ(client.client().last_heartbeat(), fake.steady_now());
  fake.advance(std::chrono::hours(1));
  // The loop's next beat (once a second) reads the moved clock.
  ASSERT_TRUE(eventually([&] { return client.client().last_heartbeat() == fake.steady_now(); }));
  EXPECT_LT(client.stop(), kPromptStop);
}

TEST_F(FeedClientTest, MessagesArriveInOrderWithTheirKindAndReceiveTime) {
  FakeWsServer server({{ServerAction::text(R"({"a":1})"), ServerAction::binary(std::string("\x00\x01\xff", 3)),
                        ServerAction::text(R"({"a":3})")}});
  RunningClient client(test_options(ws_url(server)), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 3; }));
  const auto messages = handler_.messages();
  EXPECT_EQ(messages[0].payload, R"({"a":1})");
  EXPECT_TRUE(messages[0].is_text);
  EXPECT_EQ(messages[1].payload, std::string("\x00\x01\xff", 3));
  EXPECT_FALSE(messages[1].is_text);
  EXPECT_EQ(messages[2].payload, R"({"a":3})");
  EXPECT_TRUE(messages[2].is_text);
  for (const auto& m : messages) EXPECT_EQ(m.recv_us, clock_.system_now_us());
  EXPECT_EQ(metrics_.ws_connects.load(), 1U);
  EXPECT_EQ(metrics_.ws_messages.load(), 3U);
  EXPECT_EQ(metrics_.ws_bytes.load(), 7U + 3U + 7U);
  EXPECT_EQ(handler_.connected_at().size(), 1U);
  EXPECT_EQ(metrics_.ws_connections_up.load(), 1);
  EXPECT_LT(client.stop(), kPromptStop);
  EXPECT_EQ(handler_.disconnect_reasons(), std::vector<std::string>{"stop requested"});
  EXPECT_EQ(metrics_.ws_disconnects.load(), 1U);
  EXPECT_EQ(metrics_.ws_connections_up.load(), 0);
}

TEST_F(FeedClientTest, RequestTargetListsEveryStreamAndKeepsTheBasePath) {
  FakeWsServer server({ServerScript{}});
  FeedOptions options = test_options(ws_url(server) + "/base/");
  options.streams = {"btcusdt@trade", "ethusdt@trade", "bnbusdt@trade"};
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return server.upgrades() == 1; }));
  EXPECT_EQ(server.targets(), std::vector<std::string>{"/base/stream?streams=btcusdt@trade/ethusdt@trade/bnbusdt@trade"});
}

TEST_F(FeedClientTest, FragmentedMessageArrivesWhole) {
  const std::string whole = R"({"stream":"btcusdt@trade","data":{"e":"trade","t":12345}})";
  FakeWsServer server({{ServerAction::fragmented_text(whole), ServerAction::text("next")}});
  RunningClient client(test_options(ws_url(server)), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 2; }));
  EXPECT_EQ(handler_.payloads(), (std::vector<std::string>{whole, "next"}));
}

TEST_F(FeedClientTest, ServerPingIsAnsweredWithPongAndCounted) {
  FakeWsServer server({{ServerAction::ping(), ServerAction::ping()}});
  RunningClient client(test_options(ws_url(server)), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return server.pongs() == 2; }));
  EXPECT_EQ(metrics_.ws_pings.load(), 2U);
}

TEST_F(FeedClientTest, ServerCloseFrameMakesTheClientReconnect) {
  FakeWsServer server({{ServerAction::text("a"), ServerAction::close("maintenance")},
                       {ServerAction::text("b"), ServerAction::close("again")},
                       {ServerAction::text("c")}});
  RunningClient client(test_options(ws_url(server)), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 3; }));
  EXPECT_EQ(handler_.payloads(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(server.upgrades(), 3);
  EXPECT_EQ(metrics_.ws_connects.load(), 3U);
  // The two closed connections ended before their replacements opened.
  EXPECT_EQ(metrics_.ws_connections_up.load(), 1);
  const auto reasons = handler_.disconnect_reasons();
  ASSERT_EQ(reasons.size(), 2U);
  EXPECT_EQ(reasons[0], "closed by server code=1000 reason=maintenance");
  EXPECT_EQ(reasons[1], "closed by server code=1000 reason=again");
  client.stop();
  const std::string url = ws_url(server) + "/stream?streams=btcusdt@trade/ethusdt@trade";
  EXPECT_TRUE(logged("connected url=" + url + " conn=1 tls=off streams=2"));
  EXPECT_TRUE(logged("connection lost url=" + url +
                     " conn=1 error=\"closed by server code=1000 reason=maintenance\" attempt=1 delay_ms=50"));
}

TEST_F(FeedClientTest, PingsKeepAQuietConnectionAliveAndSilenceEndsIt) {
  // Pings for 3 s (longer than the 2 s idle timeout), one message, then nothing at all.
  ServerScript pinging;
  for (int i = 0; i < 6; ++i) {
    pinging.push_back(ServerAction::ping());
    pinging.push_back(ServerAction::sleep(500ms));
  }
  pinging.push_back(ServerAction::text("alive"));
  FakeWsServer server({pinging, {ServerAction::text("second")}});
  RunningClient client(test_options(ws_url(server)), handler_, clock_, metrics_);

  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 2; }, 8s));
  const auto messages = handler_.messages();
  EXPECT_EQ(messages[0].payload, "alive");
  EXPECT_EQ(messages[1].payload, "second");
  const auto connected = handler_.connected_at();
  ASSERT_EQ(connected.size(), 2U);
  // The first connection survived 3 s of pings, then died of 2 s of silence.
  EXPECT_GE(messages[0].at - connected[0], 2900ms);
  EXPECT_GE(connected[1] - messages[0].at, 1900ms);
  EXPECT_LT(connected[1] - messages[0].at, 3s);
  ASSERT_FALSE(handler_.disconnect_reasons().empty());
  EXPECT_EQ(handler_.disconnect_reasons()[0], "no frame for 2s (idle timeout)");
  EXPECT_GE(metrics_.ws_pings.load(), 6U);
}

TEST_F(FeedClientTest, AnIdleTimeoutShorterThanTheConnectTimeoutIsKeptFromTheLastFrame) {
  FakeWsServer server({{ServerAction::text("then silence")}, {ServerAction::text("second")}});
  FeedOptions options = test_options(ws_url(server));
  options.connect_timeout = 6s;
  options.idle_timeout = 1s;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 2; }, 8s));
  const auto messages = handler_.messages();
  const auto connected = handler_.connected_at();
  ASSERT_EQ(connected.size(), 2U);
  // 1 s of silence plus a 50 ms backoff, not the 6 s handshake budget.
  EXPECT_LT(connected[1] - messages[0].at, 2500ms);
  EXPECT_EQ(handler_.disconnect_reasons().at(0), "no frame for 1s (idle timeout)");
}

TEST_F(FeedClientTest, OversizeMessageIsHandedOnAsItsPrefixAndTheConnectionGoesOn) {
  const std::string big = std::string(100, 'x') + std::string(6000, 'y');
  FakeWsServer server({{ServerAction::text("before"), ServerAction::text(big), ServerAction::fragmented_text(big),
                        ServerAction::text("after")}});
  FeedOptions options = test_options(ws_url(server));
  options.max_message_bytes = 64;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 4; }));
  const std::string seen_big = "oversize:6100:" + big.substr(0, kOversizePrefixBytes);
  EXPECT_EQ(handler_.payloads(), (std::vector<std::string>{"before", seen_big, seen_big, "after"}));
  EXPECT_EQ(server.upgrades(), 1);
  EXPECT_EQ(metrics_.ws_messages_oversize.load(), 2U);
  EXPECT_EQ(metrics_.ws_messages.load(), 4U);
  EXPECT_EQ(metrics_.ws_bytes.load(), 6U + 6100U + 6100U + 5U);
  EXPECT_TRUE(handler_.disconnect_reasons().empty());
}

TEST_F(FeedClientTest, BytesTrickledWithoutACompleteFrameDoNotKeepTheConnection) {
  // A frame of 200 bytes sent one byte every 100 ms (20 s in all) after one message: the 1 s idle
  // timeout counts from that message, not from the last byte.
  std::string frame = "\x81\x7E";
  frame += static_cast<char>(0);
  frame += static_cast<char>(200);
  frame += std::string(200, 'z');
  FakeWsServer server({{ServerAction::text("then a trickle"), ServerAction::trickle(frame, 100ms)},
                       {ServerAction::text("second")}});
  FeedOptions options = test_options(ws_url(server));
  options.idle_timeout = 1s;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 2; }, 8s));
  EXPECT_EQ(handler_.messages()[1].payload, "second");
  // 1 s from the last complete frame plus a 50 ms backoff, far less than the trickle's 20 s.
  expect_idle_timeout_after_first_message();
}

TEST_F(FeedClientTest, AFrameCompletedByATrickleKeepsTheConnection) {
  // Pings trickled a byte every 300 ms complete a frame every 0.9 s, inside the 2 s idle timeout.
  std::string pings;
  for (int i = 0; i < 4; ++i) pings += std::string("\x89\x01p", 3);
  FakeWsServer server({{ServerAction::trickle(pings, 300ms), ServerAction::text("still here")}});
  RunningClient client(test_options(ws_url(server)), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 1; }, 8s));
  EXPECT_EQ(handler_.payloads(), std::vector<std::string>{"still here"});
  EXPECT_EQ(server.upgrades(), 1);
  EXPECT_EQ(metrics_.ws_pings.load(), 4U);
}

TEST_F(FeedClientTest, StopReturnsPromptlyWhileBackingOff) {
  FakeWsServer server({{ServerAction::close("go away")}});
  FeedOptions options = test_options(ws_url(server));
  options.backoff_initial = 10s;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  // Logged as the supervisor starts its 10 s backoff wait.
  ASSERT_TRUE(eventually([&] { return logged("connection lost"); }));
  EXPECT_LT(client.stop(), kPromptStop);
  EXPECT_EQ(server.upgrades(), 1);
}

TEST_F(FeedClientTest, StopReturnsPromptlyWhileStuckInTheHandshake) {
  testing::SilentTcpServer server;
  FeedOptions options = test_options("wss://127.0.0.1:" + std::to_string(server.port()));
  options.connect_timeout = 30s;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  // The ClientHello arrived: the client now waits for an answer that never comes.
  ASSERT_TRUE(eventually([&] { return server.bytes_received() > 0; }));
  EXPECT_LT(client.stop(), kPromptStop);
  EXPECT_EQ(metrics_.ws_connects.load(), 0U);
}

TEST_F(FeedClientTest, HandshakeThatNeverCompletesTimesOutAndIsRetried) {
  testing::SilentTcpServer server;
  FeedOptions options = test_options("ws://127.0.0.1:" + std::to_string(server.port()));
  options.connect_timeout = 1s;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return server.tcp_accepts() == 1; }));
  const auto first = SteadyClock::now();
  ASSERT_TRUE(eventually([&] { return server.tcp_accepts() == 2; }));
  EXPECT_GE(SteadyClock::now() - first, 900ms);
  EXPECT_EQ(metrics_.ws_connects.load(), 0U);
  client.stop();
  EXPECT_TRUE(logged("connection failed url=ws://127.0.0.1:" + std::to_string(server.port()) +
                     "/stream?streams=btcusdt@trade/ethusdt@trade conn=1 error=\"ws_handshake: timed out after 1s\" attempt=1"));
}

TEST_F(FeedClientTest, BadUrlReturnsAtOnce) {
  RunningClient client(test_options("http://nope"), handler_, clock_, metrics_);
  EXPECT_LT(client.stop(), kPromptStop);
  EXPECT_EQ(metrics_.ws_connects.load(), 0U);
}

// TLS: one CA signs the server certificates; another CA is trusted by nobody.
class FeedClientTlsTest : public FeedClientTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto ca = testing::make_test_ca(dir_->path(), "ca");
    auto other_ca = testing::make_test_ca(dir_->path(), "other-ca");
    ASSERT_TRUE(ca && other_ca) << ca.status().message() << other_ca.status().message();
    auto local = testing::make_test_server_cert(dir_->path(), "local", *ca, "DNS:localhost,IP:127.0.0.1");
    auto elsewhere = testing::make_test_server_cert(dir_->path(), "elsewhere", *ca, "DNS:other.example");
    ASSERT_TRUE(local && elsewhere) << local.status().message() << elsewhere.status().message();
    files_ = new Files{*ca, *other_ca, *local, *elsewhere};
  }
  static void TearDownTestSuite() {
    delete files_;
    delete dir_;
  }

  struct Files {
    testing::KeyPairFiles ca, other_ca, local, elsewhere;
  };
  static testing::ServerTlsFiles server_files(const testing::KeyPairFiles& pair) { return {pair.cert, pair.key}; }

  static inline testing::TempDir* dir_ = nullptr;
  static inline Files* files_ = nullptr;
};

TEST_F(FeedClientTlsTest, TrustedCaFromCaFileWorksWithAHostName) {
  FakeWsServer server({{ServerAction::text("secure")}}, server_files(files_->local));
  FeedOptions options = test_options(wss_url(server, "localhost"));
  options.ca_file = files_->ca.cert.string();
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 1; }));
  EXPECT_EQ(handler_.payloads(), std::vector<std::string>{"secure"});
  EXPECT_EQ(server.tls_failures(), 0);
}

TEST_F(FeedClientTlsTest, IpLiteralIsCheckedAgainstTheIpSubjectAltName) {
  FakeWsServer server({{ServerAction::text("secure")}}, server_files(files_->local));
  FeedOptions options = test_options(wss_url(server, "127.0.0.1"));
  options.ca_file = files_->ca.cert.string();
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 1; }));
}

TEST_F(FeedClientTlsTest, UntrustedCaFailsTheHandshakeAndTheClientKeepsRetrying) {
  FakeWsServer server({{ServerAction::text("must not arrive")}}, server_files(files_->local));
  FeedOptions options = test_options(wss_url(server, "localhost"));
  options.ca_file = files_->other_ca.cert.string();
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return server.tls_failures() >= 3; }));
  EXPECT_EQ(server.upgrades(), 0);
  EXPECT_TRUE(handler_.messages().empty());
  EXPECT_EQ(metrics_.ws_connects.load(), 0U);
  EXPECT_LT(client.stop(), kPromptStop);
  EXPECT_TRUE(logged("tls_handshake: certificate verify failed"));
  EXPECT_TRUE(logged("verify=unable to get local issuer certificate\" attempt=2"));
}

TEST_F(FeedClientTlsTest, SystemStoreAloneDoesNotTrustTheTestCa) {
  FakeWsServer server({{ServerAction::text("must not arrive")}}, server_files(files_->local));
  RunningClient client(test_options(wss_url(server, "localhost")), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return server.tls_failures() >= 2; }));
  EXPECT_EQ(server.upgrades(), 0);
}

TEST_F(FeedClientTlsTest, UnreadableCaFileIsLoggedAndRetried) {
  FakeWsServer server({{ServerAction::text("must not arrive")}}, server_files(files_->local));
  FeedOptions options = test_options(wss_url(server, "localhost"));
  const std::string missing = (dir_->path() / "missing.pem").string();
  options.ca_file = missing;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return logged("cannot load ca_file=" + missing) && logged("attempt=2"); }));
  EXPECT_EQ(server.tcp_accepts(), 0);
}

TEST_F(FeedClientTlsTest, CertificateForAnotherHostNameFails) {
  FakeWsServer server({{ServerAction::text("must not arrive")}}, server_files(files_->elsewhere));
  FeedOptions options = test_options(wss_url(server, "localhost"));
  options.ca_file = files_->ca.cert.string();
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return server.tls_failures() >= 2; }));
  EXPECT_EQ(server.upgrades(), 0);
  EXPECT_TRUE(handler_.messages().empty());
  client.stop();
  EXPECT_TRUE(logged("verify=hostname mismatch"));
}

TEST_F(FeedClientTlsTest, PingsAreAnsweredOverTls) {
  FakeWsServer server({{ServerAction::ping(), ServerAction::text("after the ping")}}, server_files(files_->local));
  FeedOptions options = test_options(wss_url(server, "localhost"));
  options.ca_file = files_->ca.cert.string();
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return server.pongs() == 1 && handler_.messages().size() == 1; }));
  EXPECT_EQ(metrics_.ws_pings.load(), 1U);
}

TEST_F(FeedClientTlsTest, RecordsSplitAcrossManyTcpWritesYieldWholeMessages) {
  // A record of 3 KB, then 40 KB and a short message (three records), in TCP writes of 100 bytes 1 ms apart.
  const std::string small(3000, 'a');
  const std::string large(40000, 'b');
  testing::RawTlsServer server(server_files(files_->local),
                               {.records = {testing::server_text_frame(small),
                                            testing::server_text_frame(large) + testing::server_text_frame("last")},
                                .piece = 100,
                                .gap = 1ms});
  FeedOptions options = test_options("wss://localhost:" + std::to_string(server.port()));
  options.ca_file = files_->ca.cert.string();
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 3; }));
  EXPECT_EQ(handler_.payloads(), (std::vector<std::string>{small, large, "last"}));
  EXPECT_TRUE(handler_.disconnect_reasons().empty());
  EXPECT_EQ(server.upgrades(), 1);
}

TEST_F(FeedClientTlsTest, APeerThatLeavesInsideARecordEndsTheConnectionWithAClearError) {
  testing::RawTlsServer server(server_files(files_->local),
                               {.records = {testing::server_text_frame("whole"),
                                            testing::server_text_frame(std::string(2000, 'x'))},
                                .cut = 10});
  FeedOptions options = test_options("wss://localhost:" + std::to_string(server.port()));
  options.ca_file = files_->ca.cert.string();
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return !handler_.disconnect_reasons().empty(); }));
  // The record that arrived whole is delivered; the cut one ends the connection.
  EXPECT_EQ(handler_.payloads().at(0), "whole");
  EXPECT_EQ(handler_.disconnect_reasons().at(0), "read: unexpected eof while reading (SSL routines)");
  EXPECT_LT(client.stop(), kPromptStop);
}

TEST_F(FeedClientTlsTest, TheWatchdogEndsASilentTlsConnectionWaitingToRead) {
  FakeWsServer server({{ServerAction::text("then silence")}, {ServerAction::text("second")}},
                      server_files(files_->local));
  FeedOptions options = test_options(wss_url(server, "localhost"));
  options.ca_file = files_->ca.cert.string();
  options.idle_timeout = 1s;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 2; }, 8s));
  expect_idle_timeout_after_first_message();
}

TEST_F(FeedClientTlsTest, StopReturnsPromptlyWhileATlsConnectionWaitsToRead) {
  FakeWsServer server({{ServerAction::text("then silence")}}, server_files(files_->local));
  FeedOptions options = test_options(wss_url(server, "localhost"));
  options.ca_file = files_->ca.cert.string();
  options.idle_timeout = 30s;
  RunningClient client(std::move(options), handler_, clock_, metrics_);
  ASSERT_TRUE(eventually([&] { return handler_.messages().size() == 1; }));
  EXPECT_LT(client.stop(), kPromptStop);
  EXPECT_EQ(handler_.disconnect_reasons(), std::vector<std::string>{"stop requested"});
}

}  // namespace
}  // namespace mc
