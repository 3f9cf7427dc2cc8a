#pragma once
// Names of parts: the object keys of docs/S3_LAYOUT.md ("Keys") and the flat file names the spool uses for them.
//
//   <prefix>[_quarantine/]exchange=binance/stream=<stream>/symbol=<SYMBOL>/dt=YYYY-MM-DD/HH/MM/
//       part-<instance>-<epoch_ms>.jsonl.gz  and  manifest-<instance>-<epoch_ms>.json
//
// The spool keeps every file in one flat directory per state, named by its object key with '%' and
// '/' percent-encoded, so a spool file name alone says where the object goes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/record.hpp"

namespace mc {

struct PartName {
  std::string prefix;  // "raw/" (may be empty)
  PartKind kind = PartKind::kData;
  std::string stream;  // "trade"
  std::string symbol;  // "BTCUSDT"
  std::string instance_id;
  std::int64_t epoch_ms = 0;  // the instant the part's first record was written; names the folders

  // "<prefix>[_quarantine/]exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/43/"
  std::string directory_key() const;
  std::string part_key() const;      // directory_key() + "part-<instance>-<epoch_ms>.jsonl.gz"
  std::string manifest_key() const;  // directory_key() + "manifest-<instance>-<epoch_ms>.json"
  std::string open_key() const;      // part_key() without ".gz": the name of the open (uncompressed) file
  // Names the writer, not the part: "<prefix>[_quarantine/]exchange=binance/stream=s/symbol=S/<instance>".
  std::string writer_key() const;

  friend bool operator==(const PartName&, const PartName&) = default;
};

// Parses any of part_key(), manifest_key() or open_key() back into a PartName.
std::optional<PartName> parse_part_key(std::string_view key);

// A flat file name for an object key ('%' -> "%25", '/' -> "%2F") and back.
std::string spool_file_name(std::string_view key);
std::optional<std::string> key_from_spool_file_name(std::string_view file_name);

}  // namespace mc
