#include "feed/ws_frame_reader.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

namespace mc {
namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kReservedBits = 0x70;
constexpr std::uint8_t kOpcodeMask = 0x0F;
constexpr std::uint8_t kMasked = 0x80;
constexpr std::uint8_t kLengthMask = 0x7F;
constexpr std::uint8_t kLength16 = 126;
constexpr std::uint8_t kLength64 = 127;
constexpr std::size_t kMaxControlPayload = 125;
constexpr int kNoStatusCode = 1005;  // RFC 6455 7.4.1: a close frame without a code
// RFC 6455 5.2: a 64-bit length has its most significant bit clear. Fragments of one message add up
// to no more either, so a skipped message's length cannot overflow.
constexpr std::uint64_t kMaxMessageLength = (std::uint64_t{1} << 63U) - 1;

enum Opcode : std::uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

std::uint64_t big_endian(const char* bytes, std::size_t count) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < count; ++i) value = (value << 8U) | static_cast<std::uint8_t>(bytes[i]);
  return value;
}

Status protocol_error(std::string_view what) { return Status::retryable(fmt::format("websocket protocol error: {}", what)); }

}  // namespace

WsFrameReader::WsFrameReader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

std::span<char> WsFrameReader::read_buffer() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && buffer_.size() - end_ < kReadChunk) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() < end_ + kReadChunk) buffer_.resize(end_ + kReadChunk);
  return {buffer_.data() + end_, kReadChunk};
}

void WsFrameReader::commit(std::size_t bytes) { end_ += std::min(bytes, buffer_.size() - end_); }

Result<WsEvent> WsFrameReader::next() {
  for (;;) {
    if (skipped_.in_payload) {
      if (!skip_payload()) return WsEvent{};
      if (!skipped_.last_frame) continue;
      skipped_.active = false;
      in_fragmented_message_ = false;
      return WsEvent{.kind = WsEventKind::kOversize,
                     .text = skipped_.text,
                     .payload = skipped_.prefix,
                     .message_bytes = skipped_.length};
    }
    const std::size_t available = end_ - begin_;
    if (available < 2) return WsEvent{};
    const char* frame = buffer_.data() + begin_;
    const auto b0 = static_cast<std::uint8_t>(frame[0]);
    const auto b1 = static_cast<std::uint8_t>(frame[1]);
    const bool fin = (b0 & kFin) != 0;
    const auto opcode = static_cast<std::uint8_t>(b0 & kOpcodeMask);
    if ((b0 & kReservedBits) != 0) return protocol_error("reserved bits set (no extension was negotiated)");
    if ((b1 & kMasked) != 0) return protocol_error("masked frame from the server");

    std::size_t header = 2;
    std::uint64_t length = b1 & kLengthMask;
    if (length == kLength16) {
      header = 4;
      if (available < header) return WsEvent{};
      length = big_endian(frame + 2, 2);
    } else if (length == kLength64) {
      header = 10;
      if (available < header) return WsEvent{};
      length = big_endian(frame + 2, 8);
      if (length > kMaxMessageLength) return protocol_error("64-bit length with the high bit set");
    }

    const bool control = (opcode & 0x08U) != 0;
    if (control) {
      if (opcode != kClose && opcode != kPing && opcode != kPong) {
        return protocol_error(fmt::format("reserved control opcode {}", opcode));
      }
      if (!fin) return protocol_error("fragmented control frame");
      if (length > kMaxControlPayload) return protocol_error(fmt::format("control frame of {} bytes", length));
    } else {
      if (opcode != kContinuation && opcode != kText && opcode != kBinary) {
        return protocol_error(fmt::format("reserved data opcode {}", opcode));
      }
      if (opcode == kContinuation && !in_fragmented_message_) return protocol_error("continuation frame without a message");
      if (opcode != kContinuation && in_fragmented_message_) return protocol_error("new message inside a fragmented one");
      if (skipped_.active) {
        if (length > kMaxMessageLength - skipped_.length) return protocol_error("message of 2^63 bytes or more");
        begin_ += header;
        skipped_.length += length;
        skipped_.payload_left = length;
        skipped_.last_frame = fin;
        skipped_.in_payload = true;
        continue;
      }
      const bool continued = opcode == kContinuation;
      const std::uint64_t so_far = continued ? fragments_.size() : 0;
      if (length > max_message_bytes_ - so_far) {
        const std::string_view held = continued ? std::string_view(fragments_) : std::string_view();
        start_skipping(continued ? fragmented_text_ : opcode == kText, held, header, length, fin);
        continue;
      }
    }
    if (available - header < length) return WsEvent{};

    const std::string_view payload(frame + header, static_cast<std::size_t>(length));
    begin_ += header + static_cast<std::size_t>(length);
    switch (opcode) {
      case kPing: return WsEvent{.kind = WsEventKind::kPing, .payload = payload};
      case kPong: return WsEvent{.kind = WsEventKind::kPong, .payload = payload};
      case kClose: {
        if (payload.size() == 1) return protocol_error("close frame with a one-byte payload");
        if (payload.empty()) return WsEvent{.kind = WsEventKind::kClose, .close_code = kNoStatusCode};
        return WsEvent{.kind = WsEventKind::kClose,
                       .payload = payload.substr(2),
                       .close_code = static_cast<int>(big_endian(payload.data(), 2))};
      }
      case kContinuation:
        fragments_.append(payload);
        if (!fin) continue;
        in_fragmented_message_ = false;
        return WsEvent{.kind = WsEventKind::kMessage, .text = fragmented_text_, .payload = fragments_};
      default:  // text or binary
        if (fin) return WsEvent{.kind = WsEventKind::kMessage, .text = opcode == kText, .payload = payload};
        in_fragmented_message_ = true;
        fragmented_text_ = opcode == kText;
        fragments_.assign(payload);
        continue;
    }
  }
}

void WsFrameReader::start_skipping(bool text, std::string_view so_far, std::size_t header_bytes,
                                   std::uint64_t frame_bytes, bool last_frame) {
  skipped_.prefix.assign(so_far.substr(0, kOversizePrefixBytes));
  skipped_.text = text;
  skipped_.length = so_far.size() + frame_bytes;
  skipped_.payload_left = frame_bytes;
  skipped_.last_frame = last_frame;
  skipped_.in_payload = true;
  skipped_.active = true;
  // Continuation frames of the skipped message are accepted until its last one.
  in_fragmented_message_ = true;
  fragments_.clear();
  begin_ += header_bytes;
}

bool WsFrameReader::skip_payload() {
  const auto arrived = static_cast<std::size_t>(std::min<std::uint64_t>(end_ - begin_, skipped_.payload_left));
  const std::size_t kept = std::min(arrived, kOversizePrefixBytes - skipped_.prefix.size());
  skipped_.prefix.append(buffer_.data() + begin_, kept);
  begin_ += arrived;
  skipped_.payload_left -= arrived;
  if (skipped_.payload_left > 0) return false;
  skipped_.in_payload = false;
  return true;
}

}  // namespace mc
