#pragma once
// What the audit found, per symbol and per instance, and its two renderings: a table for people
// and JSON for machines (docs/AUDIT.md describes the JSON).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_scan.hpp"
#include "common/id_ranges.hpp"

namespace mc {

// Missing ranges listed per symbol or instance (JSON report, export manifest); counts stay exact beyond it.
inline constexpr std::size_t kMaxListedRanges = 1000;

struct InstanceCoverage {
  IdSet ids;
  std::uint64_t parts = 0;
};

// The exchange's answer for one symbol (exchange_ids.hpp): which trade ids it published in [from, to).
struct PublishedIds {
  std::optional<IdRange> ids;  // nullopt: no trade in the range
  std::string failure;         // not empty: the exchange could not be asked, or its answer made no sense
};

// The audit's exit code when nothing wrong was found but the exchange could not vouch for the
// range's ends: neither clean (0) nor a proven problem (1).
inline constexpr int kExitExchangeUnavailable = 3;

struct SymbolReport {
  std::string symbol;
  IdSet ids;                 // the union over instances
  std::uint64_t copies = 0;  // ids summed over every part of every instance: ids.count() with no duplicates
  std::uint64_t parts = 0;
  std::map<std::string, InstanceCoverage> instances;  // by instance id
  IdSet declared_gaps;  // ids the instances' ledgers found missing from the stream (extra.feed_gaps)
  IdSet unrecoverable;  // ids the exchange said do not exist (extra.unrecoverable_gaps): not missing
  std::optional<PublishedIds> exchange;  // nullopt: audited --offline
  IdSet missing_start;  // published ids before the union's first id (or all of them, with no union)
  IdSet missing_end;    // published ids after the union's last id

  IdSet missing() const;  // inside the union's span, less the unrecoverable ids
  // Declared gaps the union does not hold and the exchange did not disown.
  IdSet declared_open() const { return declared_gaps.subtract(ids).subtract(unrecoverable); }
  double duplicates_ratio() const;  // copies / unique ids; 0 without ids
};

struct AuditReport {
  std::string store;   // StoreReader::describe()
  std::string prefix;
  std::string exchange;  // the REST URL asked for the range's ids; empty: --offline
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  bool deep = false;
  std::vector<SymbolReport> symbols;
  std::vector<Finding> findings;

  // 0: clean; 1: ids missing from a union, or any finding other than exchange_unavailable;
  // otherwise kExitExchangeUnavailable when the exchange could not be asked.
  int exit_code() const;
};

// "2026-11-25T05:00:00.000Z"
std::string utc_text(std::int64_t ms);

// " 5-9 12 (+3 more)": the first ranges of a set, as the table shows them.
std::string ranges_text(const IdSet& set);

std::string render_table(const AuditReport& report);
std::string render_json(const AuditReport& report);  // one JSON document on one line, ending with '\n'

}  // namespace mc
