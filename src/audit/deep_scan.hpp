#pragma once
// The deep audit's one pass over a part's uncompressed lines: the numbers its manifest reports,
// recomputed as the sealer computes them (spool/part_stats.hpp, scan_part of a data part), the set
// of trade ids the part holds and, for --export, where each trade's line is and what the export
// needs of it, all read by one on-demand simdjson parse of each line.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "common/id_ranges.hpp"

namespace mc {

// A line the export can file: one with data.t and a trade time.
struct TradeLine {
  std::size_t offset = 0;  // of the line in the part's content
  std::size_t length = 0;  // without its '\n'
  std::int64_t id = 0;        // data.t
  std::int64_t trade_ms = 0;  // data.T, else data.E
  std::int64_t recv_us = std::numeric_limits<std::int64_t>::max();  // absent: after every line that has one
  bool rest = false;                                                 // "src":"rest"
};

struct DeepScan {
  // As scan_part counts them: complete lines (bad ones included), their bytes, the bytes after the
  // last '\n', and over the good lines (recv_us, data.E and data.t integers) the ranges of E and t.
  std::uint64_t record_count = 0;
  std::uint64_t bytes = 0;
  std::uint64_t trimmed_bytes = 0;
  std::optional<std::int64_t> time_min_ms;
  std::optional<std::int64_t> time_max_ms;
  std::optional<std::int64_t> id_first;
  std::optional<std::int64_t> id_last;
  // data.t of every complete line that is one JSON object with an integer data.t, whatever else
  // it lacks (a line without recv_us is a bad line for the manifest yet holds the trade).
  IdSet ids;
  std::uint64_t id_count = 0;  // those lines, repeats included
  // With trades asked for: those lines that also have data.T or data.E, in order, and how many
  // complete lines are not among them.
  std::vector<TradeLine> trades;
  std::uint64_t lines_without_trade = 0;
};

// Reads content in place: the parser reads SIMDJSON_PADDING bytes past the end of a line, so only the
// lines that end less than that before content's end are copied, into a padded buffer of their own.
DeepScan scan_deep(std::string_view content, bool with_trades = false);

}  // namespace mc
