#include "feed/control_messages.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "feed/symbol_groups.hpp"

namespace mc {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> streams(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("s" + std::to_string(i) + "usdt@trade");
  return out;
}

TEST(ControlMessagesTest, OneMessageAsBinanceDocumentsIt) {
  std::uint64_t id = 7;
  const std::vector<ControlMessage> messages =
      control_messages(StreamMethod::kSubscribe, {"xyzusdt@trade", "btcusdt@trade"}, id);
  ASSERT_EQ(messages.size(), 1U);
  EXPECT_EQ(messages[0].text, R"({"method":"SUBSCRIBE","params":["xyzusdt@trade","btcusdt@trade"],"id":7})");
  EXPECT_EQ(messages[0].id, 7U);
  EXPECT_EQ(messages[0].streams, 2U);
  EXPECT_EQ(id, 8U);
  EXPECT_EQ(control_messages(StreamMethod::kUnsubscribe, {"xyzusdt@trade"}, id)[0].text,
            R"({"method":"UNSUBSCRIBE","params":["xyzusdt@trade"],"id":8})");
  EXPECT_TRUE(control_messages(StreamMethod::kSubscribe, {}, id).empty());
  EXPECT_EQ(id, 9U);
}

// A full connection's worth: every stream once, in order, no message over the cap, ids consecutive.
TEST(ControlMessagesTest, BatchesAtMostPerMessageStreams) {
  const std::vector<std::string> all = streams(kMaxStreamsPerConnection);
  std::uint64_t id = 1;
  const std::vector<ControlMessage> messages = control_messages(StreamMethod::kSubscribe, all, id);
  ASSERT_EQ(messages.size(), (kMaxStreamsPerConnection + kMaxStreamsPerControlMessage - 1) / kMaxStreamsPerControlMessage);
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const nlohmann::json parsed = nlohmann::json::parse(messages[i].text);
    EXPECT_EQ(parsed["method"], "SUBSCRIBE");
    EXPECT_EQ(parsed["id"], i + 1);
    EXPECT_LE(parsed["params"].size(), kMaxStreamsPerControlMessage);
    EXPECT_EQ(parsed["params"].size(), messages[i].streams);
    for (const auto& stream : parsed["params"]) seen.push_back(stream.get<std::string>());
  }
  EXPECT_EQ(seen, all);
  EXPECT_EQ(control_messages(StreamMethod::kSubscribe, streams(5), id, 2).size(), 3U);
}

// Binance drops a connection that sends more than 5 messages a second: 4 a second leave room for a pong.
TEST(ControlPacerTest, SpacesMessagesByAQuarterSecond) {
  ControlPacer pacer;
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  EXPECT_EQ(pacer.next_at(t0), t0);
  pacer.sent(t0);
  EXPECT_EQ(pacer.next_at(t0), t0 + kControlMessageSpacing);
  EXPECT_EQ(pacer.next_at(t0 + 1s), t0 + 1s);
  int sent_in_a_second = 0;
  ControlPacer busy;
  for (auto now = t0; now < t0 + 1s; now += 1ms) {
    if (busy.next_at(now) <= now) {
      busy.sent(now);
      ++sent_in_a_second;
    }
  }
  EXPECT_EQ(sent_in_a_second, 4);
  EXPECT_LT(1s / kControlMessageSpacing, 5);
}

TEST(ConnectionForListingTest, FewestStreamsFirstNoneAboveTheLimit) {
  EXPECT_EQ(connection_for_listing({200, 150, 150}, kMaxStreamsPerConnection), 1U);
  EXPECT_EQ(connection_for_listing({1024, 1023}, kMaxStreamsPerConnection), 1U);
  EXPECT_EQ(connection_for_listing({1024, 1024}, kMaxStreamsPerConnection), std::nullopt);
  EXPECT_EQ(connection_for_listing({}, kMaxStreamsPerConnection), std::nullopt);
}

}  // namespace
}  // namespace mc
