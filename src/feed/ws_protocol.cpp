#include "feed/ws_protocol.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>

#include <fmt/core.h>

#include "common/base64.hpp"
#include "common/log.hpp"

namespace mc {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kKeyBytes = 16;
constexpr std::size_t kMaxControlPayload = 125;
constexpr std::uint8_t kFinPong = 0x8A;
constexpr std::uint8_t kFinText = 0x81;
constexpr std::size_t kMax7BitLength = 125;
constexpr std::uint8_t kLength16 = 126;
constexpr std::uint8_t kLength64 = 127;
constexpr std::uint8_t kMaskBit = 0x80;
constexpr std::size_t kMaxBodyInError = 200;
constexpr int kSwitchingProtocols = 101;

bool contains_token(std::string_view header, std::string_view token) {
  // Header values are comma lists of case-insensitive tokens ("keep-alive, Upgrade").
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() == token.size()) {
      bool same = true;
      for (std::size_t i = 0; i < item.size() && same; ++i) {
        same = (item[i] | 0x20) == (token[i] | 0x20);
      }
      if (same) return true;
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

Result<std::string> make_ws_key() {
  std::array<unsigned char, kKeyBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Status::retryable("ws_handshake: no random bytes for the key (RAND_bytes failed)");
  }
  std::string key;
  base64_append(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), key);
  return key;
}

std::string ws_accept_for(std::string_view key) {
  const std::string joined = std::string(key) + std::string(kAcceptGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest.data());
  std::string accept;
  base64_append(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()), accept);
  return accept;
}

Status check_ws_upgrade(const WsUpgradeAnswer& answer, std::string_view key) {
  if (answer.status != kSwitchingProtocols) {
    return Status::retryable(
        fmt::format("ws_handshake: HTTP {} instead of 101: {}", answer.status, log_safe(answer.body, kMaxBodyInError)));
  }
  if (!contains_token(answer.upgrade, "websocket")) {
    return Status::retryable(fmt::format("ws_handshake: Upgrade header is '{}', not websocket", log_safe(answer.upgrade, kMaxBodyInError)));
  }
  if (!contains_token(answer.connection, "upgrade")) {
    return Status::retryable(
        fmt::format("ws_handshake: Connection header is '{}', not upgrade", log_safe(answer.connection, kMaxBodyInError)));
  }
  if (answer.accept != ws_accept_for(key)) {
    return Status::retryable(
        fmt::format("ws_handshake: Sec-WebSocket-Accept '{}' does not answer our key", log_safe(answer.accept, kMaxBodyInError)));
  }
  if (!answer.extensions.empty()) {
    return Status::retryable(
        fmt::format("ws_handshake: the server chose extensions '{}' that were not offered", log_safe(answer.extensions, kMaxBodyInError)));
  }
  return Status::ok();
}

namespace {

Result<std::string> masked_frame(std::uint8_t first_byte, std::string_view payload, const char* what) {
  std::array<unsigned char, 4> mask{};
  if (RAND_bytes(mask.data(), static_cast<int>(mask.size())) != 1) {
    return Status::retryable(fmt::format("{}: no random bytes for the mask (RAND_bytes failed)", what));
  }
  std::string frame;
  frame.reserve(2 + 8 + mask.size() + payload.size());
  frame += static_cast<char>(first_byte);
  const std::uint64_t length = payload.size();
  if (length <= kMax7BitLength) {
    frame += static_cast<char>(kMaskBit | length);
  } else {
    const bool short_form = length <= 0xFFFF;
    frame += static_cast<char>(kMaskBit | (short_form ? kLength16 : kLength64));
    for (int shift = short_form ? 8 : 56; shift >= 0; shift -= 8) {
      frame += static_cast<char>((length >> static_cast<unsigned>(shift)) & 0xFFU);
    }
  }
  for (const unsigned char m : mask) frame += static_cast<char>(m);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % mask.size()]);
  }
  return frame;
}

}  // namespace

Result<std::string> masked_pong(std::string_view payload) {
  return masked_frame(kFinPong, payload.substr(0, kMaxControlPayload), "pong");
}

Result<std::string> masked_text(std::string_view payload) { return masked_frame(kFinText, payload, "text frame"); }

}  // namespace mc
