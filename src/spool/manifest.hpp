#pragma once
// The manifest of a sealed part (DESIGN "Manifest"; schemas/manifest.json is its schema):
//
//   {"version":"1",
//    "source":{"exchange":"binance","stream":..,"symbol":..,"instance_id":..},
//    "payload":{"s3_key":..,"record_count":..,"bytes_uncompressed":..,"bytes_gzip":..,
//               "time_min_ms":..,"time_max_ms":..,"id_first":..,"id_last":..,"sha256":..},
//    "created_at_ms":..,
//    "extra":{"kind":"data"|"quarantine","recv_min_us":..,"recv_max_us":..,"id_gaps":[[from,to],..],
//             "id_gaps_truncated":..,"bad_lines":..,"trimmed_bytes":..,"collector_version":..,
//             "gzip_level":..,"feed_gaps":[[from,to],..],"unrecoverable_gaps":[[from,to],..],
//             "noted_ranges_not_listed":..,"part_number":..,"previous_part_key":..}}
//
// part_number and previous_part_key are in data parts only (part_sequence.hpp).
//
// The seed's fields are exactly as specified; everything this collector adds is under "extra".
// A number that the part cannot give (E and t of quarantine lines) is null.

#include <cstdint>
#include <string>

#include "keys/part_name.hpp"
#include "spool/part_notes.hpp"
#include "spool/part_sequence.hpp"
#include "spool/part_stats.hpp"

namespace mc {

inline constexpr std::string_view kManifestVersion = "1";

struct ManifestInput {
  PartName name;
  PartStats stats;
  std::uint64_t bytes_gzip = 0;
  std::string sha256_hex;  // of the gzip object
  std::int64_t created_at_ms = 0;
  int gzip_level = 0;
  PartNotes notes;
  std::optional<PartNumber> number;  // data parts
};

// The manifest as JSON text, members in the order above, ending with '\n'.
std::string render_manifest(const ManifestInput& input);

}  // namespace mc
