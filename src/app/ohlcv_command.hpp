#pragma once
// `market-collector ohlcv` (docs/OHLCV.md): the store read as `audit --deep` reads it, the raw lines
// handed to DuckDB, sql/curated/*.sql run per day, the Parquet partitions and DIR/_curated.json.

#include "config/command_line.hpp"
#include "config/config.hpp"
#include "config/config_sources.hpp"

namespace mc {

// The process's exit code: 0 written, 1 the store's data could not be read or the output written (or
// --require-complete and a day lacks ids), 2 bad usage, no libduckdb, or a store that cannot be listed.
// env: MC_LIBDUCKDB and the AWS chain. Needs an HttpRuntime alive (S3 is read over libcurl).
int run_ohlcv_command(const Config& config, const OhlcvOptions& options, const Environment& env);

}  // namespace mc
