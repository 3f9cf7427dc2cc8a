#include "spool/manifest.hpp"

#include <nlohmann/json.hpp>

namespace mc {
namespace {

using Json = nlohmann::ordered_json;

Json or_null(const std::optional<std::int64_t>& value) { return value ? Json(*value) : Json(nullptr); }

Json ranges_json(const std::vector<IdRange>& ranges) {
  Json list = Json::array();
  for (const IdRange& range : ranges) list.push_back(Json::array({range.first, range.last}));
  return list;
}

const char* kind_name(PartKind kind) { return kind == PartKind::kQuarantine ? "quarantine" : "data"; }

}  // namespace

std::string render_manifest(const ManifestInput& input) {
  const PartStats& stats = input.stats;

  Json gaps = Json::array();
  for (const IdGap& gap : stats.id_gaps) gaps.push_back(Json::array({gap.from_missing, gap.to_missing}));

  Json manifest;
  manifest["version"] = kManifestVersion;
  manifest["source"] = {
      {"exchange", "binance"},
      {"stream", input.name.stream},
      {"symbol", input.name.symbol},
      {"instance_id", input.name.instance_id},
  };
  manifest["payload"] = {
      {"s3_key", input.name.part_key()},
      {"record_count", stats.record_count},
      {"bytes_uncompressed", stats.bytes},
      {"bytes_gzip", input.bytes_gzip},
      {"time_min_ms", or_null(stats.time_min_ms)},
      {"time_max_ms", or_null(stats.time_max_ms)},
      {"id_first", or_null(stats.id_first)},
      {"id_last", or_null(stats.id_last)},
      {"sha256", input.sha256_hex},
  };
  manifest["created_at_ms"] = input.created_at_ms;
  manifest["extra"] = {
      {"kind", kind_name(input.name.kind)},
      {"recv_min_us", or_null(stats.recv_min_us)},
      {"recv_max_us", or_null(stats.recv_max_us)},
      {"id_gaps", std::move(gaps)},
      {"id_gaps_truncated", stats.id_gaps_truncated},
      {"bad_lines", stats.bad_lines},
      {"trimmed_bytes", stats.trimmed_bytes},
      {"collector_version", MC_VERSION},
      {"gzip_level", input.gzip_level},
      {"feed_gaps", ranges_json(input.notes.gaps_seen)},
      {"unrecoverable_gaps", ranges_json(input.notes.unrecoverable)},
      {"noted_ranges_not_listed", input.notes.ranges_not_listed},
  };
  if (input.number) {
    manifest["extra"]["part_number"] = input.number->number;
    manifest["extra"]["previous_part_key"] =
        input.number->previous_key.empty() ? Json(nullptr) : Json(input.number->previous_key);
  }
  // Replace, not throw, on invalid UTF-8: names come from validated configuration, but a manifest
  // must never take the sealer down.
  return manifest.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace mc
