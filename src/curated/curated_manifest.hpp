#pragma once
// DIR/_curated.json (docs/OHLCV.md): what an `ohlcv` run wrote, and per symbol and day which trade
// ids are missing, from the audit's own coverage of the raw parts it read (audit_report.hpp's
// SymbolReport::missing), never counted a second way.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_report.hpp"
#include "common/id_ranges.hpp"
#include "curated/curated_days.hpp"
#include "curated/curated_writer.hpp"

namespace mc {

inline constexpr std::string_view kCuratedManifestName = "_curated.json";

// The ids of a symbol's missing set that may belong to one day: those after the previous written
// day's last id and before the next written day's first (the missing trades' times are unknown, so
// a gap between two days is listed under both). No previous (next) day: unbounded on that side.
IdSet day_missing(const IdSet& missing, std::optional<std::int64_t> previous_last,
                  std::optional<std::int64_t> next_first);

// One symbol's day: what was written (nullopt: no trade that day) and the ids missing.
struct DayCoverage {
  std::string day;
  std::optional<SymbolDay> written;
  IdSet missing;
};

struct SymbolCoverage {
  std::string symbol;
  const SymbolReport* audit = nullptr;  // nullptr: the audit read nothing of the symbol
  std::vector<DayCoverage> days;        // every day of the run, in order
};

// Per symbol (in symbols' order), every day of the run.
std::vector<SymbolCoverage> curated_coverage(const CuratedDays& days, const std::vector<std::string>& symbols,
                                             const AuditReport& report, const std::vector<SymbolDay>& written);

// Every day of every symbol has trades and no missing id.
bool curated_complete(const std::vector<SymbolCoverage>& coverage);

// The manifest, one JSON document ending with '\n'. engine: "DuckDB v1.4.4".
std::string curated_manifest_json(const CuratedDays& days, const AuditReport& report,
                                  const std::vector<SymbolCoverage>& coverage, std::string_view engine);

}  // namespace mc
