#pragma once
// The WebSocket endpoint: parsed once from BINANCE_WS_URL, then turned into the request target of the
// combined stream, e.g. "/stream?streams=btcusdt@trade/ethusdt@trade".

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

struct WsUrl {
  bool tls = true;          // wss
  std::string host;         // without brackets for IPv6 literals: what DNS, SNI and verification want
  std::uint16_t port = 0;   // 443 for wss, 80 for ws unless given
  std::string base_path;    // "" or "/some/path" without a trailing slash

  // The HTTP Host header value: host, bracketed when IPv6, with ":port" when not the default.
  std::string host_header() const;
  // "wss://host:port" + base_path, for logs.
  std::string to_string() const;

  friend bool operator==(const WsUrl&, const WsUrl&) = default;
};

// Accepts "ws://" or "wss://", a host name, IPv4 or bracketed IPv6 literal, an optional port and an
// optional path. Refuses user info, queries and fragments: the client builds its own query.
Result<WsUrl> parse_ws_url(std::string_view url);

// base_path + "/stream?streams=" + streams joined by '/'.
std::string stream_target(const WsUrl& url, const std::vector<std::string>& streams);

}  // namespace mc
