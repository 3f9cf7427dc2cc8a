// The compression floor of a store: CPU seconds that gzip level N plus SHA-256 alone spend on the
// very parts a collector run stored. The end-to-end benchmark divides the collector's CPU by this.
//
//   mc_floor <store-dir> [gzip-level]     prints one JSON object
//
// Each part is gunzipped into memory first (not timed), then compressed and hashed part by part, as
// the sealer does; the best of three rounds counts, so a busy neighbour inflates it as little as possible.
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

constexpr int kRounds = 3;

double process_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

bool is_part(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name.starts_with("part-") && name.ends_with(".jsonl.gz");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    fmt::print(stderr, "usage: mc_floor <store-dir> [gzip-level]\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const int level = argc == 3 ? std::atoi(argv[2]) : 6;
  if (level < mc::kMinGzipLevel || level > mc::kMaxGzipLevel) {
    fmt::print(stderr, "gzip level {} is not in {}..{}\n", argv[2], mc::kMinGzipLevel, mc::kMaxGzipLevel);
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

  double best = 0;
  std::size_t gzip_bytes = 0;
  for (int round = 0; round < kRounds; ++round) {
    gzip_bytes = 0;
    const double started = process_cpu_seconds();
    for (const std::string& lines : parts) {
      mc::Result<std::string> gz = mc::gzip_compress(lines, level);
      mc::Result<std::string> sha = gz ? mc::sha256_hex(*gz) : mc::Result<std::string>(gz.status());
      if (!sha) {
        fmt::print(stderr, "{}\n", sha.status().message());
        return 1;
      }
      gzip_bytes += gz->size();
    }
    const double spent = process_cpu_seconds() - started;
    best = round == 0 ? spent : std::min(best, spent);
  }
  fmt::print("{{\"parts\": {}, \"bytes_uncompressed\": {}, \"bytes_gzip\": {}, \"gzip_level\": {}, "
             "\"cpu_seconds\": {:.4f}, \"mb_per_cpu_second\": {:.1f}}}\n",
             parts.size(), bytes, gzip_bytes, level, best, static_cast<double>(bytes) / 1e6 / best);
  return 0;
}
