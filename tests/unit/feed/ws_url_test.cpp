#include "feed/ws_url.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(WsUrlTest, BinanceUrlParses) {
  const Result<WsUrl> url = parse_ws_url("wss://stream.binance.com:9443");
  ASSERT_TRUE(url) << url.status().message();
  EXPECT_EQ(*url, (WsUrl{true, "stream.binance.com", 9443, ""}));
  EXPECT_EQ(url->host_header(), "stream.binance.com:9443");
}

TEST(WsUrlTest, DefaultPortsFollowTheScheme) {
  EXPECT_EQ(parse_ws_url("wss://example.com")->port, 443);
  EXPECT_EQ(parse_ws_url("ws://example.com")->port, 80);
  EXPECT_FALSE(parse_ws_url("ws://example.com")->tls);
  EXPECT_EQ(parse_ws_url("WSS://Example.com")->host, "Example.com");
  EXPECT_EQ(parse_ws_url("wss://example.com")->host_header(), "example.com");
  EXPECT_EQ(parse_ws_url("ws://example.com:443")->host_header(), "example.com:443");
}

TEST(WsUrlTest, BasePathIsKeptWithoutTrailingSlash) {
  EXPECT_EQ(parse_ws_url("wss://h:1/")->base_path, "");
  EXPECT_EQ(parse_ws_url("wss://h:1/ws/")->base_path, "/ws");
  EXPECT_EQ(parse_ws_url("wss://h/a/b")->base_path, "/a/b");
}

TEST(WsUrlTest, Ipv6LiteralIsUnbracketedForResolvingAndBracketedInTheHostHeader) {
  const Result<WsUrl> url = parse_ws_url("ws://[::1]:8080/x");
  ASSERT_TRUE(url) << url.status().message();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->host_header(), "[::1]:8080");
  EXPECT_EQ(url->to_string(), "ws://[::1]:8080/x");
  EXPECT_EQ(parse_ws_url("wss://[fe80::1]")->port, 443);
}

TEST(WsUrlTest, BadUrlsAreRefusedWithTheUrlInTheMessage) {
  for (const char* bad : {"", "http://example.com", "stream.binance.com:9443", "wss://", "wss://:9443", "wss://h:",
                          "wss://h:0", "wss://h:65536", "wss://h:12ab", "wss://h:-1", "wss://user@h",
                          "wss://h/path?x=1", "wss://h#frag", "wss://[::1", "wss://[::1]x", "wss://[::g]",
                          "wss://ho st", "wss://h:1:2"}) {
    const Result<WsUrl> url = parse_ws_url(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_NE(url.status().message().find(std::string("'") + bad + "'"), std::string::npos) << url.status().message();
  }
}

TEST(WsUrlTest, TargetListsEveryStreamAfterTheBasePath) {
  const std::vector<std::string> streams{"btcusdt@trade", "ethusdt@trade"};
  EXPECT_EQ(stream_target(*parse_ws_url("wss://h:9443"), streams), "/stream?streams=btcusdt@trade/ethusdt@trade");
  EXPECT_EQ(stream_target(*parse_ws_url("wss://h/base/"), streams), "/base/stream?streams=btcusdt@trade/ethusdt@trade");
  EXPECT_EQ(stream_target(*parse_ws_url("wss://h"), {"x@trade"}), "/stream?streams=x@trade");
}

}  // namespace
}  // namespace mc
