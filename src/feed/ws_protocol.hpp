#pragma once
// The client's half of the WebSocket protocol, done here rather than by Beast's websocket stream:
// the opening handshake's key and its check (RFC 6455 section 4.1) and the masked frames a client
// writes.
// The frames it reads are ws_frame_reader's.

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

// A fresh Sec-WebSocket-Key: 16 random bytes, base64.
Result<std::string> make_ws_key();

// The Sec-WebSocket-Accept a server must answer to key: base64(SHA-1(key + the RFC's GUID)).
std::string ws_accept_for(std::string_view key);

// What the server answered to the upgrade request.
struct WsUpgradeAnswer {
  int status = 0;
  std::string_view upgrade;     // Upgrade header
  std::string_view connection;  // Connection header
  std::string_view accept;      // Sec-WebSocket-Accept header
  std::string_view extensions;  // Sec-WebSocket-Extensions header: none was asked for
  std::string_view body;        // of a refusal, for the error message
};

// OK when the answer opens a WebSocket for key; else an error naming what is wrong.
Status check_ws_upgrade(const WsUpgradeAnswer& answer, std::string_view key);

// A pong frame as a client must send it (masked with a random key), echoing a ping's payload.
Result<std::string> masked_pong(std::string_view payload);

// A text frame as a client must send it (one frame, masked with a random key): for the SUBSCRIBE and
// UNSUBSCRIBE messages. Any length a 64-bit frame length holds.
Result<std::string> masked_text(std::string_view payload);

}  // namespace mc
