#pragma once
// What keeps an audit from calling a range clean although nothing it read contradicts itself: the
// checks of what is absent. Without them an empty store, a wrong S3_PREFIX, a symbol nobody
// collected or an instance that died in the afternoon all read as "clean".
//   - empty_store: no part in the range and no head under the prefix at all;
//   - no_data: a symbol without a part in the range;
//   - instance_stopped: an instance that was storing during the range (its newest head is at or
//     after the range start) but whose newest head is older than the range end less
//     kHeadStaleGrace: it stopped, or stopped storing, before the range ended, and what the
//     exchange published after that head is vouched for by nobody the store can name.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "audit/audit_report.hpp"
#include "audit/audit_scan.hpp"
#include "audit/exchange_check.hpp"
#include "keys/head_object.hpp"

namespace mc {

// A running instance stores a head every kHeadInterval while its part numbers move; two intervals
// leave room for one that was due while the audit listed.
inline constexpr std::chrono::milliseconds kHeadStaleGrace = 2 * kHeadInterval;

// report: counted (every part of the range in its symbol). heads: the newest head of each instance
// (part_numbers.hpp). range_has_objects: the scan found any object in the range, paired or not;
// with no head either, the prefix holds nothing. exchange: the exchange's answers (nullptr with
// --offline). With them, no_data is not reported for a symbol the exchange published nothing for in
// the range, and instance_stopped not at all when every symbol was answered: the exchange's ids
// vouch for the range's end, which is what instance_stopped stands in for.
std::vector<Finding> coverage_findings(const AuditReport& report, const std::map<std::string, Head>& heads,
                                       bool range_has_objects, const ExchangeTruth* exchange = nullptr);

}  // namespace mc
