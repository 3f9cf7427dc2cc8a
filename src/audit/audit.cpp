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

void add_coverage_findings(AuditReport& report, const std::map<std::string, Head>& heads, bool range_has_objects) {
  for (Finding& finding : coverage_findings(report, heads, range_has_objects)) {
    report.findings.push_back(std::move(finding));
  }
}

}  // namespace

Result<AuditReport> run_audit(const StoreReader& store, const AuditRequest& request, VerifiedPartSink* sink) {
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
    add_coverage_findings(report, heads->by_instance, range_has_objects);
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
  add_coverage_findings(report, heads->by_instance, range_has_objects);
  return report;
}

unsigned default_audit_jobs() {
  return std::clamp(std::thread::hardware_concurrency(), 1U, kMaxDefaultAuditJobs);
}

}  // namespace mc
