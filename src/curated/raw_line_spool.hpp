#pragma once
// The raw side of `ohlcv`: takes the parts the deep audit verified (audit.hpp's VerifiedPartSink) and
// appends their trade lines to one JSON-lines file per symbol and raw dt= day under a work directory,
// <dir>/symbol=<SYMBOL>/dt=<DAY>/lines.jsonl, each line with its part's object key added first as
// "object_key" (sql/curated/raw_trades.duckdb.sql reads them as raw_trades with that key as "$path").
// A few files per day instead of 17,280 parts per instance: DuckDB opens each file it reads.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit.hpp"
#include "common/status.hpp"
#include "common/unique_fd.hpp"

namespace mc {

class RawLineSpool final : public VerifiedPartSink {
 public:
  // dir must exist and be empty (the caller's private work directory).
  explicit RawLineSpool(std::filesystem::path dir) : dir_(std::move(dir)) {}

  void start(const AuditRequest& request) override { (void)request; }
  void add_part(const AuditedPart& part, const DeepCheck& check) override;

  // Closes the open files. The first error of any write, if any.
  Status finish();

  // The files holding raw dt= days [first_day, last_day] ("YYYY-MM-DD", compared as text), every symbol.
  std::vector<std::string> files_of_days(const std::string& first_day, const std::string& last_day) const;

  std::uint64_t parts() const { return parts_; }
  std::uint64_t lines() const { return lines_; }

 private:
  Status append(const std::string& symbol, const std::string& day, std::string_view bytes);

  std::filesystem::path dir_;
  std::map<std::pair<std::string, std::string>, std::filesystem::path> files_;  // (dt, symbol) -> file
  std::map<std::string, UniqueFd> open_;  // the current symbol's files, by dt
  std::string open_symbol_;
  std::uint64_t parts_ = 0;
  std::uint64_t lines_ = 0;
  Status error_;
};

// The raw dt= day of a part key (".../dt=2025-02-09/22/43/part-..."); empty when it has none.
std::string raw_day_of_key(std::string_view key);

}  // namespace mc
