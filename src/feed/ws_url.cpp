#include "feed/ws_url.hpp"

#include <charconv>

namespace mc {
namespace {

constexpr std::uint16_t kDefaultWssPort = 443;
constexpr std::uint16_t kDefaultWsPort = 80;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    if (c != prefix[i]) return false;
  }
  return true;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

bool is_ipv6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

Status bad(std::string_view url, std::string_view why) {
  return Status::fatal("bad WebSocket URL '" + std::string(url) + "': " + std::string(why));
}

}  // namespace

std::string WsUrl::host_header() const {
  std::string header = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? kDefaultWssPort : kDefaultWsPort)) header += ":" + std::to_string(port);
  return header;
}

std::string WsUrl::to_string() const {
  const std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "wss://" : "ws://") + bracketed + ":" + std::to_string(port) + base_path;
}

Result<WsUrl> parse_ws_url(std::string_view url) {
  WsUrl parsed;
  std::string_view rest;
  if (iequals_prefix(url, "wss://")) {
    parsed.tls = true;
    rest = url.substr(6);
  } else if (iequals_prefix(url, "ws://")) {
    parsed.tls = false;
    rest = url.substr(5);
  } else {
    return bad(url, "the scheme must be ws:// or wss://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return bad(url, "query and fragment are not allowed");

  const std::size_t path_start = rest.find('/');
  const std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) return bad(url, "user info is not allowed");

  std::string_view host;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad(url, "unterminated '[' in the host");
    host = authority.substr(1, close - 1);
    for (const char c : host) {
      if (!is_ipv6_char(c)) return bad(url, "bad character in the IPv6 literal");
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad(url, "unexpected text after the IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return bad(url, "empty port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad(url, "empty port");
    }
    for (const char c : host) {
      if (!is_host_char(c)) return bad(url, "bad character in the host");
    }
  }
  if (host.empty()) return bad(url, "empty host");
  parsed.host = std::string(host);

  if (port_text.empty()) {
    parsed.port = parsed.tls ? kDefaultWssPort : kDefaultWsPort;
  } else {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      return bad(url, "the port must be a number in 1..65535");
    }
    parsed.port = static_cast<std::uint16_t>(value);
  }

  while (path.ends_with('/')) path.remove_suffix(1);
  parsed.base_path = std::string(path);
  return parsed;
}

std::string stream_target(const WsUrl& url, const std::vector<std::string>& streams) {
  std::string target = url.base_path + "/stream?streams=";
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (i > 0) target += '/';
    target += streams[i];
  }
  return target;
}

}  // namespace mc
