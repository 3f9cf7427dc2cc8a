#pragma once
// Writes one UTC day of curated trades and 1-second bars as Parquet (docs/OHLCV.md):
// <out>/trades/symbol=S/dt=D/part-N.parquet and <out>/ohlcv_1s/symbol=S/dt=D/part-N.parquet, by
// running sql/curated/*.sql on DuckDB over the raw lines a RawLineSpool holds.
//
// Each partition is written to a hidden sibling directory and renamed into place, so a partition is
// either the previous run's or this run's, never half of one.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "curated/duckdb_session.hpp"
#include "curated/raw_line_spool.hpp"

namespace mc {

// A new Parquet file starts after this many bytes (the issue's "one file per symbol and day unless
// that exceeds ~256 MB").
inline constexpr std::string_view kParquetFileSizeLimit = "256MB";

// What one symbol's day holds.
struct SymbolDay {
  std::string symbol;
  std::string day;  // "YYYY-MM-DD"
  std::uint64_t trades = 0;
  std::int64_t first_id = 0;
  std::int64_t last_id = 0;
  std::uint64_t bars = 0;
  std::vector<std::string> files;  // relative to the output directory, trades then bars
};

// The symbols with a trade on day (day_ms: its midnight), sorted; none when the spool holds no line
// of the raw days the SQL reads. kFatal with DuckDB's or the file system's error.
Result<std::vector<SymbolDay>> write_curated_day(DuckDbSession& duckdb, const RawLineSpool& spool,
                                                 std::int64_t day_ms, const std::filesystem::path& out);

}  // namespace mc
