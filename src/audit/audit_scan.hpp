#pragma once
// The shallow audit: list the folders of a time range (listing_plan.hpp), pair each part with its manifest,
// check every key's layout and every manifest's required fields against its key and its listing.
// Reads manifests only; parts are read by the deep audit (audit_deep.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/id_ranges.hpp"
#include "audit/store_reader.hpp"
#include "common/status.hpp"

namespace mc {

struct AuditRequest {
  std::string prefix = "raw/";  // S3_PREFIX
  std::vector<std::string> symbols;
  std::int64_t from_ms = 0;  // parts whose minute folder overlaps [from_ms, to_ms) are audited
  std::int64_t to_ms = 0;
  bool deep = false;
  // Threads listing folders, reading and checking objects (manifests, and parts in deep mode), and
  // writing --export files; the report and the export are the same for any number. 1: the calling thread.
  unsigned jobs = 1;
};

// audit --jobs: at most this many threads by default (a 2 MiB part takes ~4 ms of CPU to verify; more
// threads than cores only help when the store's latency, not the CPU, is the limit: S3).
inline constexpr unsigned kMaxDefaultAuditJobs = 4;

// min(kMaxDefaultAuditJobs, the machine's hardware threads), at least 1.
unsigned default_audit_jobs();

enum class FindingKind {
  kOrphanPart,      // a part without its manifest: an upload that did not finish
  kOrphanManifest,  // a manifest without its part: the part was lost
  kBadKey,          // a key that does not follow the layout (docs/S3_LAYOUT.md)
  kBadManifest,     // a manifest that does not parse or contradicts its key or its part's listing
  kShaMismatch,     // deep: the part's SHA-256 is not the manifest's
  kCorruptPart,     // deep: the part is not valid gzip
  kStatsMismatch,   // deep: what the part holds is not what its manifest says
  kUnreadable,      // the object could not be read
  kLostPart,        // a part number of an instance's writer that the store lacks (part_numbers.hpp)
  kEmptyStore,      // nothing under the prefix: no part in the range and no head (coverage.hpp)
  kNoData,          // a symbol without a part in the range (coverage.hpp)
  kInstanceStopped, // an instance's heads stop before the range ends (coverage.hpp)
  kMissingStart,    // ids the exchange published in the range before the union's first (exchange_check.hpp)
  kMissingEnd,      // ids the exchange published in the range after the union's last (exchange_check.hpp)
  kExchangeUnavailable,  // the exchange could not say which ids it published (exchange_check.hpp)
};

// "orphan_part", "orphan_manifest", ... as the JSON report spells it.
std::string_view to_string(FindingKind kind);

struct Finding {
  FindingKind kind = FindingKind::kBadKey;
  std::string key;
  std::string reason;
};

// The manifest numbers the audit uses.
struct ManifestFacts {
  std::uint64_t record_count = 0;
  std::uint64_t bytes_uncompressed = 0;
  std::uint64_t bytes_gzip = 0;
  // null in the manifest (a data part none of whose lines parse) is nullopt
  std::optional<std::int64_t> time_min_ms;
  std::optional<std::int64_t> time_max_ms;
  std::optional<std::int64_t> id_first;
  std::optional<std::int64_t> id_last;
  std::string sha256;
  // The ids the manifest says the part holds: [id_first, id_last] minus extra.id_gaps (when the
  // list is complete).
  IdSet ids;
  // What the collector's trade ledger declared while the part was open (docs/FEED.md): ids missing
  // from the stream, and ids the exchange said do not exist.
  IdSet feed_gaps;
  IdSet unrecoverable;
  // extra.part_number and extra.previous_part_key (part_sequence.hpp); absent in older manifests.
  std::optional<std::uint64_t> part_number;
  std::string previous_part_key;
};

// A part with a manifest that checked out.
struct AuditedPart {
  std::string symbol;
  std::string instance_id;
  std::int64_t epoch_ms = 0;
  std::string part_key;
  std::string manifest_key;
  std::uint64_t part_size = 0;
  ManifestFacts manifest;
};

struct ScanResult {
  std::vector<AuditedPart> parts;  // sorted by symbol, instance, epoch_ms
  std::vector<Finding> findings;
};

// Checks a manifest's text against the key of its part, where that part was listed (symbol,
// instance) and the part's listed size. A string naming the first problem when it does not hold.
Result<ManifestFacts> check_manifest(std::string_view text, std::string_view part_key, std::string_view symbol,
                                     std::string_view instance_id, std::uint64_t part_size);

// Lists and checks the range. Fails only when the store cannot be listed.
Result<ScanResult> scan_store(const StoreReader& store, const AuditRequest& request);

}  // namespace mc
