#include "audit/exchange_check.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace mc {

std::optional<IdRange> published_range(const IdsAt& from, const IdsAt& to) {
  if (!from.first_at_or_after) return std::nullopt;  // nothing at or after from: nothing in the range
  const std::int64_t first = *from.first_at_or_after;
  std::int64_t last = 0;
  if (to.first_at_or_after) {
    last = *to.first_at_or_after - 1;
  } else if (to.newest) {
    last = *to.newest;
  } else {
    return std::nullopt;
  }
  if (last < first) return std::nullopt;
  return IdRange{first, last};
}

EndsMissing missing_at_ends(const std::optional<IdRange>& published, const IdSet& stored, const IdSet& arrived_after,
                            const IdSet& disowned) {
  EndsMissing out;
  if (!published) return out;
  // Holes between the union's first and last id are SymbolReport::missing's: only what lies beyond
  // either end of the union is counted here, so no id is reported twice.
  const std::optional<IdRange> held = stored.span();
  if (!held) {
    out.at_start = IdSet{*published}.subtract(arrived_after).subtract(disowned);
    return out;
  }
  if (held->first > published->first) {
    out.at_start = IdSet{{published->first, std::min(held->first - 1, published->last)}}.subtract(disowned);
  }
  if (held->last < published->last) {
    out.at_end = IdSet{{std::max(held->last + 1, published->first), published->last}}
                     .subtract(arrived_after)
                     .subtract(disowned);
  }
  return out;
}

void add_exchange_findings(AuditReport& report, const ExchangeTruth& truth,
                           const std::map<std::string, IdSet>& arrived_after) {
  const IdSet none;
  for (SymbolReport& symbol : report.symbols) {
    const auto answer = truth.find(symbol.symbol);
    if (answer == truth.end()) continue;
    symbol.exchange = answer->second;
    if (!answer->second.failure.empty()) {
      report.findings.push_back({FindingKind::kExchangeUnavailable, symbol.symbol,
                                 fmt::format("{}: the ids at the range's ends are not checked (audit --offline "
                                             "checks the store alone)",
                                             answer->second.failure)});
      continue;
    }
    const auto after = arrived_after.find(symbol.symbol);
    const EndsMissing missing = missing_at_ends(answer->second.ids, symbol.ids,
                                                after == arrived_after.end() ? none : after->second,
                                                symbol.unrecoverable);
    symbol.missing_start = missing.at_start;
    symbol.missing_end = missing.at_end;
    const std::optional<IdRange> held = symbol.ids.span();
    if (!missing.at_start.empty()) {
      report.findings.push_back(
          {FindingKind::kMissingStart, symbol.symbol,
           fmt::format("{} ids the exchange published from {} are not stored:{} ({})", missing.at_start.count(),
                       utc_text(report.from_ms), ranges_text(missing.at_start),
                       held ? fmt::format("the first stored id is {}", held->first)
                            : std::string("no id of the range is stored"))});
    }
    if (!missing.at_end.empty()) {
      report.findings.push_back(
          {FindingKind::kMissingEnd, symbol.symbol,
           fmt::format("{} ids the exchange published before {} are not stored:{} (the last stored id is {}: "
                       "every instance stopped, or parts still wait in a spool)",
                       missing.at_end.count(), utc_text(report.to_ms), ranges_text(missing.at_end),
                       held ? held->last : 0)});
    }
  }
}

}  // namespace mc
