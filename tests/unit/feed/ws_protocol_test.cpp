#include "feed/ws_protocol.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

// RFC 6455 section 1.3's worked example.
constexpr std::string_view kRfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kRfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

WsUpgradeAnswer good_answer() {
  return {.status = 101, .upgrade = "websocket", .connection = "Upgrade", .accept = kRfcAccept};
}

TEST(WsProtocol, AcceptOfTheRfcExample) { EXPECT_EQ(ws_accept_for(kRfcKey), kRfcAccept); }

TEST(WsProtocol, KeysAreSixteenRandomBytes) {
  Result<std::string> a = make_ws_key();
  Result<std::string> b = make_ws_key();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 24U);
  EXPECT_NE(*a, *b);
}

TEST(WsProtocol, AGoodAnswerPasses) {
  EXPECT_TRUE(check_ws_upgrade(good_answer(), kRfcKey));
  WsUpgradeAnswer listed = good_answer();
  listed.connection = "keep-alive, UPGRADE";
  listed.upgrade = "WebSocket";
  EXPECT_TRUE(check_ws_upgrade(listed, kRfcKey));
}

TEST(WsProtocol, EachWrongAnswerIsNamed) {
  WsUpgradeAnswer refused = good_answer();
  refused.status = 403;
  refused.body = "{\"code\":-2015,\"msg\":\"banned\"}\n";
  EXPECT_EQ(check_ws_upgrade(refused, kRfcKey).message(),
            "ws_handshake: HTTP 403 instead of 101: {_code_:-2015,_msg_:_banned_}_");
  WsUpgradeAnswer no_upgrade = good_answer();
  no_upgrade.upgrade = "h2c";
  EXPECT_NE(check_ws_upgrade(no_upgrade, kRfcKey).message().find("Upgrade header is 'h2c'"), std::string::npos);
  WsUpgradeAnswer no_connection = good_answer();
  no_connection.connection = "close";
  EXPECT_NE(check_ws_upgrade(no_connection, kRfcKey).message().find("Connection header is 'close'"),
            std::string::npos);
  WsUpgradeAnswer wrong_accept = good_answer();
  wrong_accept.accept = "AAAA";
  EXPECT_NE(check_ws_upgrade(wrong_accept, kRfcKey).message().find("does not answer our key"), std::string::npos);
  WsUpgradeAnswer deflate = good_answer();
  deflate.extensions = "permessage-deflate";
  EXPECT_NE(check_ws_upgrade(deflate, kRfcKey).message().find("not offered"), std::string::npos);
}

TEST(WsProtocol, PongIsMaskedAndCarriesThePayload) {
  Result<std::string> pong = masked_pong("heartbeat");
  ASSERT_TRUE(pong);
  ASSERT_EQ(pong->size(), 2U + 4U + 9U);
  EXPECT_EQ(static_cast<unsigned char>((*pong)[0]), 0x8AU);  // FIN + pong
  EXPECT_EQ(static_cast<unsigned char>((*pong)[1]), 0x80U | 9U);
  std::string unmasked;
  for (std::size_t i = 0; i < 9; ++i) unmasked += static_cast<char>((*pong)[6 + i] ^ (*pong)[2 + i % 4]);
  EXPECT_EQ(unmasked, "heartbeat");
}

}  // namespace
}  // namespace mc
