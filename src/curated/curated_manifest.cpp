#include "curated/curated_manifest.hpp"

#include <limits>

#include <nlohmann/json.hpp>

namespace mc {
namespace {

using Json = nlohmann::ordered_json;

Json ranges_json(const IdSet& set) {
  Json out = Json::array();
  for (std::size_t i = 0; i < set.ranges().size() && i < kMaxListedRanges; ++i) {
    out.push_back(Json::array({set.ranges()[i].first, set.ranges()[i].last}));
  }
  return out;
}

}  // namespace

IdSet day_missing(const IdSet& missing, std::optional<std::int64_t> previous_last,
                  std::optional<std::int64_t> next_first) {
  const std::int64_t low = previous_last ? *previous_last + 1 : std::numeric_limits<std::int64_t>::min();
  const std::int64_t high = next_first ? *next_first - 1 : std::numeric_limits<std::int64_t>::max();
  IdSet out;
  for (const IdRange& range : missing.ranges()) {
    const std::int64_t first = std::max(range.first, low);
    const std::int64_t last = std::min(range.last, high);
    if (first <= last) out.add(first, last);
  }
  return out;
}

std::vector<SymbolCoverage> curated_coverage(const CuratedDays& days, const std::vector<std::string>& symbols,
                                             const AuditReport& report, const std::vector<SymbolDay>& written) {
  std::vector<SymbolCoverage> out;
  for (const std::string& symbol : symbols) {
    SymbolCoverage coverage{.symbol = symbol};
    for (const SymbolReport& audited : report.symbols) {
      if (audited.symbol == symbol) coverage.audit = &audited;
    }
    const IdSet missing = coverage.audit != nullptr ? coverage.audit->missing() : IdSet{};
    std::vector<const SymbolDay*> by_day;  // the symbol's written days, in day order
    for (const std::string& day : days.days) {
      const SymbolDay* found = nullptr;
      for (const SymbolDay& candidate : written) {
        if (candidate.symbol == symbol && candidate.day == day) found = &candidate;
      }
      by_day.push_back(found);
    }
    for (std::size_t i = 0; i < by_day.size(); ++i) {
      DayCoverage day{.day = days.days[i]};
      if (by_day[i] != nullptr) {
        std::optional<std::int64_t> previous_last;
        std::optional<std::int64_t> next_first;
        for (std::size_t j = i; j-- > 0;) {
          if (by_day[j] != nullptr) {
            previous_last = by_day[j]->last_id;
            break;
          }
        }
        for (std::size_t j = i + 1; j < by_day.size(); ++j) {
          if (by_day[j] != nullptr) {
            next_first = by_day[j]->first_id;
            break;
          }
        }
        day.written = *by_day[i];
        day.missing = day_missing(missing, previous_last, next_first);
      }
      coverage.days.push_back(std::move(day));
    }
    out.push_back(std::move(coverage));
  }
  return out;
}

bool curated_complete(const std::vector<SymbolCoverage>& coverage) {
  for (const SymbolCoverage& symbol : coverage) {
    for (const DayCoverage& day : symbol.days) {
      if (!day.written || !day.missing.empty()) return false;
    }
  }
  return true;
}

std::string curated_manifest_json(const CuratedDays& days, const AuditReport& report,
                                  const std::vector<SymbolCoverage>& coverage, std::string_view engine) {
  Json symbols = Json::array();
  for (const SymbolCoverage& symbol : coverage) {
    Json day_list = Json::array();
    for (const DayCoverage& day : symbol.days) {
      Json entry = {{"dt", day.day}};
      if (day.written) {
        entry["trades"] = day.written->trades;
        entry["bars"] = day.written->bars;
        entry["first_id"] = day.written->first_id;
        entry["last_id"] = day.written->last_id;
        entry["files"] = day.written->files;
      } else {
        entry["trades"] = 0;
        entry["bars"] = 0;
      }
      entry["missing"] = day.missing.count();
      entry["missing_ranges"] = ranges_json(day.missing);
      day_list.push_back(std::move(entry));
    }
    Json item = {{"symbol", symbol.symbol}};
    if (symbol.audit != nullptr && symbol.audit->ids.span()) {
      const IdSet missing = symbol.audit->missing();
      item["first_id"] = symbol.audit->ids.span()->first;
      item["last_id"] = symbol.audit->ids.span()->last;
      item["ids"] = symbol.audit->ids.count();
      item["missing"] = missing.count();
      item["missing_ranges"] = ranges_json(missing);
    } else {
      item["first_id"] = nullptr;
      item["last_id"] = nullptr;
      item["ids"] = 0;
      item["missing"] = 0;
      item["missing_ranges"] = Json::array();
    }
    item["days"] = std::move(day_list);
    symbols.push_back(std::move(item));
  }
  Json findings = Json::array();
  for (const Finding& finding : report.findings) {
    findings.push_back({{"kind", to_string(finding.kind)}, {"key", finding.key}, {"reason", finding.reason}});
  }
  const Json manifest = {
      {"from", utc_text(days.from_ms)},
      {"to", utc_text(days.to_ms)},
      {"days", days.days},
      {"complete", curated_complete(coverage)},
      {"store", report.store},
      {"prefix", report.prefix},
      {"read_from", utc_text(days.read_from_ms)},
      {"read_to", utc_text(days.read_to_ms)},
      {"engine", engine},
      {"sql", {"sql/curated/trades_curated.sql", "sql/curated/ohlcv_1s.sql"}},
      {"symbols", std::move(symbols)},
      {"findings", std::move(findings)},
  };
  return manifest.dump() + "\n";
}

}  // namespace mc
