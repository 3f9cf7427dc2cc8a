#include "common/record.hpp"

namespace mc {

void RecordBatch::commit(RecordMeta meta, std::size_t line_start) {
  meta.line_bytes = static_cast<std::uint32_t>(lines.size() - line_start);
  records.push_back(meta);
}

RouteTable::RouteTable(const std::vector<std::string>& symbols) {
  routes_.reserve(2 * symbols.size() + 1);
  routes_.push_back({PartKind::kQuarantine, "unknown", "UNKNOWN"});
  for (const auto& symbol : symbols) add(symbol);
}

void RouteTable::add(const std::string& symbol) {
  routes_.push_back({PartKind::kData, "trade", symbol});
  routes_.push_back({PartKind::kQuarantine, "trade", symbol});
}

}  // namespace mc
