#include "audit/audit_deep.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "spool/part_stats.hpp"

namespace mc {
namespace {

// data.t of each line that has one; lines without (bad lines) are counted by scan_part.
void collect_ids(std::string_view content, DeepCheck& check) {
  simdjson::dom::parser parser;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    const std::string_view line = content.substr(start, end - start);
    start = end + 1;
    simdjson::dom::element doc;
    if (parser.parse(line.data(), line.size(), /*realloc_if_needed=*/true).get(doc) != simdjson::SUCCESS) continue;
    std::int64_t id = 0;
    if (doc.at_key("data").at_key("t").get_int64().get(id) != simdjson::SUCCESS) continue;
    check.ids.add(id);
    ++check.id_count;
  }
}

std::string optional_text(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : std::string("none");
}

// Names each manifest number the part contradicts; empty when all agree.
std::string compare(const ManifestFacts& manifest, const PartStats& stats) {
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
  const simdjson::padded_string padded(*content);
  const PartStats stats = scan_part(padded, PartKind::kData);
  std::string problems = compare(part.manifest, stats);
  if (stats.trimmed_bytes != 0) {
    problems += fmt::format("{}{} bytes after the last newline", problems.empty() ? "" : "; ", stats.trimmed_bytes);
  }
  if (!problems.empty()) return fail(FindingKind::kStatsMismatch, std::move(problems));
  collect_ids(*content, check);
  if (keep_lines) check.lines = std::move(content).value();
  return check;
}

}  // namespace mc
