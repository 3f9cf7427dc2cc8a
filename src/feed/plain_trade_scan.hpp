#pragma once
// The fast path of RecordBuilder: one pass over a message that reads it as the exchange nearly always
// sends it, a combined-stream trade in plain ASCII JSON.
//
// The pass checks the whole message against the JSON grammar (RFC 8259) and picks out the members a
// trade line needs. It accepts only a subset of JSON, on purpose: no byte above 0x7F, no escape in
// any string, no member of interest written twice, E and t non-negative integers of at most 18
// digits, nesting at most kMaxPlainDepth. Whatever lies outside the subset — valid or not — is
// answered with nullopt and the caller takes the general path (simdjson), which decides what the
// message is. So the subset never has to classify bad input, and it can never accept text that
// is not JSON: what it accepts, the general path reads as the same trade.

#include <cstdint>
#include <optional>
#include <string_view>

namespace mc {

// Deeper messages take the general path (a trade is 2 deep).
inline constexpr int kMaxPlainDepth = 16;

// What a plain trade message says; the views point into the scanned text.
struct PlainTrade {
  std::string_view stream;  // "btcusdt@trade"
  std::string_view event;   // data.e
  std::string_view symbol;  // data.s
  std::int64_t event_time_ms = 0;  // data.E
  std::int64_t trade_id = 0;       // data.t
  bool line_breaks = false;        // a CR or LF between tokens (the only place the subset allows one)
};

// text: the whole message. nullopt: not in the plain subset (which says nothing about validity),
// or not a combined-stream message with string stream, object data, string data.e and data.s and
// integer data.E and data.t.
std::optional<PlainTrade> scan_plain_trade(std::string_view text);

}  // namespace mc
