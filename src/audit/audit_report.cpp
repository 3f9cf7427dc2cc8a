#include "audit/audit_report.hpp"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audit/report_json.hpp"

namespace mc {
namespace {

// Missing ranges the table shows per line.
constexpr std::size_t kMaxTableRanges = 8;

using Json = nlohmann::ordered_json;

using report_json::span_id;
using report_json::ranges;

// The ids of the union's span an instance does not hold.
IdSet instance_missing(const SymbolReport& symbol, const InstanceCoverage& instance) {
  const std::optional<IdRange> span = symbol.ids.span();
  return span ? instance.ids.missing_within(*span) : IdSet{};
}

// "  exchange: ids 1000-1209 published; 10 missing at the start: 1000-1009; 0 at the end"
std::string exchange_line(const SymbolReport& symbol) {
  const PublishedIds& published = *symbol.exchange;
  if (!published.failure.empty()) return "  exchange: not checked (exchange_unavailable)\n";
  if (!published.ids) return "  exchange: no trade published in the range\n";
  const auto count_text = [](const IdSet& set) {
    return set.empty() ? std::string("0") : fmt::format("{}:{}", set.count(), ranges_text(set));
  };
  return fmt::format("  exchange: ids {}-{} published; missing at the start {}, at the end {}\n", published.ids->first,
                     published.ids->last, count_text(symbol.missing_start), count_text(symbol.missing_end));
}

// The symbol's "exchange" member: null with --offline.
Json exchange_json(const SymbolReport& symbol) {
  if (!symbol.exchange) return nullptr;
  const PublishedIds& published = *symbol.exchange;
  if (!published.failure.empty()) return {{"error", published.failure}};
  return {{"first_id", span_id(published.ids, true)},
          {"last_id", span_id(published.ids, false)},
          {"missing_start_count", symbol.missing_start.count()},
          {"missing_start", ranges(symbol.missing_start)},
          {"missing_end_count", symbol.missing_end.count()},
          {"missing_end", ranges(symbol.missing_end)}};
}

}  // namespace

std::string utc_text(std::int64_t ms) {
  const std::chrono::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds{ms}};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
}

std::string ranges_text(const IdSet& set) {
  std::string out;
  for (std::size_t i = 0; i < set.ranges().size() && i < kMaxTableRanges; ++i) {
    const IdRange& r = set.ranges()[i];
    out += r.first == r.last ? fmt::format(" {}", r.first) : fmt::format(" {}-{}", r.first, r.last);
  }
  if (set.ranges().size() > kMaxTableRanges) out += fmt::format(" (+{} more)", set.ranges().size() - kMaxTableRanges);
  return out;
}

IdSet SymbolReport::missing() const {
  const std::optional<IdRange> whole = ids.span();
  return whole ? ids.missing_within(*whole).subtract(unrecoverable) : IdSet{};
}

double SymbolReport::duplicates_ratio() const {
  const std::uint64_t unique = ids.count();
  return unique == 0 ? 0.0 : static_cast<double>(copies) / static_cast<double>(unique);
}

int AuditReport::exit_code() const {
  bool exchange_unavailable = false;
  for (const Finding& finding : findings) {
    if (finding.kind != FindingKind::kExchangeUnavailable) return 1;
    exchange_unavailable = true;
  }
  for (const SymbolReport& symbol : symbols) {
    if (!symbol.missing().empty()) return 1;
  }
  return exchange_unavailable ? kExitExchangeUnavailable : 0;
}

std::string render_table(const AuditReport& report) {
  std::string out = fmt::format("audit ({}) of {} prefix \"{}\" from {} to {}, exchange {}\n\n",
                                report.deep ? "deep" : "shallow", report.store, report.prefix,
                                utc_text(report.from_ms), utc_text(report.to_ms),
                                report.exchange.empty() ? "not asked (--offline)" : report.exchange);
  out += fmt::format("{:<12} {:>6} {:>14} {:>14} {:>10} {:>10} {:>7}\n", "symbol", "parts", "first_id", "last_id",
                     "ids", "missing", "dup");
  for (const SymbolReport& symbol : report.symbols) {
    const std::optional<IdRange> span = symbol.ids.span();
    const IdSet missing = symbol.missing();
    out += fmt::format("{:<12} {:>6} {:>14} {:>14} {:>10} {:>10} {:>7.2f}\n", symbol.symbol, symbol.parts,
                       span ? std::to_string(span->first) : "-", span ? std::to_string(span->last) : "-",
                       symbol.ids.count(), missing.count(), symbol.duplicates_ratio());
    if (!missing.empty()) out += fmt::format("  missing:{}\n", ranges_text(missing));
    if (symbol.exchange) out += exchange_line(symbol);
    if (!symbol.declared_gaps.empty() || !symbol.unrecoverable.empty()) {
      const IdSet open = symbol.declared_open();
      out += fmt::format("  gaps declared by the collectors: {} ids, {} filled, {} open{}, {} not on the exchange{}\n",
                         symbol.declared_gaps.count(), symbol.declared_gaps.count() - symbol.declared_gaps.subtract(symbol.ids).count(),
                         open.count(), open.empty() ? "" : ":" + ranges_text(open), symbol.unrecoverable.count(),
                         symbol.unrecoverable.empty() ? "" : ":" + ranges_text(symbol.unrecoverable));
    }
    for (const auto& [instance_id, instance] : symbol.instances) {
      const IdSet gaps = instance_missing(symbol, instance);
      out += fmt::format("  instance {:<20} {:>6} parts {:>10} ids {:>10} missing{}\n", instance_id, instance.parts,
                         instance.ids.count(), gaps.count(), gaps.empty() ? "" : ":" + ranges_text(gaps));
    }
  }
  if (!report.findings.empty()) {
    out += fmt::format("\nfindings ({}):\n", report.findings.size());
    for (const Finding& finding : report.findings) {
      out += fmt::format("  {:<16} {}\n  {:<16} {}\n", to_string(finding.kind), finding.key, "", finding.reason);
    }
  }
  const int code = report.exit_code();
  if (code == 0) {
    out += "\nresult: clean\n";
  } else if (code == kExitExchangeUnavailable) {
    out += fmt::format("\nresult: NOT CHECKED: the exchange did not answer (exit {})\n", code);
  } else {
    out += "\nresult: PROBLEMS (exit 1)\n";
  }
  return out;
}

std::string render_json(const AuditReport& report) {
  Json symbols = Json::array();
  for (const SymbolReport& symbol : report.symbols) {
    const std::optional<IdRange> span = symbol.ids.span();
    const IdSet missing = symbol.missing();
    Json instances = Json::array();
    for (const auto& [instance_id, instance] : symbol.instances) {
      const IdSet gaps = instance_missing(symbol, instance);
      const std::optional<IdRange> own = instance.ids.span();
      instances.push_back({{"instance_id", instance_id},
                           {"parts", instance.parts},
                           {"first_id", span_id(own, true)},
                           {"last_id", span_id(own, false)},
                           {"ids", instance.ids.count()},
                           {"missing_count", gaps.count()},
                           {"missing", ranges(gaps)},
                           {"missing_truncated", gaps.ranges().size() > kMaxListedRanges}});
    }
    symbols.push_back({{"symbol", symbol.symbol},
                       {"parts", symbol.parts},
                       {"first_id", span_id(span, true)},
                       {"last_id", span_id(span, false)},
                       {"ids", symbol.ids.count()},
                       {"copies", symbol.copies},
                       {"duplicates_ratio", symbol.duplicates_ratio()},
                       {"missing_count", missing.count()},
                       {"missing", ranges(missing)},
                       {"missing_truncated", missing.ranges().size() > kMaxListedRanges},
                       {"declared_gaps_count", symbol.declared_gaps.count()},
                       {"declared_gaps_filled", symbol.declared_gaps.count() - symbol.declared_gaps.subtract(symbol.ids).count()},
                       {"declared_gaps_open", ranges(symbol.declared_open())},
                       {"unrecoverable_count", symbol.unrecoverable.count()},
                       {"unrecoverable", ranges(symbol.unrecoverable)},
                       {"exchange", exchange_json(symbol)},
                       {"instances", std::move(instances)}});
  }
  const Json out = {{"mode", report.deep ? "deep" : "shallow"},
                    {"store", report.store},
                    {"prefix", report.prefix},
                    {"exchange", report.exchange.empty() ? Json(nullptr) : Json(report.exchange)},
                    {"from", utc_text(report.from_ms)},
                    {"from_ms", report.from_ms},
                    {"to", utc_text(report.to_ms)},
                    {"to_ms", report.to_ms},
                    {"exit_code", report.exit_code()},
                    {"symbols", std::move(symbols)},
                    {"findings", report_json::findings(report.findings)}};
  return out.dump() + "\n";
}

}  // namespace mc
