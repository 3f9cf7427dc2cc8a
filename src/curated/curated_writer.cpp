#include "curated/curated_writer.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "common/file_util.hpp"
#include "curated/curated_days.hpp"
#include "curated/curated_sql.hpp"

namespace mc {
namespace {

// The files' columns with their Parquet types (schemas/*.parquet.schema): DuckDB's TIMESTAMP is in
// microseconds, the files hold milliseconds; symbol and dt are the path's.
constexpr std::string_view kTradeColumns =
    "CAST(trade_id AS BIGINT) AS trade_id, price, qty, CAST(trade_time AS TIMESTAMP_MS) AS trade_time, "
    "CAST(event_time AS TIMESTAMP_MS) AS event_time, is_buyer_maker, CAST(recv_us AS BIGINT) AS recv_us, "
    "CAST(src AS VARCHAR) AS src, instance_id";
constexpr std::string_view kBarColumns =
    "CAST(open_time AS TIMESTAMP_MS) AS open_time, CAST(open_time_ms AS BIGINT) AS open_time_ms, open, high, low, "
    "close, volume, quote_volume, CAST(trade_count AS BIGINT) AS trade_count, taker_buy_volume, "
    "taker_buy_quote_volume, vwap, CAST(first_trade_id AS BIGINT) AS first_trade_id, "
    "CAST(last_trade_id AS BIGINT) AS last_trade_id";

Result<std::int64_t> to_int(const std::optional<std::string>& text) {
  std::int64_t value = 0;
  if (!text) return Status::fatal("duckdb: a count came back NULL");
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size()) {
    return Status::fatal(fmt::format("duckdb: \"{}\" is not an integer", *text));
  }
  return value;
}

// COPY of select into <out>/<dataset>/symbol=S/dt=D/, through .dt=D.tmp/. The files, relative to out.
Result<std::vector<std::string>> write_partition(DuckDbSession& duckdb, const std::filesystem::path& out,
                                                 std::string_view dataset, const SymbolDay& day,
                                                 const std::string& select) {
  const std::filesystem::path symbol_dir = out / dataset / ("symbol=" + day.symbol);
  const std::filesystem::path final_dir = symbol_dir / ("dt=" + day.day);
  const std::filesystem::path temp_dir = symbol_dir / (".dt=" + day.day + std::string(kTempSuffix));
  std::error_code error;
  std::filesystem::remove_all(temp_dir, error);
  std::filesystem::create_directories(symbol_dir, error);
  if (error) return Status::fatal(fmt::format("{}: {}", symbol_dir.string(), error.message()));
  const Status copied = duckdb.run(
      fmt::format("COPY ({}) TO {} (FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES '{}', FILENAME_PATTERN "
                  "'part-{{i}}')",
                  select, sql_literal(temp_dir.string()), kParquetFileSizeLimit));
  if (!copied) return copied.with_context(fmt::format("writing {}", final_dir.string()));
  std::filesystem::remove_all(final_dir, error);  // an earlier run's partition: replaced whole
  if (error) return Status::fatal(fmt::format("{}: {}", final_dir.string(), error.message()));
  if (Status renamed = rename_durable(temp_dir, final_dir); !renamed) return renamed;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(final_dir, error)) {
    files.push_back(std::filesystem::relative(entry.path(), out).string());
  }
  if (error) return Status::fatal(fmt::format("{}: {}", final_dir.string(), error.message()));
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Result<std::vector<SymbolDay>> write_curated_day(DuckDbSession& duckdb, const RawLineSpool& spool,
                                                 std::int64_t day_ms, const std::filesystem::path& out) {
  const std::string day = utc_day(day_ms);
  // The raw days trades_curated.sql reads.
  const std::vector<std::string> files = spool.files_of_days(utc_day(day_ms - kDayMs), utc_day(day_ms + kDayMs));
  if (files.empty()) return std::vector<SymbolDay>{};
  if (Status s = duckdb.run(raw_trades_view_sql(files)); !s) return s.with_context("raw_trades");
  if (Status s = duckdb.run("CREATE OR REPLACE TEMP TABLE trades_curated AS " + trades_curated_sql(day)); !s) {
    return s.with_context("sql/curated/trades_curated.sql");
  }
  if (Status s = duckdb.run("CREATE OR REPLACE TEMP TABLE ohlcv_1s AS " + ohlcv_1s_sql(day)); !s) {
    return s.with_context("sql/curated/ohlcv_1s.sql");
  }
  Result<std::vector<DuckDbRow>> counts = duckdb.query(
      "SELECT t.symbol, count(*), min(t.trade_id), max(t.trade_id), "
      "(SELECT count(*) FROM ohlcv_1s AS b WHERE b.symbol = t.symbol) "
      "FROM trades_curated AS t GROUP BY t.symbol ORDER BY t.symbol");
  if (!counts) return counts.status();
  std::vector<SymbolDay> out_days;
  for (const DuckDbRow& row : *counts) {
    SymbolDay symbol_day{.symbol = row.at(0).value_or(""), .day = day};
    Result<std::int64_t> trades = to_int(row.at(1));
    Result<std::int64_t> first = to_int(row.at(2));
    Result<std::int64_t> last = to_int(row.at(3));
    Result<std::int64_t> bars = to_int(row.at(4));
    if (!trades || !first || !last || !bars) return Status::fatal("duckdb: the day's counts do not parse");
    symbol_day.trades = static_cast<std::uint64_t>(*trades);
    symbol_day.first_id = *first;
    symbol_day.last_id = *last;
    symbol_day.bars = static_cast<std::uint64_t>(*bars);
    const std::string where = "WHERE symbol = " + sql_literal(symbol_day.symbol);
    Result<std::vector<std::string>> trade_files = write_partition(
        duckdb, out, "trades", symbol_day,
        fmt::format("SELECT {} FROM trades_curated {} ORDER BY trade_id", kTradeColumns, where));
    if (!trade_files) return trade_files.status();
    Result<std::vector<std::string>> bar_files = write_partition(
        duckdb, out, "ohlcv_1s", symbol_day,
        fmt::format("SELECT {} FROM ohlcv_1s {} ORDER BY open_time", kBarColumns, where));
    if (!bar_files) return bar_files.status();
    symbol_day.files = std::move(trade_files).value();
    symbol_day.files.insert(symbol_day.files.end(), bar_files->begin(), bar_files->end());
    out_days.push_back(std::move(symbol_day));
  }
  return out_days;
}

}  // namespace mc
