// Sealing a 2 MiB part: reading it back, the line scan for the manifest, gzip at the configured
// level, SHA-256; and the whole seal (Sealer::seal: files, fsyncs and renames included), alone and
// in groups.
#include <stdlib.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/trade_lines.hpp"
#include "common/clock.hpp"
#include "common/file_util.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "spool/part_scan.hpp"
#include "spool/sealer.hpp"

namespace {

constexpr std::size_t kPartBytes = 2U << 20U;

const std::string& part() {
  static const std::string content = mc::bench::trade_part(kPartBytes);
  return content;
}

// As the sealer compresses: one compressor and output buffer, kept from part to part.
void BM_Gzip(benchmark::State& state) {
  mc::Result<mc::GzipCompressor> compressor = mc::GzipCompressor::create(static_cast<int>(state.range(0)));
  if (!compressor) {
    state.SkipWithError(compressor.status().message().c_str());
    return;
  }
  std::size_t compressed = 0;
  for (auto _ : state) {
    mc::Result<std::string_view> gz = compressor->compress(part());
    compressed = gz->size();
    benchmark::DoNotOptimize(gz);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * part().size()));
  state.counters["ratio"] = static_cast<double>(part().size()) / static_cast<double>(compressed);
}
BENCHMARK(BM_Gzip)->Arg(1)->Arg(6)->Arg(9)->Unit(benchmark::kMillisecond);

// Reading a part back from the page cache, gzip and SHA-256: the sealer's work on one part, as the
// Sealer does it (arg 1: one read buffer and one GzipCompressor for every part) and with fresh buffers
// (arg 0: read_file and gzip_compress, a new string, compressor and output buffer per part).
void BM_ReadGzipPart(benchmark::State& state) {
  std::string dir = (std::filesystem::temp_directory_path() / "mc-bench-read-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::filesystem::path file = std::filesystem::path(dir) / "part.jsonl";
  if (!mc::write_file_atomic(file, part())) state.SkipWithError("cannot write the part");
  mc::Result<mc::GzipCompressor> compressor = mc::GzipCompressor::create(6);
  if (!compressor) state.SkipWithError(compressor.status().message().c_str());
  const bool keep = state.range(0) == 1;
  std::string buffer;
  for (auto _ : state) {
    if (keep) {
      mc::Result<std::string_view> raw = mc::read_file_into(file, buffer);
      mc::Result<std::string_view> gz = compressor->compress(*raw);
      benchmark::DoNotOptimize(mc::sha256_hex(*gz));
    } else {
      mc::Result<std::string> raw = mc::read_file(file);
      mc::Result<std::string> gz = mc::gzip_compress(*raw, 6);
      benchmark::DoNotOptimize(mc::sha256_hex(*gz));
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * part().size()));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_ReadGzipPart)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Sha256(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(mc::sha256_hex(part()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * part().size()));
}
BENCHMARK(BM_Sha256)->Unit(benchmark::kMillisecond);

void BM_ScanPart(benchmark::State& state) {
  const simdjson::padded_string padded(part());
  for (auto _ : state) benchmark::DoNotOptimize(mc::scan_part(padded, mc::PartKind::kData));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * part().size()));
}
BENCHMARK(BM_ScanPart)->Unit(benchmark::kMillisecond);

// The sealer thread's whole work on one 2 MiB part, as Sealer::seal does it in a spool on the temp
// directory's disk: arg 1 with the writer's count of the part (what a live seal gets), arg 0 without
// (start-up recovery: the part is parsed). The open file is written again before each seal, untimed.
void BM_SealPart(benchmark::State& state) {
  std::string dir = (std::filesystem::temp_directory_path() / "mc-bench-seal-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const mc::SpoolLayout layout{std::filesystem::path(dir)};
  std::filesystem::create_directories(layout.open_dir());
  std::filesystem::create_directories(layout.sealed_dir());
  const simdjson::padded_string padded(part());
  const std::optional<mc::PartStats> counted =
      state.range(0) == 1 ? std::optional(mc::scan_part(padded, mc::PartKind::kData)) : std::nullopt;
  const mc::SystemClock clock;
  mc::Sealer sealer(layout, 6, clock);
  mc::PartName name{.prefix = "raw/", .kind = mc::PartKind::kData, .stream = "trade", .symbol = "BTCUSDT",
                    .instance_id = "bench", .epoch_ms = 1'739'141'030'001};
  for (auto _ : state) {
    state.PauseTiming();
    ++name.epoch_ms;
    const std::filesystem::path open_file = layout.open_file(name);
    const bool written = mc::write_file_atomic(open_file, part()).is_ok();
    state.ResumeTiming();
    if (!written) {
      state.SkipWithError("cannot write the open part");
      break;
    }
    mc::Result<std::optional<mc::SealedPart>> sealed = sealer.seal(open_file, {}, counted);
    if (!sealed || !*sealed) {
      state.SkipWithError("the seal failed");
      break;
    }
    state.PauseTiming();
    std::filesystem::remove((*sealed)->part_file);
    std::filesystem::remove((*sealed)->manifest_file);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * part().size()));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_SealPart)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// A window's end with many quiet symbols: 64 parts of ~20 KB (a symbol at 20 trades/s for 5 s), each
// of its own writer, sealed one by one (arg 0) or as one group (arg 1: Sealer::seal_group, one syncfs
// and one fsync each of sealed/ and open/). Process CPU time for all 64; the open files are written
// again before each round, untimed.
void BM_SealQuietParts(benchmark::State& state) {
  constexpr int kParts = 64;
  constexpr std::size_t kQuietPartBytes = 20'000;
  std::string dir = (std::filesystem::temp_directory_path() / "mc-bench-seal-group-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const mc::SpoolLayout layout{std::filesystem::path(dir)};
  std::filesystem::create_directories(layout.open_dir());
  std::filesystem::create_directories(layout.sealed_dir());
  const std::string content = mc::bench::trade_part(kQuietPartBytes);
  const std::optional<mc::PartStats> counted = mc::scan_part(simdjson::padded_string(content), mc::PartKind::kData);
  const mc::SystemClock clock;
  mc::Sealer sealer(layout, 6, clock);
  std::int64_t epoch_ms = 1'739'141'030'000;
  for (auto _ : state) {
    state.PauseTiming();
    epoch_ms += 5000;
    std::vector<mc::SealJob> jobs;
    for (int i = 0; i < kParts; ++i) {
      const mc::PartName name{.prefix = "raw/", .kind = mc::PartKind::kData, .stream = "trade",
                              .symbol = fmt::format("S{:04}USDT", i), .instance_id = "bench", .epoch_ms = epoch_ms};
      jobs.push_back({.open_file = layout.open_file(name), .stats = counted});
      if (!mc::write_file_atomic(jobs.back().open_file, content)) state.SkipWithError("cannot write an open part");
    }
    state.ResumeTiming();
    std::size_t sealed = 0;
    if (state.range(0) == 1) {
      for (const auto& one : sealer.seal_group(jobs)) sealed += one && *one ? 1 : 0;
    } else {
      for (const mc::SealJob& job : jobs) {
        const auto one = sealer.seal(job.open_file, job.notes, job.stats);
        sealed += one && *one ? 1 : 0;
      }
    }
    state.PauseTiming();
    if (sealed != kParts) state.SkipWithError("a seal failed");
    std::error_code ec;
    std::filesystem::remove_all(layout.sealed_dir(), ec);
    std::filesystem::create_directories(layout.sealed_dir());
    state.ResumeTiming();
  }
  state.counters["parts"] = kParts;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_SealQuietParts)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace
