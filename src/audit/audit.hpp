#pragma once
// `market-collector audit`: the shallow scan, the deep check of each part when asked, and the
// coverage of each symbol by the union of instances and by each instance.

#include "audit/audit_report.hpp"
#include "audit/audit_scan.hpp"
#include "audit/store_reader.hpp"
#include "common/status.hpp"

namespace mc {

// Fails only when the store cannot be listed; everything wrong with the data is in the report.
Result<AuditReport> run_audit(const StoreReader& store, const AuditRequest& request);

}  // namespace mc
