#pragma once
// Head objects: what one instance has stored, per writer, as a new object at most once a minute and
// at every clean stop (docs/S3_LAYOUT.md "Heads"):
//
//   <prefix>_collector/heads/<instance>/<epoch_ms>.json
//   {"version":"1","instance_id":"i-1","created_at_ms":..,"reason":"periodic"|"stop",
//    "writers":[{"stream":"trade","symbol":"BTCUSDT","part_number":412,"part_key":"raw/exchange=..."}]}
//
// part_number is the newest part number of that writer that reached the store (spool/stored_marks.hpp).
// Every head is a new key, so the store's no-overwrite rule holds for heads too; the audit reads the
// newest head of each instance to tell a lost last part from one never written.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

// A running collector stores a head at most this often, when a part number moved since the last one.
inline constexpr std::chrono::seconds kHeadInterval{60};

struct HeadWriter {
  std::string stream;
  std::string symbol;
  std::uint64_t part_number = 0;
  std::string part_key;
  friend bool operator==(const HeadWriter&, const HeadWriter&) = default;
};

struct Head {
  std::string instance_id;
  std::int64_t created_at_ms = 0;
  std::string reason;  // "periodic" or "stop"
  std::vector<HeadWriter> writers;  // sorted by stream, symbol
  friend bool operator==(const Head&, const Head&) = default;
};

// "<prefix>_collector/heads/" and "<prefix>_collector/heads/<instance>/<epoch_ms>.json".
std::string heads_prefix(std::string_view prefix);
std::string head_key(std::string_view prefix, std::string_view instance_id, std::int64_t epoch_ms);
// The instance and epoch_ms of a head key under heads_prefix(prefix); false for anything else.
bool parse_head_key(std::string_view prefix, std::string_view key, std::string& instance_id, std::int64_t& epoch_ms);

std::string render_head(const Head& head);
// kCorrupt naming what is wrong.
Result<Head> parse_head(std::string_view text);

}  // namespace mc
