#include "audit/audit_deep.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/gzip.hpp"
#include "common/sha256.hpp"

namespace mc {
namespace {

std::string optional_text(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : std::string("none");
}

// Names each manifest number the part contradicts; empty when all agree.
std::string compare(const ManifestFacts& manifest, const DeepScan& stats) {
  std::vector<std::string> problems;
  if (stats.record_count != manifest.record_count) {
    problems.push_back(fmt::format("record_count {} != {} lines", manifest.record_count, stats.record_count));
  }
  if (stats.bytes != manifest.bytes_uncompressed) {
    problems.push_back(fmt::format("bytes_uncompressed {} != {}", manifest.bytes_uncompressed, stats.bytes));
  }
  const auto check = [&problems](std::string_view name, const std::optional<std::int64_t>& said,
                                 const std::optional<std::int64_t>& real) {
    if (real != said) problems.push_back(fmt::format("{} {} != {}", name, optional_text(said), optional_text(real)));
  };
  check("id_first", manifest.id_first, stats.id_first);
  check("id_last", manifest.id_last, stats.id_last);
  check("time_min_ms", manifest.time_min_ms, stats.time_min_ms);
  check("time_max_ms", manifest.time_max_ms, stats.time_max_ms);
  return fmt::format("{}", fmt::join(problems, "; "));
}

}  // namespace

DeepCheck verify_part(const StoreReader& store, const AuditedPart& part, bool keep_lines) {
  DeepCheck check;
  const auto fail = [&check, &part](FindingKind kind, std::string reason) {
    check.finding = Finding{kind, part.part_key, std::move(reason)};
    return check;
  };
  Result<std::string> object = store.get(part.part_key);
  if (!object) return fail(FindingKind::kUnreadable, object.status().message());
  Result<std::string> sha = sha256_hex(*object);
  if (!sha) return fail(FindingKind::kUnreadable, sha.status().message());
  if (*sha != part.manifest.sha256) {
    return fail(FindingKind::kShaMismatch, fmt::format("sha256 {} != manifest {}", *sha, part.manifest.sha256));
  }
  Result<std::string> content = gunzip(*object);
  if (!content) return fail(FindingKind::kCorruptPart, content.status().message());
  DeepScan scan = scan_deep(*content, /*with_trades=*/keep_lines);
  std::string problems = compare(part.manifest, scan);
  if (scan.trimmed_bytes != 0) {
    problems += fmt::format("{}{} bytes after the last newline", problems.empty() ? "" : "; ", scan.trimmed_bytes);
  }
  if (!problems.empty()) return fail(FindingKind::kStatsMismatch, std::move(problems));
  check.ids = std::move(scan.ids);
  check.id_count = scan.id_count;
  if (keep_lines) {
    check.lines = std::move(content).value();
    check.trades = std::move(scan.trades);
    check.lines_without_trade = scan.lines_without_trade;
  }
  return check;
}

}  // namespace mc
