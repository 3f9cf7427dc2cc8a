// Sealing a 2 MiB part: the line scan for the manifest, gzip at the configured level, SHA-256.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "bench/trade_lines.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "spool/part_scan.hpp"

namespace {

constexpr std::size_t kPartBytes = 2U << 20U;

const std::string& part() {
  static const std::string content = mc::bench::trade_part(kPartBytes);
  return content;
}

void BM_Gzip(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  std::size_t compressed = 0;
  for (auto _ : state) {
    auto gz = mc::gzip_compress(part(), level);
    compressed = gz->size();
    benchmark::DoNotOptimize(gz);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * part().size()));
  state.counters["ratio"] = static_cast<double>(part().size()) / static_cast<double>(compressed);
}
BENCHMARK(BM_Gzip)->Arg(1)->Arg(6)->Arg(9)->Unit(benchmark::kMillisecond);

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
