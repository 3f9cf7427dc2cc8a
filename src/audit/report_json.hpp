#pragma once
// JSON pieces the audit's report and its export manifest share. nlohmann-json stays out of the
// public audit headers; only these two .cpp files include this one.

#include <cstddef>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_report.hpp"
#include "common/id_ranges.hpp"

namespace mc::report_json {

using Json = nlohmann::ordered_json;

// [[first, last], ...], at most kMaxListedRanges of them.
inline Json ranges(const IdSet& set) {
  Json out = Json::array();
  for (std::size_t i = 0; i < set.ranges().size() && i < kMaxListedRanges; ++i) {
    out.push_back(Json::array({set.ranges()[i].first, set.ranges()[i].last}));
  }
  return out;
}

// The span's first (or last) id; null without a span.
inline Json span_id(const std::optional<IdRange>& span, bool first) {
  if (!span) return nullptr;
  return first ? span->first : span->last;
}

// [{"kind","key","reason"}, ...]
inline Json findings(const std::vector<Finding>& list) {
  Json out = Json::array();
  for (const Finding& finding : list) {
    out.push_back({{"kind", to_string(finding.kind)}, {"key", finding.key}, {"reason", finding.reason}});
  }
  return out;
}

}  // namespace mc::report_json
