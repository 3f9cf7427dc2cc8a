#pragma once
// `market-collector audit`: the shallow scan, the deep check of each part when asked, and the
// coverage of each symbol by the union of instances and by each instance.

#include "audit/audit_deep.hpp"
#include "audit/audit_report.hpp"
#include "audit/audit_scan.hpp"
#include "audit/exchange_check.hpp"
#include "audit/store_reader.hpp"
#include "common/status.hpp"

namespace mc {

// Takes each part the deep audit verified, with its lines and where its trades are in them (audit
// --export). run_audit hands over the parts of one symbol one after another, symbols in the request's
// order, all on its caller's thread.
class VerifiedPartSink {
 public:
  virtual ~VerifiedPartSink() = default;
  // Before the first part: the request being audited (its jobs are the threads the sink may use too).
  virtual void start(const AuditRequest& request) = 0;
  virtual void add_part(const AuditedPart& part, const DeepCheck& check) = 0;
};

// Fails only when the store cannot be listed; everything wrong with the data is in the report.
// sink, when given, is fed in deep mode only. exchange, when given (not --offline): what the exchange
// published per symbol (exchange_ids.hpp), checked against the union's ends (exchange_check.hpp).
Result<AuditReport> run_audit(const StoreReader& store, const AuditRequest& request, VerifiedPartSink* sink = nullptr,
                              const ExchangeTruth* exchange = nullptr);

}  // namespace mc
