#include "feed/ws_frame_reader.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace mc {
namespace {

// A frame as a server sends it: unmasked, with the shortest length encoding unless told otherwise.
std::string frame(std::uint8_t first_byte, std::string_view payload, int length_bytes = 0) {
  std::string out(1, static_cast<char>(first_byte));
  const std::size_t n = payload.size();
  if (length_bytes == 8 || (length_bytes == 0 && n > 0xFFFF)) {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
  } else if (length_bytes == 2 || (length_bytes == 0 && n > 125)) {
    out += static_cast<char>(126);
    out += static_cast<char>((n >> 8) & 0xFF);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(n);
  }
  return out + std::string(payload);
}

constexpr std::uint8_t kText = 0x81;
constexpr std::uint8_t kBinary = 0x82;
constexpr std::uint8_t kTextFirst = 0x01;
constexpr std::uint8_t kMore = 0x00;
constexpr std::uint8_t kLast = 0x80;
constexpr std::uint8_t kPing = 0x89;
constexpr std::uint8_t kPong = 0x8A;
constexpr std::uint8_t kClose = 0x88;

void feed(WsFrameReader& reader, std::string_view bytes) {
  while (!bytes.empty()) {
    const std::span<char> room = reader.read_buffer();
    const std::size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    reader.commit(n);
    bytes.remove_prefix(n);
  }
}

struct Seen {
  WsEventKind kind;
  bool text;
  std::string payload;
  int close_code;
  bool operator==(const Seen&) const = default;
};

// Every event until the reader needs more bytes.
std::vector<Seen> drain(WsFrameReader& reader) {
  std::vector<Seen> seen;
  for (;;) {
    Result<WsEvent> event = reader.next();
    EXPECT_TRUE(event) << event.status().message();
    if (!event || event->kind == WsEventKind::kNeedMore) return seen;
    seen.push_back({event->kind, event->text, std::string(event->payload), event->close_code});
  }
}

std::string error_of(std::string_view bytes, std::size_t max_message = 1 << 20) {
  WsFrameReader reader(max_message);
  feed(reader, bytes);
  for (;;) {
    Result<WsEvent> event = reader.next();
    if (!event) return event.status().message();
    if (event->kind == WsEventKind::kNeedMore) return "no error";
  }
}

TEST(WsFrameReader, ManyMessagesInOneRead) {
  WsFrameReader reader(1 << 20);
  feed(reader, frame(kText, "{\"a\":1}") + frame(kBinary, "\x01\x02") + frame(kText, ""));
  EXPECT_EQ(drain(reader), (std::vector<Seen>{{WsEventKind::kMessage, true, "{\"a\":1}", 0},
                                              {WsEventKind::kMessage, false, "\x01\x02", 0},
                                              {WsEventKind::kMessage, true, "", 0}}));
}

TEST(WsFrameReader, EveryLengthEncoding) {
  const std::string small(125, 'a');
  const std::string medium(126, 'b');
  const std::string large(70000, 'c');
  WsFrameReader reader(1 << 20);
  feed(reader, frame(kText, small) + frame(kText, medium) + frame(kText, large) + frame(kText, "x", 8));
  const std::vector<Seen> seen = drain(reader);
  ASSERT_EQ(seen.size(), 4U);
  EXPECT_EQ(seen[0].payload, small);
  EXPECT_EQ(seen[1].payload, medium);
  EXPECT_EQ(seen[2].payload, large);
  EXPECT_EQ(seen[3].payload, "x");
}

TEST(WsFrameReader, FrameSplitAtEveryByteWaitsForTheRest) {
  const std::string bytes = frame(kText, std::string(300, 'z')) + frame(kPing, "hb");
  WsFrameReader reader(1 << 20);
  std::vector<Seen> seen;
  for (const char c : bytes) {
    feed(reader, std::string_view(&c, 1));
    for (Seen& s : drain(reader)) seen.push_back(std::move(s));
  }
  EXPECT_EQ(seen, (std::vector<Seen>{{WsEventKind::kMessage, true, std::string(300, 'z'), 0},
                                     {WsEventKind::kPing, false, "hb", 0}}));
}

TEST(WsFrameReader, FragmentsAreJoinedAroundAControlFrame) {
  WsFrameReader reader(1 << 20);
  feed(reader, frame(kTextFirst, "{\"p\":") + frame(kPing, "1") + frame(kMore, "\"97") + frame(kLast, "000\"}") +
                   frame(kText, "next"));
  EXPECT_EQ(drain(reader), (std::vector<Seen>{{WsEventKind::kPing, false, "1", 0},
                                              {WsEventKind::kMessage, true, "{\"p\":\"97000\"}", 0},
                                              {WsEventKind::kMessage, true, "next", 0}}));
}

TEST(WsFrameReader, PongAndCloseWithAndWithoutCode) {
  WsFrameReader reader(1 << 20);
  feed(reader, frame(kPong, "p") + frame(kClose, std::string("\x03\xE9going away", 12)));
  EXPECT_EQ(drain(reader), (std::vector<Seen>{{WsEventKind::kPong, false, "p", 0},
                                              {WsEventKind::kClose, false, "going away", 1001}}));
  WsFrameReader bare(1 << 20);
  feed(bare, frame(kClose, ""));
  EXPECT_EQ(drain(bare), (std::vector<Seen>{{WsEventKind::kClose, false, "", 1005}}));
}

TEST(WsFrameReader, ProtocolErrorsAreNamed) {
  EXPECT_NE(error_of("\x81\x81" "abcd" "x").find("masked frame from the server"), std::string::npos);
  EXPECT_NE(error_of(frame(0xC1, "x")).find("reserved bits"), std::string::npos);
  EXPECT_NE(error_of(frame(0x83, "x")).find("reserved data opcode 3"), std::string::npos);
  EXPECT_NE(error_of(frame(0x8B, "x")).find("reserved control opcode 11"), std::string::npos);
  EXPECT_NE(error_of(frame(0x09, "x")).find("fragmented control frame"), std::string::npos);
  EXPECT_NE(error_of(frame(kPing, std::string(126, 'p'))).find("control frame of 126 bytes"), std::string::npos);
  EXPECT_NE(error_of(frame(kLast, "x")).find("continuation frame without a message"), std::string::npos);
  EXPECT_NE(error_of(frame(kTextFirst, "a") + frame(kText, "b")).find("new message inside a fragmented one"),
            std::string::npos);
  EXPECT_NE(error_of(frame(kClose, "\x03")).find("one-byte payload"), std::string::npos);
  const std::string huge_length = std::string("\x81\x7F") + std::string("\x80\0\0\0\0\0\0\0", 8);
  EXPECT_NE(error_of(huge_length).find("high bit"), std::string::npos);
}

// Bytes no two positions of which are alike within 4 KiB, so a prefix cut at the wrong place shows.
std::string numbered(std::size_t size, char first = 'a') {
  std::string out;
  for (std::size_t i = 0; out.size() < size; ++i) out += std::to_string(i) + first;
  out.resize(size);
  return out;
}

Seen oversize(std::string_view prefix, bool text = true) {
  return {WsEventKind::kOversize, text, std::string(prefix), 0};
}

// Events with the length of each oversize message, until the reader needs more bytes.
std::vector<std::pair<Seen, std::uint64_t>> drain_with_lengths(WsFrameReader& reader) {
  std::vector<std::pair<Seen, std::uint64_t>> seen;
  for (;;) {
    Result<WsEvent> event = reader.next();
    EXPECT_TRUE(event) << event.status().message();
    if (!event || event->kind == WsEventKind::kNeedMore) return seen;
    seen.push_back({{event->kind, event->text, std::string(event->payload), event->close_code}, event->message_bytes});
  }
}

TEST(WsFrameReader, MessageAtTheLimitIsDelivered) {
  WsFrameReader reader(1000);
  feed(reader, frame(kText, std::string(1000, 'a')));
  EXPECT_EQ(drain(reader), (std::vector<Seen>{{WsEventKind::kMessage, true, std::string(1000, 'a'), 0}}));
}

TEST(WsFrameReader, OversizeFrameYieldsItsPrefixAndLengthAndTheNextMessageIsIntact) {
  const std::string big = numbered(10000);
  WsFrameReader reader(1000);
  feed(reader, frame(kText, big) + frame(kText, "next") + frame(kBinary, std::string(1001, 'b')));
  const auto seen = drain_with_lengths(reader);
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].first, oversize(big.substr(0, kOversizePrefixBytes)));
  EXPECT_EQ(seen[0].second, 10000U);
  EXPECT_EQ(seen[1].first, (Seen{WsEventKind::kMessage, true, "next", 0}));
  // Shorter than the prefix: all of it is kept.
  EXPECT_EQ(seen[2].first, oversize(std::string(1001, 'b'), /*text=*/false));
  EXPECT_EQ(seen[2].second, 1001U);
}

TEST(WsFrameReader, FragmentedMessageCrossingTheLimitMidWayIsSkippedWhole) {
  // 3000 bytes are held as a fragment; the second fragment takes the message over 5000; a ping between
  // the fragments is still reported; the prefix spans the first two fragments.
  const std::string first = numbered(3000, 'a');
  const std::string second = numbered(3000, 'b');
  const std::string third = numbered(3000, 'c');
  WsFrameReader reader(5000);
  feed(reader, frame(kTextFirst, first) + frame(kMore, second) + frame(kPing, "hb") + frame(kLast, third) +
                   frame(kText, "next"));
  const auto seen = drain_with_lengths(reader);
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].first, (Seen{WsEventKind::kPing, false, "hb", 0}));
  EXPECT_EQ(seen[1].first, oversize((first + second).substr(0, kOversizePrefixBytes)));
  EXPECT_EQ(seen[1].second, 9000U);
  EXPECT_EQ(seen[2].first, (Seen{WsEventKind::kMessage, true, "next", 0}));
}

TEST(WsFrameReader, OversizeMessageSplitAcrossManyReadsIsNeverHeld) {
  // 2 MiB over a 64 KiB limit, in fragments of 100 KiB, arriving 4 KiB + 3 bytes at a time.
  const std::string big = numbered(2 << 20);
  std::string wire;
  constexpr std::size_t kFragment = std::size_t{100} * 1024;
  for (std::size_t off = 0; off < big.size(); off += kFragment) {
    const bool last = off + kFragment >= big.size();
    wire += frame(static_cast<std::uint8_t>((off == 0 ? 0x01 : 0x00) | (last ? 0x80 : 0x00)),
                  std::string_view(big).substr(off, kFragment));
  }
  wire += frame(kText, "after");
  WsFrameReader reader(std::size_t{64} * 1024);
  const char* const start = reader.read_buffer().data();
  std::vector<std::pair<Seen, std::uint64_t>> seen;
  for (std::size_t off = 0; off < wire.size(); off += 4099) {
    feed(reader, std::string_view(wire).substr(off, 4099));
    for (auto& event : drain_with_lengths(reader)) seen.push_back(std::move(event));
    // Whatever arrived was taken: the buffer never grew past one read.
    ASSERT_EQ(reader.read_buffer().data(), start) << "at byte " << off;
  }
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].first, oversize(big.substr(0, kOversizePrefixBytes)));
  EXPECT_EQ(seen[0].second, big.size());
  EXPECT_EQ(seen[1].first, (Seen{WsEventKind::kMessage, true, "after", 0}));
}

TEST(WsFrameReader, OversizeHeaderAloneIsNotYetAnEvent) {
  WsFrameReader reader(1000);
  feed(reader, frame(kText, std::string(2000, 'x')).substr(0, 4 + 1500));
  EXPECT_TRUE(drain(reader).empty());
  feed(reader, std::string(500, 'x'));
  EXPECT_EQ(drain(reader), (std::vector<Seen>{oversize(std::string(2000, 'x'))}));
}

TEST(WsFrameReader, ASkippedMessageStillFollowsTheFragmentRules) {
  EXPECT_NE(error_of(frame(kTextFirst, std::string(2000, 'a')) + frame(kText, "b"), 1000)
                .find("new message inside a fragmented one"),
            std::string::npos);
  EXPECT_NE(error_of(frame(kText, std::string(2000, 'a')) + frame(kLast, "b"), 1000)
                .find("continuation frame without a message"),
            std::string::npos);
  // Fragments that add up to 2^63 bytes: 2000, then 2^63 - 2000 (each length alone is valid).
  const std::string continuation_header("\x00\x7F\x7F\xFF\xFF\xFF\xFF\xFF\xF8\x30", 10);
  EXPECT_NE(error_of(frame(kTextFirst, std::string(2000, 'a')) + continuation_header, 1000)
                .find("message of 2^63 bytes or more"),
            std::string::npos);
}

TEST(WsFrameReader, BufferIsReusedAfterEverythingWasParsed) {
  WsFrameReader reader(1 << 20);
  const char* const start = reader.read_buffer().data();
  for (int i = 0; i < 1000; ++i) {
    feed(reader, frame(kText, std::string(1000, static_cast<char>('a' + i % 26))));
    const std::vector<Seen> seen = drain(reader);
    ASSERT_EQ(seen.size(), 1U);
    ASSERT_EQ(seen[0].payload, std::string(1000, static_cast<char>('a' + i % 26)));
    // Everything parsed: the next read goes to the start of the same buffer, which never grew.
    ASSERT_EQ(reader.read_buffer().data(), start) << "after message " << i;
  }
}

}  // namespace
}  // namespace mc
