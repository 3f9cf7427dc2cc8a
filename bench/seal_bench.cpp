// Sealing a 2 MiB part: reading it back, the line scan for the manifest, gzip at the configured
// level, SHA-256.
#include <stdlib.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <filesystem>
#include <string>

#include "bench/trade_lines.hpp"
#include "common/file_util.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "spool/part_scan.hpp"

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

}  // namespace
