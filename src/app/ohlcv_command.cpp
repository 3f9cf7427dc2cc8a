#include "app/ohlcv_command.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/audit_store_setup.hpp"
#include "app/collector.hpp"
#include "audit/audit.hpp"
#include "audit/store_symbols.hpp"
#include "common/clock.hpp"
#include "common/file_util.hpp"
#include "curated/curated_days.hpp"
#include "curated/curated_manifest.hpp"
#include "curated/curated_writer.hpp"
#include "curated/duckdb_session.hpp"
#include "curated/raw_line_spool.hpp"

namespace mc {
namespace {

// Under DIR: the raw lines and DuckDB's spill files of the run, removed when it ends. One run per DIR.
constexpr std::string_view kWorkDirName = ".ohlcv-work";
// A progress line every this many parts read.
constexpr std::uint64_t kProgressEveryParts = 2000;

// Hands the verified parts to the spool and says on stderr how far the reading is.
class ProgressSink final : public VerifiedPartSink {
 public:
  explicit ProgressSink(RawLineSpool& spool) : spool_(spool) {}
  void start(const AuditRequest& request) override { spool_.start(request); }
  void add_part(const AuditedPart& part, const DeepCheck& check) override {
    if (part.symbol != symbol_) {
      symbol_ = part.symbol;
      (void)std::fprintf(stderr, "ohlcv: reading %s\n", symbol_.c_str());
    }
    spool_.add_part(part, check);
    if (spool_.parts() % kProgressEveryParts == 0) {
      (void)std::fprintf(stderr, "ohlcv: %llu parts, %llu trade lines read\n",
                         static_cast<unsigned long long>(spool_.parts()),
                         static_cast<unsigned long long>(spool_.lines()));
    }
  }

 private:
  RawLineSpool& spool_;
  std::string symbol_;
};

// Removes the work directory however the run ends: its raw lines can be gigabytes.
class WorkDirectory {
 public:
  explicit WorkDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  WorkDirectory(const WorkDirectory&) = delete;
  WorkDirectory& operator=(const WorkDirectory&) = delete;
  ~WorkDirectory() {
    std::error_code ignored;  // a leftover is removed by the next run
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

int fail(int code, const std::string& message) {
  (void)std::fprintf(stderr, "%s\n", message.c_str());
  return code;
}

}  // namespace

int run_ohlcv_command(const Config& config, const OhlcvOptions& options, const Environment& env) {
  Result<CuratedDays> days = curated_days(options.from_ms, options.to_ms);
  if (!days) return fail(kExitConfigError, "config error: " + days.status().message());
  const std::filesystem::path out = options.out_dir;
  std::error_code error;
  std::filesystem::remove_all(out / kWorkDirName, error);  // what a killed run left
  const WorkDirectory work(out / kWorkDirName);
  if (Status made = ensure_writable_directory(work.path() / "raw"); !made) {
    return fail(kExitConfigError, "config error: --out " + out.string() + ": " + made.message());
  }
  const std::filesystem::path library = env(kLibDuckDbEnv).value_or(default_duckdb_library().string());
  const unsigned jobs = options.jobs.value_or(default_audit_jobs());
  Result<DuckDbSession> duckdb =
      DuckDbSession::open(library, {.temp_directory = work.path() / "duckdb", .threads = jobs});
  if (!duckdb) return fail(kExitConfigError, "config error: " + duckdb.status().message());

  const SystemClock clock;
  Result<AuditStoreSetup> store = make_audit_store(config, env, clock);
  if (!store) return fail(kExitConfigError, "config error: " + store.status().message());
  std::vector<std::string> symbols = config.symbols;
  if (config.all_symbols) {
    Result<std::vector<std::string>> found = symbols_in_store(*store->reader, config.s3_prefix);
    if (!found) return fail(kExitConfigError, "ohlcv: cannot list the store: " + found.status().message());
    symbols = std::move(found).value();
  }

  if (symbols.empty()) {
    return fail(kExitConfigError, "ohlcv: SYMBOL=ALL and no symbol=<SYMBOL>/ folder under " +
                                      trade_stream_folder(config.s3_prefix) + " in " + store->reader->describe());
  }

  RawLineSpool spool(work.path() / "raw");
  ProgressSink sink(spool);
  (void)std::fprintf(stderr, "ohlcv: reading %s from %s, receive times %s to %s\n", config.s3_prefix.c_str(),
                     store->reader->describe().c_str(), utc_text(days->read_from_ms).c_str(),
                     utc_text(days->read_to_ms).c_str());
  Result<AuditReport> report =
      run_audit(*store->reader,
                {.prefix = config.s3_prefix, .symbols = symbols, .from_ms = days->read_from_ms,
                 .to_ms = days->read_to_ms, .deep = true, .jobs = jobs},
                &sink);
  if (!report) return fail(kExitConfigError, "ohlcv: cannot read the store: " + report.status().message());
  if (Status spooled = spool.finish(); !spooled) return fail(1, "ohlcv: raw lines: " + spooled.message());
  (void)std::fprintf(stderr, "ohlcv: %llu parts, %llu trade lines read\n",
                     static_cast<unsigned long long>(spool.parts()), static_cast<unsigned long long>(spool.lines()));

  std::vector<SymbolDay> written;
  for (std::int64_t day_ms = days->from_ms; day_ms < days->to_ms; day_ms += kDayMs) {
    Result<std::vector<SymbolDay>> day = write_curated_day(*duckdb, spool, day_ms, out);
    if (!day) return fail(1, "ohlcv: " + utc_day(day_ms) + ": " + day.status().message());
    for (const SymbolDay& symbol_day : *day) {
      (void)std::fprintf(stderr, "ohlcv: %s %s: %llu trades (ids %lld-%lld), %llu bars\n", symbol_day.day.c_str(),
                         symbol_day.symbol.c_str(), static_cast<unsigned long long>(symbol_day.trades),
                         static_cast<long long>(symbol_day.first_id), static_cast<long long>(symbol_day.last_id),
                         static_cast<unsigned long long>(symbol_day.bars));
    }
    written.insert(written.end(), day->begin(), day->end());
  }

  const std::vector<SymbolCoverage> coverage = curated_coverage(*days, symbols, *report, written);
  const std::string manifest = curated_manifest_json(*days, *report, coverage, "DuckDB " + duckdb->version());
  if (Status saved = write_file_atomic(out / kCuratedManifestName, manifest); !saved) {
    return fail(1, "ohlcv: " + saved.message());
  }
  bool complete = true;
  for (const SymbolCoverage& symbol : coverage) {
    for (const DayCoverage& day : symbol.days) {
      if (day.written && day.missing.empty()) continue;
      complete = false;
      (void)std::fprintf(stderr, "ohlcv: %s %s: %s\n", day.day.c_str(), symbol.symbol.c_str(),
                         day.written ? (std::to_string(day.missing.count()) + " trade ids missing").c_str()
                                     : "no trade");
    }
  }
  (void)std::fprintf(stderr, "ohlcv: wrote %zu symbol-days to %s (%s)\n", written.size(), out.c_str(),
                     complete ? "complete" : "with missing ids, listed in _curated.json");
  return options.require_complete && !complete ? 1 : 0;
}

}  // namespace mc
