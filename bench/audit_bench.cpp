// `audit --deep` (and `--export`) over a local store of realistic parts, on 1 and N threads, against
// libdeflate's decompression alone: the deep audit's cost per uncompressed byte (docs/PERFORMANCE.md).
//
// The store (kParts parts of kPartBytes trade lines, sealed like the collector seals them: gzip level 6,
// SHA-256, render_manifest) is built once under the system temp directory and removed at exit. The
// files are read from the page cache after the first iteration, as on a machine that just wrote them.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <ctime>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

#include "audit/audit.hpp"
#include "audit/audit_export.hpp"
#include "bench/trade_lines.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "spool/manifest.hpp"
#include "keys/part_name.hpp"
#include "spool/part_scan.hpp"
#include "store/local_store.hpp"

namespace {

constexpr std::size_t kPartBytes = 2U << 20U;
constexpr int kParts = 72;  // ~151 MB of lines: six minutes of a busy symbol at 2 MiB per 5 s
constexpr int kGzipLevel = 6;
constexpr std::int64_t kFirstPartMs = 1'795'582'800'000;  // 2026-11-25T05:00:00Z
constexpr std::int64_t kPartSpanMs = 5'000;

// Lines of one part: ids continue from the previous part's, times advance with the part.
std::string part_lines(std::int64_t& next_id, std::int64_t start_ms) {
  std::string out;
  std::int64_t time_ms = start_ms;
  while (out.size() < kPartBytes) {
    out += fmt::format(R"({{"recv_us":{},)", time_ms * 1000 + 517);
    const std::string message = mc::bench::trade_message(next_id++, time_ms);
    out.append(message, 1);
    out += '\n';
    time_ms += next_id % 4 == 0 ? 1 : 0;
  }
  return out;
}

class BenchStore {
 public:
  BenchStore() : root_(std::filesystem::temp_directory_path() / fmt::format("mc-audit-bench-{}", ::getpid())) {
    std::filesystem::remove_all(root_);
    mc::LocalStore store(root_);
    std::int64_t next_id = 4'619'270'193;
    for (int i = 0; i < kParts; ++i) {
      const std::int64_t epoch_ms = kFirstPartMs + i * kPartSpanMs;
      const std::string lines = part_lines(next_id, epoch_ms);
      if (i == 0) sample_gz_ = *mc::gzip_compress(lines, kGzipLevel);
      const mc::PartName name{.prefix = "raw/", .stream = "trade", .symbol = "BTCUSDT", .instance_id = "i-a",
                              .epoch_ms = epoch_ms};
      const std::string gz = *mc::gzip_compress(lines, kGzipLevel);
      const mc::ManifestInput input{.name = name,
                                    .stats = mc::scan_part(simdjson::padded_string(lines), mc::PartKind::kData),
                                    .bytes_gzip = gz.size(), .sha256_hex = *mc::sha256_hex(gz),
                                    .created_at_ms = epoch_ms + kPartSpanMs, .gzip_level = kGzipLevel,
                                    .notes = {}};
      const std::string manifest = mc::render_manifest(input);
      if (!store.put({.key = name.part_key(), .body = gz, .content_type = "", .sha256_hex = ""}) ||
          !store.put({.key = name.manifest_key(), .body = manifest, .content_type = "", .sha256_hex = ""})) {
        std::abort();  // the benchmark cannot run without its store
      }
      bytes_ += lines.size();
    }
  }
  ~BenchStore() { std::filesystem::remove_all(root_); }
  BenchStore(const BenchStore&) = delete;
  BenchStore& operator=(const BenchStore&) = delete;

  const std::filesystem::path& root() const { return root_; }
  std::uint64_t bytes() const { return bytes_; }
  const std::string& sample_gz() const { return sample_gz_; }

 private:
  std::filesystem::path root_;
  std::uint64_t bytes_ = 0;
  std::string sample_gz_;
};

const BenchStore& bench_store() {
  static const BenchStore store;
  return store;
}

double process_cpu_seconds() {
  timespec now{};
  if (::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) != 0) std::abort();
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

mc::AuditRequest request(unsigned jobs) {
  return {.prefix = "raw/", .symbols = {"BTCUSDT"}, .from_ms = kFirstPartMs,
          .to_ms = kFirstPartMs + kParts * kPartSpanMs, .deep = true, .jobs = jobs};
}

void report(benchmark::State& state, double cpu_seconds) {
  const double mb = static_cast<double>(bench_store().bytes()) * static_cast<double>(state.iterations()) / 1e6;
  state.SetBytesProcessed(static_cast<std::int64_t>(bench_store().bytes() * state.iterations()));
  state.counters["MB_per_cpu_s"] = mb / cpu_seconds;
  state.counters["MB_lines"] = static_cast<double>(bench_store().bytes()) / 1e6;
}

// Arg: threads (AuditRequest::jobs).
void BM_AuditDeep(benchmark::State& state) {
  const mc::LocalStoreReader reader(bench_store().root());
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    mc::Result<mc::AuditReport> audited = mc::run_audit(reader, request(static_cast<unsigned>(state.range(0))));
    if (!audited || audited->exit_code() != 0 || audited->symbols[0].parts != kParts) {
      state.SkipWithError("the audit did not find the store clean");
      return;
    }
  }
  report(state, process_cpu_seconds() - cpu_start);
}
BENCHMARK(BM_AuditDeep)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

// Arg: threads. The export directory is removed between iterations, outside the timing.
void BM_AuditDeepExport(benchmark::State& state) {
  const mc::LocalStoreReader reader(bench_store().root());
  const std::filesystem::path out = bench_store().root().parent_path() / fmt::format("mc-audit-export-{}", ::getpid());
  double cpu = 0;
  for (auto _ : state) {
    const double cpu_start = process_cpu_seconds();
    mc::Result<mc::AuditExporter> exporter = mc::AuditExporter::open(out);
    mc::Result<mc::AuditReport> audited =
        exporter ? mc::run_audit(reader, request(static_cast<unsigned>(state.range(0))), &*exporter)
                 : mc::Result<mc::AuditReport>(exporter.status());
    if (!audited || !exporter->finish(*audited)) {
      state.SkipWithError("the export failed");
      return;
    }
    cpu += process_cpu_seconds() - cpu_start;
    state.PauseTiming();
    std::filesystem::remove_all(out);
    state.ResumeTiming();
  }
  report(state, cpu);
}
BENCHMARK(BM_AuditDeepExport)->Arg(1)->Arg(2)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

// The floor: libdeflate decompressing one of the store's parts, on one core.
void BM_Gunzip(benchmark::State& state) {
  const std::string& gz = bench_store().sample_gz();
  std::size_t out = 0;
  for (auto _ : state) {
    mc::Result<std::string> lines = mc::gunzip(gz);
    out = lines->size();
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(out * state.iterations()));
  state.counters["gzip_ratio"] = static_cast<double>(out) / static_cast<double>(gz.size());
}
BENCHMARK(BM_Gunzip)->Unit(benchmark::kMillisecond);

}  // namespace
