#pragma once
// Server-to-client WebSocket frames (RFC 6455 section 5), parsed from the transport's bytes.
//
// Beast (1.81) hands over one message per read operation and completes each one through the event
// loop, which polls epoll once per message: at a blast of trades that poll was the largest single
// cost of the network thread. The feed reads whatever the transport has (up to a TLS record or
// kReadChunk bytes) and takes every complete frame out of it here, without another system call.
// Beast still does the opening handshake and writes the pongs.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

enum class WsEventKind {
  kNeedMore,  // no complete event in what arrived: read again
  kMessage,   // a complete text or binary message (fragments joined)
  kPing,
  kPong,
  kClose,
};

struct WsEvent {
  WsEventKind kind = WsEventKind::kNeedMore;
  bool text = false;         // kMessage: a text message (else binary)
  std::string_view payload;  // valid until the next call of next() or read_buffer()
  int close_code = 0;        // kClose: the code the server sent, 1005 when it sent none
};

class WsFrameReader {
 public:
  // Bytes asked of the transport per read; a TLS read returns at most one record (16 KiB).
  static constexpr std::size_t kReadChunk = std::size_t{64} * 1024;

  // A message longer than max_message_bytes (all fragments together) is a protocol error.
  explicit WsFrameReader(std::size_t max_message_bytes);

  // Room for the next transport read: kReadChunk bytes after what is still unparsed.
  std::span<char> read_buffer();
  // The transport wrote this many bytes into the last read_buffer().
  void commit(std::size_t bytes);

  // The next complete event, kNeedMore when the bytes end mid-frame. A frame a client must never
  // receive (masked, reserved bits or opcodes, a control frame over 125 bytes or fragmented, a
  // continuation without a start, an oversized message) is an error: the connection cannot go on.
  Result<WsEvent> next();

 private:
  std::size_t max_message_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first unparsed byte
  std::size_t end_ = 0;    // one past the last byte read
  std::string fragments_;  // the message so far, while it arrives in several frames
  bool in_fragmented_message_ = false;
  bool fragmented_text_ = false;
};

}  // namespace mc
