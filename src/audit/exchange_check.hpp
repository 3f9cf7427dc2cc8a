#pragma once
// The audit against the exchange's truth: which trade ids the exchange published in [from, to), and
// which of them the union of instances lacks at either end of the range. Between the union's first
// and last id the store speaks for itself (SymbolReport::missing); before its first and after its
// last only the exchange can say what there was. Pure: the asking is exchange_ids.hpp's.
//
// The range's ids are [f(from), f(to) - 1], where f(t) is the first trade id at or after t (the `f`
// of the first aggregate trade with T >= t); when no trade at or after `to` exists yet (the range
// ends at or after the exchange's present), the range ends at the newest trade published.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "audit/audit_report.hpp"
#include "common/id_ranges.hpp"

namespace mc {

// Trades of a range's last moments are received, and stored, after it ends: parts whose minute
// folders lie this long after `to` are read (manifests only) to find them. A minute folder holds
// parts received in that minute; a trade reaches the collector well within it.
inline constexpr std::chrono::milliseconds kArrivalGrace{60'000};

// What the exchange said about one instant t.
struct IdsAt {
  std::optional<std::int64_t> first_at_or_after;  // the first trade id with a time >= t
  // When no trade at or after t exists: the newest trade id published; nullopt: no trade at all.
  std::optional<std::int64_t> newest;
  friend bool operator==(const IdsAt&, const IdsAt&) = default;
};

// The ids published in [from, to), from the answers at from and at to; nullopt: none.
std::optional<IdRange> published_range(const IdsAt& from, const IdsAt& to);

struct EndsMissing {
  IdSet at_start;
  IdSet at_end;
};

// published: published_range's. stored: the union's ids. arrived_after: ids of parts stored just
// after the range (kArrivalGrace), which close its end. disowned: ids the exchange said do not exist
// (the manifests' unrecoverable gaps). Without a stored id in the published range, every published
// id is missing "at the start".
EndsMissing missing_at_ends(const std::optional<IdRange>& published, const IdSet& stored, const IdSet& arrived_after,
                            const IdSet& disowned);

// The exchange's answers, by symbol.
using ExchangeTruth = std::map<std::string, PublishedIds>;

// For each symbol of the report: sets its exchange answer and the ids missing at either end, and adds
// missing_start, missing_end and exchange_unavailable findings (key: the symbol). arrived_after: ids
// stored just after the range, by symbol. report.exchange names where the answers came from.
void add_exchange_findings(AuditReport& report, const ExchangeTruth& truth,
                           const std::map<std::string, IdSet>& arrived_after);

}  // namespace mc
