#pragma once
// Server-to-client WebSocket frames (RFC 6455 section 5), parsed from the transport's bytes.
//
// The feed reads whatever the transport has (up to a TLS record or kReadChunk bytes) and takes every
// complete frame out of it here, without another system call or a trip through the event loop per
// message: at a blast of trades, one event-loop completion per message would be the network
// thread's largest cost. The opening handshake and the pongs are ws_protocol's.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

// What is kept of a message over the size limit: enough to tell what it was (its stream and event
// type come first in Binance's messages) without holding a message nobody asked to hold.
inline constexpr std::size_t kOversizePrefixBytes = 4096;

enum class WsEventKind {
  kNeedMore,  // no complete event in what arrived: read again
  kMessage,   // a complete text or binary message (fragments joined)
  kOversize,  // a complete message over the size limit: its first bytes only, and its length
  kPing,
  kPong,
  kClose,
};

struct WsEvent {
  WsEventKind kind = WsEventKind::kNeedMore;
  bool text = false;         // kMessage, kOversize: a text message (else binary)
  // kOversize: the message's first kOversizePrefixBytes (all of it if shorter). Valid until the next
  // call of next() or read_buffer().
  std::string_view payload;
  int close_code = 0;              // kClose: the code the server sent, 1005 when it sent none
  std::uint64_t message_bytes = 0;  // kOversize: the whole message's length, all fragments together
};

class WsFrameReader {
 public:
  // Bytes asked of the transport per read; a TLS read returns at most one record (16 KiB).
  static constexpr std::size_t kReadChunk = std::size_t{64} * 1024;

  // A message longer than max_message_bytes (all fragments together) is skipped as it arrives, never
  // held whole, and reported as kOversize once its last byte arrived.
  explicit WsFrameReader(std::size_t max_message_bytes);

  // Room for the next transport read: kReadChunk bytes after what is still unparsed.
  std::span<char> read_buffer();
  // The transport wrote this many bytes into the last read_buffer().
  void commit(std::size_t bytes);

  // The next complete event, kNeedMore when the bytes end mid-frame. A frame a client must never
  // receive (masked, reserved bits or opcodes, a control frame over 125 bytes or fragmented, a
  // continuation without a start, a length of 2^63 or more) is an error: the connection cannot go on.
  Result<WsEvent> next();

 private:
  // The message over the limit that is being skipped: its frames' headers are parsed as usual (a
  // ping between its fragments is still answered), their payloads dropped as they arrive.
  struct Skipped {
    bool active = false;         // a message is being skipped
    bool in_payload = false;     // the header of one of its frames was read, not all of its payload
    bool last_frame = false;     // that frame ends the message
    bool text = false;
    std::uint64_t payload_left = 0;  // of that frame's payload, bytes still to come
    std::uint64_t length = 0;        // of the message, the frames seen so far
    std::string prefix;              // its first kOversizePrefixBytes
  };

  // Starts skipping the message whose frame header (header_bytes, announcing frame_bytes of payload)
  // is at begin_; `so_far` is what already arrived of it in earlier fragments.
  void start_skipping(bool text, std::string_view so_far, std::size_t header_bytes, std::uint64_t frame_bytes,
                      bool last_frame);
  // Drops what arrived of the skipped frame's payload, keeping the message's prefix; true once all of
  // it arrived.
  bool skip_payload();

  std::size_t max_message_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first unparsed byte
  std::size_t end_ = 0;    // one past the last byte read
  std::string fragments_;  // the message so far, while it arrives in several frames
  bool in_fragmented_message_ = false;  // also while a skipped message has fragments to come
  bool fragmented_text_ = false;
  Skipped skipped_;
};

}  // namespace mc
