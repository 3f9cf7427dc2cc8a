#include "audit/audit_export.hpp"

#include <atomic>
#include <chrono>
#include <iterator>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/file_util.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"

#include "audit/ordered_pool.hpp"
#include "audit/report_json.hpp"

namespace mc {
namespace {

constexpr std::int64_t kMsPerMinute = 60'000;
constexpr int kExportGzipLevel = 6;

using Json = nlohmann::ordered_json;

std::int64_t floor_minute(std::int64_t ms) {
  const std::int64_t q = ms / kMsPerMinute;
  return (q - ((ms % kMsPerMinute) < 0 ? 1 : 0)) * kMsPerMinute;
}

// "symbol=BTCUSDT/dt=2026-11-25/05/00.jsonl.gz"
std::string minute_file(std::string_view symbol, std::int64_t minute_ms) {
  const std::chrono::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds{minute_ms}};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  return fmt::format("symbol={}/dt={:04}-{:02}-{:02}/{:02}/{:02}.jsonl.gz", symbol, static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count());
}

using report_json::span_id;
using report_json::ranges;

}  // namespace

Result<AuditExporter> AuditExporter::open(const std::filesystem::path& dir, std::uint64_t memory_limit) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(dir, ec);
  if (std::filesystem::exists(status)) {
    if (!std::filesystem::is_directory(status)) {
      return Status::fatal(fmt::format("--export={}: exists and is not a directory", dir.string()));
    }
    const std::filesystem::directory_iterator first(dir, ec);
    if (ec) return Status::fatal(fmt::format("--export={}: cannot be read: {}", dir.string(), ec.message()));
    if (first != std::filesystem::directory_iterator{}) {
      const bool exported = std::filesystem::exists(dir / kExportManifestName, ec);
      return Status::fatal(fmt::format("--export={}: {}; export into a new or empty directory", dir.string(),
                                       exported ? "already holds an export (_export.json)" : "is not empty"));
    }
  } else if (Status made = ensure_writable_directory(dir); !made) {
    return Status::fatal(fmt::format("--export={}: {}", dir.string(), made.message()));
  }
  return AuditExporter(dir, memory_limit);
}

void AuditExporter::add_part(const AuditedPart& part, const DeepCheck& check) {
  if (!error_) return;
  if (symbol_ != part.symbol) {
    if (symbol_) error_ = flush();
    if (!error_) return;
    if (tallies_.contains(part.symbol)) {
      // The audit hands over symbols one at a time; a symbol seen again would overwrite its files.
      error_ = Status::fatal(fmt::format("export: parts of {} arrived after its files were written", part.symbol));
      return;
    }
    symbol_ = part.symbol;
    tallies_[part.symbol];
  }
  tallies_[part.symbol].lines_skipped += check.lines_without_trade;
  const std::string_view lines = check.lines;
  for (const TradeLine& trade : check.trades) {
    hold(part.symbol, trade.id,
         {.bytes = std::string(lines.substr(trade.offset, trade.length)), .minute_ms = floor_minute(trade.trade_ms),
          .recv_us = trade.recv_us, .rest = trade.rest});
    if (!error_) return;
  }
}

void AuditExporter::hold(std::string_view symbol, std::int64_t id, HeldLine line) {
  const auto [it, inserted] = held_.try_emplace(id);
  HeldLine& held = it->second;
  if (!inserted) {
    // Live before REST (the exchange's own event), then the earliest receipt; ties keep the first seen.
    const bool better = held.rest != line.rest ? !line.rest : line.recv_us < held.recv_us;
    if (!better) return;
    held_bytes_ -= held.bytes.size();
  } else {
    held_bytes_ += kExportLineOverheadBytes;
  }
  held = std::move(line);
  held_bytes_ += held.bytes.size();
  if (held_bytes_ > limit_) {
    error_ = Status::fatal(fmt::format(
        "export: the lines of {} in the range need more than {} bytes of memory; export a shorter --from/--to range",
        symbol, limit_));
    held_.clear();
    held_bytes_ = 0;
  }
}

Status AuditExporter::flush() {
  // Ids ascending, so each minute's list is in id order.
  std::map<std::int64_t, MinuteLines> by_minute;
  for (const auto& [id, line] : held_) by_minute[line.minute_ms].emplace_back(id, &line);
  std::vector<std::pair<std::int64_t, MinuteLines>> minutes(std::make_move_iterator(by_minute.begin()),
                                                            std::make_move_iterator(by_minute.end()));
  // The folders first, so that no two threads race to create one.
  std::set<std::filesystem::path> folders;
  for (const auto& [minute_ms, lines] : minutes) {
    folders.insert((dir_ / minute_file(*symbol_, minute_ms)).parent_path());
  }
  Status status;
  for (const std::filesystem::path& folder : folders) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) {
      status = Status::fatal(fmt::format("export: create {}: {}", folder.string(), ec.message()));
      break;
    }
  }
  // Minutes are written on jobs_ threads and recorded in minute order; after a failure the minutes
  // not yet started are skipped, and the first failure in minute order is the export's.
  std::atomic<bool> failed{!status};
  run_ordered(
      minutes.size(), jobs_,
      [this, &minutes, &failed](std::size_t i) -> Result<ExportedFile> {
        if (failed.load()) return Status::fatal("export: not written after an earlier failure");
        Result<ExportedFile> file = write_minute(minutes[i].first, minutes[i].second);
        if (!file) failed.store(true);
        return file;
      },
      [this, &status](std::size_t, Result<ExportedFile> file) {
        if (!status) return;
        if (!file) {
          status = file.status();
          return;
        }
        tallies_[*symbol_].lines_written += file->lines;
        files_.push_back(std::move(file).value());
      });
  held_.clear();
  held_bytes_ = 0;
  return status;
}

Result<ExportedFile> AuditExporter::write_minute(std::int64_t minute_ms, const MinuteLines& lines) const {
  std::size_t size = 0;
  for (const auto& [id, line] : lines) size += line->bytes.size() + 1;
  std::string content;
  content.reserve(size);
  for (const auto& [id, line] : lines) {
    content += line->bytes;
    content += '\n';
  }
  const std::string relative = minute_file(*symbol_, minute_ms);
  Result<std::string> gz = gzip_compress(content, kExportGzipLevel);
  if (!gz) return gz.status().with_context("export: gzip " + relative);
  Result<std::string> sha = sha256_hex(*gz);
  if (!sha) return sha.status().with_context("export: sha256 " + relative);
  if (Status written = write_file_atomic(dir_ / relative, *gz); !written) return written.with_context("export");
  return ExportedFile{.path = relative, .symbol = *symbol_, .minute_ms = minute_ms, .lines = lines.size(),
                      .first_id = lines.front().first, .last_id = lines.back().first, .bytes = gz->size(),
                      .sha256 = std::move(sha).value()};
}

Status AuditExporter::finish(const AuditReport& report) {
  if (error_ && symbol_) error_ = flush();
  symbol_.reset();
  if (!error_) return error_;
  return write_manifest(report);
}

Status AuditExporter::write_manifest(const AuditReport& report) const {
  Json symbols = Json::array();
  for (const SymbolReport& symbol : report.symbols) {
    const std::optional<IdRange> span = symbol.ids.span();
    const IdSet missing = symbol.missing();
    const auto tally = tallies_.find(symbol.symbol);
    const SymbolTally counts = tally == tallies_.end() ? SymbolTally{} : tally->second;
    std::uint64_t file_count = 0;
    for (const ExportedFile& file : files_) file_count += file.symbol == symbol.symbol ? 1 : 0;
    symbols.push_back({{"symbol", symbol.symbol},
                       {"first_id", span_id(span, true)},
                       {"last_id", span_id(span, false)},
                       {"ids", counts.lines_written},
                       {"missing_count", missing.count()},
                       {"missing", ranges(missing)},
                       {"missing_truncated", missing.ranges().size() > kMaxListedRanges},
                       {"lines_skipped", counts.lines_skipped},
                       {"files", file_count}});
  }
  Json files = Json::array();
  for (const ExportedFile& file : files_) {
    files.push_back({{"path", file.path},
                     {"symbol", file.symbol},
                     {"minute", utc_text(file.minute_ms)},
                     {"lines", file.lines},
                     {"first_id", file.first_id},
                     {"last_id", file.last_id},
                     {"bytes", file.bytes},
                     {"sha256", file.sha256}});
  }
  const Json manifest{{"version", "1"},
                      {"store", report.store},
                      {"prefix", report.prefix},
                      {"from", utc_text(report.from_ms)},
                      {"from_ms", report.from_ms},
                      {"to", utc_text(report.to_ms)},
                      {"to_ms", report.to_ms},
                      {"audit_exit_code", report.exit_code()},
                      {"complete", report.exit_code() == 0},
                      {"findings", report_json::findings(report.findings)},
                      {"symbols", std::move(symbols)},
                      {"files", std::move(files)}};
  return write_file_atomic(dir_ / kExportManifestName, manifest.dump() + "\n").with_context("export");
}

}  // namespace mc
