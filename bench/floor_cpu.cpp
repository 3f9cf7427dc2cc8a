// The compression floor of a store: CPU seconds that gzip level N plus SHA-256 alone spend on the
// very parts a collector run stored. The end-to-end benchmark divides the collector's CPU by this.
//
//   mc_floor <store-dir> [gzip-level [rounds]]     prints one JSON object
//
// Each part is gunzipped into memory first (not timed), then compressed and hashed part by part, as
// the sealer does; the best of the rounds (default 3) counts, so a busy neighbour inflates it as
// little as possible. "loaded" on stderr says the rounds start now, and every part's CPU seconds and
// CLOCK_MONOTONIC start and end are in the output ("timed": [bytes, cpu, start, end] a part): the
// end-to-end bench runs this beside a collector to see what the same work costs on a loaded machine.
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "common/file_util.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"

namespace {

constexpr int kDefaultRounds = 3;

double clock_seconds(clockid_t clock) {
  timespec now{};
  ::clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

struct Timed {
  std::size_t bytes;
  double cpu_seconds;
  double started;  // CLOCK_MONOTONIC
  double ended;
};

bool is_part(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name.starts_with("part-") && name.ends_with(".jsonl.gz");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    fmt::print(stderr, "usage: mc_floor <store-dir> [gzip-level [rounds]]\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const int level = argc >= 3 ? std::atoi(argv[2]) : 6;
  if (level < mc::kMinGzipLevel || level > mc::kMaxGzipLevel) {
    fmt::print(stderr, "gzip level {} is not in {}..{}\n", argv[2], mc::kMinGzipLevel, mc::kMaxGzipLevel);
    return 2;
  }
  const int rounds = argc == 4 ? std::atoi(argv[3]) : kDefaultRounds;
  if (rounds < 1) {
    fmt::print(stderr, "rounds {} is not a positive number\n", argv[3]);
    return 2;
  }

  std::vector<std::string> parts;
  std::size_t bytes = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file() || !is_part(it->path())) continue;
    mc::Result<std::string> gz = mc::read_file(it->path());
    if (!gz) {
      fmt::print(stderr, "{}\n", gz.status().message());
      return 1;
    }
    mc::Result<std::string> lines = mc::gunzip(*gz);
    if (!lines) {
      fmt::print(stderr, "{}: {}\n", it->path().string(), lines.status().message());
      return 1;
    }
    bytes += lines->size();
    parts.push_back(std::move(lines).value());
  }
  if (error) {
    fmt::print(stderr, "cannot walk {}: {}\n", root.string(), error.message());
    return 1;
  }
  if (parts.empty()) {
    fmt::print(stderr, "no part-*.jsonl.gz under {}\n", root.string());
    return 1;
  }

  // One compressor and one output buffer for every part, as a sealer thread keeps them: the floor is
  // gzip and SHA-256, not the allocator (in a main thread, glibc hands fresh buffers back to the
  // kernel, and faulting them in again costs up to a third of a round on the benchmark VM).
  mc::Result<mc::GzipCompressor> compressor = mc::GzipCompressor::create(level);
  if (!compressor) {
    fmt::print(stderr, "{}\n", compressor.status().message());
    return 1;
  }
  fmt::print(stderr, "loaded\n");
  static_cast<void>(std::fflush(stderr));
  std::vector<double> round_cpu;
  std::vector<Timed> timed;
  std::size_t gzip_bytes = 0;
  for (int round = 0; round < rounds; ++round) {
    gzip_bytes = 0;
    const double round_started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (const std::string& lines : parts) {
      const double started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
      const double started_wall = clock_seconds(CLOCK_MONOTONIC);
      mc::Result<std::string_view> gz = compressor->compress(lines);
      mc::Result<std::string> sha = gz ? mc::sha256_hex(*gz) : mc::Result<std::string>(gz.status());
      if (!sha) {
        fmt::print(stderr, "{}\n", sha.status().message());
        return 1;
      }
      gzip_bytes += gz->size();
      timed.push_back({lines.size(), clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - started, started_wall,
                       clock_seconds(CLOCK_MONOTONIC)});
    }
    round_cpu.push_back(clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - round_started);
  }
  const double best = *std::min_element(round_cpu.begin(), round_cpu.end());
  std::string timed_list;
  for (const Timed& t : timed) {
    timed_list += fmt::format("{}[{}, {:.6f}, {:.4f}, {:.4f}]", timed_list.empty() ? "" : ", ", t.bytes,
                              t.cpu_seconds, t.started, t.ended);
  }
  fmt::print("{{\"parts\": {}, \"bytes_uncompressed\": {}, \"bytes_gzip\": {}, \"gzip_level\": {}, "
             "\"cpu_seconds\": {:.4f}, \"mb_per_cpu_second\": {:.1f}, \"timed\": [{}]}}\n",
             parts.size(), bytes, gzip_bytes, level, best, static_cast<double>(bytes) / 1e6 / best, timed_list);
  return 0;
}
