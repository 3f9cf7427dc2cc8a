#include "audit/audit.hpp"

#include <algorithm>
#include <set>
#include <thread>

#include "audit/audit_deep.hpp"
#include "audit/coverage.hpp"
#include "audit/ordered_pool.hpp"
#include "audit/part_numbers.hpp"
#include "keys/part_name.hpp"

namespace mc {
namespace {

void count_part(AuditReport& report, const AuditedPart& part, const IdSet& ids, std::uint64_t copies) {
  const auto symbol = std::find_if(report.symbols.begin(), report.symbols.end(),
                                   [&part](const SymbolReport& s) { return s.symbol == part.symbol; });
  symbol->ids.add(ids);
  symbol->declared_gaps.add(part.manifest.feed_gaps);
  symbol->unrecoverable.add(part.manifest.unrecoverable);
  symbol->copies += copies;
  ++symbol->parts;
  InstanceCoverage& instance = symbol->instances[part.instance_id];
  instance.ids.add(ids);
  ++instance.parts;
}

// Ids of the parts stored in the kArrivalGrace after the range, by symbol (manifests only): the
// trades of the range's last moments that arrived after it ended.
Result<std::map<std::string, IdSet>> ids_arrived_after(const StoreReader& store, const AuditRequest& request) {
  AuditRequest after = request;
  after.from_ms = request.to_ms;
  after.to_ms = request.to_ms + kArrivalGrace.count();
  after.deep = false;
  Result<ScanResult> scan = scan_store(store, after);
  if (!scan) return scan.status();
  std::map<std::string, IdSet> ids;
  for (const AuditedPart& part : scan->parts) ids[part.symbol].add(part.manifest.ids);
  return ids;
}

// The findings of what is absent (coverage.hpp), then the exchange's (exchange_check.hpp).
Status add_absence_findings(AuditReport& report, const StoreReader& store, const AuditRequest& request,
                            const std::map<std::string, Head>& heads, bool range_has_objects,
                            const ExchangeTruth* exchange) {
  for (Finding& finding : coverage_findings(report, heads, range_has_objects, exchange)) {
    report.findings.push_back(std::move(finding));
  }
  if (exchange == nullptr) return Status::ok();
  Result<std::map<std::string, IdSet>> arrived = ids_arrived_after(store, request);
  if (!arrived) return arrived.status();
  add_exchange_findings(report, *exchange, *arrived);
  return Status::ok();
}

}  // namespace

Result<AuditReport> run_audit(const StoreReader& store, const AuditRequest& request, VerifiedPartSink* sink,
                              const ExchangeTruth* exchange) {
  Result<ScanResult> scan = scan_store(store, request);
  if (!scan) return scan.status();
  const bool range_has_objects = !scan->parts.empty() || !scan->findings.empty();
  AuditReport report{.store = store.describe(), .prefix = request.prefix, .from_ms = request.from_ms,
                     .to_ms = request.to_ms, .deep = request.deep, .findings = std::move(scan->findings)};
  for (const std::string& symbol : request.symbols) report.symbols.push_back({.symbol = symbol});
  Result<NewestHeads> heads = read_newest_heads(store, request.prefix);
  if (!heads) return heads.status();
  for (Finding& finding : heads->findings) report.findings.push_back(std::move(finding));
  // A part whose manifest is still there is already an orphan_manifest finding: not named twice.
  std::set<std::string> orphaned_parts;
  for (const Finding& finding : report.findings) {
    if (finding.kind != FindingKind::kOrphanManifest) continue;
    if (const std::optional<PartName> name = parse_part_key(finding.key)) orphaned_parts.insert(name->part_key());
  }
  for (Finding& finding : find_lost_parts(scan->parts, heads->by_instance, request)) {
    if (!orphaned_parts.contains(finding.key)) report.findings.push_back(std::move(finding));
  }

  if (sink != nullptr) sink->start(request);
  const std::vector<AuditedPart>& parts = scan->parts;
  if (!request.deep) {
    for (const AuditedPart& part : parts) count_part(report, part, part.manifest.ids, part.manifest.ids.count());
    if (Status s = add_absence_findings(report, store, request, heads->by_instance, range_has_objects, exchange); !s) {
      return s;
    }
    return report;
  }
  // Parts are verified on request.jobs threads but counted, and fed to the sink, in scan order.
  run_ordered(
      parts.size(), request.jobs,
      [&store, &parts, sink](std::size_t i) { return verify_part(store, parts[i], /*keep_lines=*/sink != nullptr); },
      [&report, &parts, sink](std::size_t i, DeepCheck check) {
        if (check.finding) {
          report.findings.push_back(std::move(*check.finding));
          return;
        }
        count_part(report, parts[i], check.ids, check.id_count);
        if (sink != nullptr) sink->add_part(parts[i], check);
      });
  if (Status s = add_absence_findings(report, store, request, heads->by_instance, range_has_objects, exchange); !s) {
    return s;
  }
  return report;
}

unsigned default_audit_jobs() {
  return std::clamp(std::thread::hardware_concurrency(), 1U, kMaxDefaultAuditJobs);
}

}  // namespace mc
