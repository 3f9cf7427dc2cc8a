#include "spool/part_scan.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

namespace mc {
namespace {

namespace od = simdjson::ondemand;

struct LineFields {
  std::int64_t recv_us = 0;
  std::optional<std::int64_t> event_ms;  // data.E
  std::optional<std::int64_t> id;        // data.t
};

// Reads E and t from the data object; the iterator skips the members not asked for.
bool read_data_object(od::value value, LineFields& fields) {
  od::object data;
  if (value.get_object().get(data) != simdjson::SUCCESS) return false;
  for (auto field : data) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    if (key == "E" || key == "t") {
      std::int64_t number = 0;
      if (field.value().get_int64().get(number) != simdjson::SUCCESS) return false;
      (key == "E" ? fields.event_ms : fields.id) = number;
    }
  }
  return true;
}

// One line (without its '\n') whose buffer stays readable `capacity` bytes from `line.data()`.
// Empty when the line is not one JSON object with the members its kind requires.
std::optional<LineFields> parse_line(od::parser& parser, std::string_view line, std::size_t capacity, PartKind kind) {
  od::document doc;
  if (parser.iterate(line.data(), line.size(), capacity).get(doc) != simdjson::SUCCESS) return std::nullopt;
  od::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return std::nullopt;

  LineFields fields;
  bool has_recv = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return std::nullopt;
    od::value value;
    if (field.value().get(value) != simdjson::SUCCESS) return std::nullopt;
    if (key == "recv_us") {
      if (value.get_int64().get(fields.recv_us) != simdjson::SUCCESS) return std::nullopt;
      has_recv = true;
    } else if (key == "data" && kind == PartKind::kData) {
      if (!read_data_object(value, fields)) return std::nullopt;
    }
  }
  // On-demand parsing stops at the object's end; anything after it means the line is not one object.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) return std::nullopt;

  if (!has_recv) return std::nullopt;
  if (kind == PartKind::kData && (!fields.event_ms || !fields.id)) return std::nullopt;
  return fields;
}

// Calls on_line(line bytes with its '\n', fields or nullopt) for each complete line of content;
// returns the bytes of those lines.
template <typename OnLine>
std::size_t for_each_line(const simdjson::padded_string& content, PartKind kind, const OnLine& on_line) {
  const std::string_view text(content.data(), content.size());
  const std::size_t last_newline = text.rfind('\n');
  const std::size_t kept = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  od::parser parser;
  for (std::size_t start = 0; start < kept;) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end - start);
    // The padded string keeps SIMDJSON_PADDING readable bytes past its end, so past every line.
    const std::size_t capacity = text.size() - start + simdjson::SIMDJSON_PADDING;
    start = end + 1;
    on_line(line.size() + 1, parse_line(parser, line, capacity, kind));
  }
  return kept;
}

}  // namespace

PartStats scan_part(const simdjson::padded_string& content, PartKind kind) {
  PartTally tally(kind);
  const std::size_t kept =
      for_each_line(content, kind, [&](std::size_t line_bytes, const std::optional<LineFields>& fields) {
        if (!fields) {
          tally.add_bad_line(line_bytes);
          return;
        }
        std::optional<TradeFacts> trade;
        if (kind == PartKind::kData) trade = TradeFacts{*fields->id, *fields->event_ms};
        tally.add_line(line_bytes, fields->recv_us, trade);
      });
  PartStats stats = std::move(tally).finish();
  stats.trimmed_bytes = content.size() - kept;
  return stats;
}

IdSet scan_trade_ids(const simdjson::padded_string& content) {
  std::vector<std::int64_t> ids;
  for_each_line(content, PartKind::kData, [&ids](std::size_t /*line_bytes*/, const std::optional<LineFields>& fields) {
    if (fields) ids.push_back(*fields->id);
  });
  std::sort(ids.begin(), ids.end());
  IdSet set;
  for (const std::int64_t id : ids) set.add(id);
  return set;
}

}  // namespace mc
