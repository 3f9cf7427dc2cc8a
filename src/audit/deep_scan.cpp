#include "audit/deep_scan.hpp"

#include <algorithm>

#include <simdjson.h>

namespace mc {
namespace {

namespace od = simdjson::ondemand;

// What one line holds. A member of the wrong type makes the line bad for the manifest numbers but
// the walk goes on, so that data.t is still found; only JSON that cannot be read ends it.
struct Line {
  bool parsed = false;  // one JSON object, walked to its end
  bool typed = true;    // recv_us, data and data.E have their types when present
  std::optional<std::int64_t> recv_us;
  std::optional<std::int64_t> event_ms;  // data.E
  std::optional<std::int64_t> id;        // data.t
  std::optional<std::int64_t> trade_ms;  // data.T
  bool rest = false;                     // "src":"rest"

  bool good() const { return parsed && typed && recv_us && event_ms && id; }
};

enum class Member { kInteger, kOtherType, kBroken };

// An integer member, or what it is instead: another JSON type, which leaves the line readable, or JSON
// a DOM parser refuses (so that such a line holds no trade id, as it did for the DOM pass this one
// replaced): a malformed number, or an integer beyond 64 bits, which the on-demand parser would
// otherwise take for a number of another type.
Member read_integer(od::value value, std::int64_t& out) {
  const simdjson::error_code error = value.get_int64().get(out);
  if (error == simdjson::SUCCESS) return Member::kInteger;
  if (error != simdjson::INCORRECT_TYPE) return Member::kBroken;
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return Member::kBroken;
  if (type != od::json_type::number) return Member::kOtherType;
  std::uint64_t unsigned_value = 0;
  if (value.get_uint64().get(unsigned_value) == simdjson::SUCCESS) return Member::kOtherType;
  double real = 0;
  if (value.get_double().get(real) != simdjson::SUCCESS) return Member::kBroken;
  return value.raw_json_token().find_first_of(".eE") == std::string_view::npos ? Member::kBroken
                                                                               : Member::kOtherType;
}

// The data object's E, t and T; false when its JSON cannot be read.
bool read_data(od::value value, Line& line) {
  od::object data;
  if (value.get_object().get(data) != simdjson::SUCCESS) {
    line.typed = false;  // no data.t either
    return true;
  }
  for (auto field : data) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    if (key != "E" && key != "t" && key != "T") continue;
    od::value member;
    if (field.value().get(member) != simdjson::SUCCESS) return false;
    std::int64_t number = 0;
    const Member read = read_integer(member, number);
    if (key == "T") {
      // Only the export reads T; the sealer does not, so T never makes a line bad.
      if (read == Member::kInteger) line.trade_ms = number;
      continue;
    }
    switch (read) {
      case Member::kInteger:
        (key == "E" ? line.event_ms : line.id) = number;
        break;
      case Member::kOtherType:
        // A t that is not an integer is no trade id; an E that is not one leaves t counted.
        if (key == "t") line.id.reset();
        line.typed = false;
        break;
      case Member::kBroken:
        return false;
    }
  }
  return true;
}

// One line (without its '\n') whose buffer stays readable `capacity` bytes from `text.data()`.
Line read_line(od::parser& parser, std::string_view text, std::size_t capacity) {
  Line line;
  od::document doc;
  if (parser.iterate(text.data(), text.size(), capacity).get(doc) != simdjson::SUCCESS) return line;
  od::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return line;
  for (auto field : root) {
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS || field.value().get(value) != simdjson::SUCCESS) {
      return line;
    }
    if (key == "recv_us") {
      std::int64_t recv_us = 0;
      const Member member = read_integer(value, recv_us);
      if (member == Member::kBroken) return line;
      line.typed = line.typed && member == Member::kInteger;
      if (member == Member::kInteger) line.recv_us = recv_us;
    } else if (key == "data") {
      if (!read_data(value, line)) return line;
    } else if (key == "src") {
      std::string_view src;
      line.rest = value.get_string().get(src) == simdjson::SUCCESS && src == "rest";
    }
  }
  // On-demand parsing stops at the object's end; anything after it means the line is not one object.
  const char* rest = nullptr;
  line.parsed = doc.current_location().get(rest) == simdjson::OUT_OF_BOUNDS;
  return line;
}

void widen(std::optional<std::int64_t>& min, std::optional<std::int64_t>& max, std::int64_t value) {
  min = min ? std::min(*min, value) : value;
  max = max ? std::max(*max, value) : value;
}

}  // namespace

DeepScan scan_deep(std::string_view content, bool with_trades) {
  DeepScan scan;
  const std::size_t last_newline = content.rfind('\n');
  scan.bytes = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  scan.trimmed_bytes = content.size() - scan.bytes;
  // One entry per line at most: reserved, since a part has ~10,000 lines.
  if (with_trades) scan.trades.reserve(static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n')));
  od::parser parser;
  const auto count = [&scan, with_trades](const Line& line, std::size_t offset, std::size_t length) {
    ++scan.record_count;
    const bool trade = line.parsed && line.id;
    if (trade) {
      scan.ids.add(*line.id);
      ++scan.id_count;
    }
    if (with_trades) {
      if (trade && (line.trade_ms || line.event_ms)) {
        scan.trades.push_back({.offset = offset, .length = length, .id = *line.id,
                               .trade_ms = line.trade_ms ? *line.trade_ms : *line.event_ms,
                               .recv_us = line.recv_us.value_or(std::numeric_limits<std::int64_t>::max()),
                               .rest = line.rest});
      } else {
        ++scan.lines_without_trade;
      }
    }
    if (!line.good()) return;
    widen(scan.time_min_ms, scan.time_max_ms, *line.event_ms);
    widen(scan.id_first, scan.id_last, *line.id);
  };
  std::size_t start = 0;
  while (start < scan.bytes) {
    const std::size_t end = content.find('\n', start);
    if (end + simdjson::SIMDJSON_PADDING > content.size()) break;
    count(read_line(parser, content.substr(start, end - start), content.size() - start), start, end - start);
    start = end + 1;
  }
  // The last lines, too close to content's end to be read in place.
  const simdjson::padded_string tail(content.substr(start, scan.bytes - start));
  const std::string_view text(tail.data(), tail.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    count(read_line(parser, text.substr(at, end - at), text.size() - at + simdjson::SIMDJSON_PADDING), start + at,
          end - at);
    at = end + 1;
  }
  return scan;
}

}  // namespace mc
