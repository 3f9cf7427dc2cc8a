#include "common/gzip.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

namespace mc {
namespace {

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};
using Decompressor = std::unique_ptr<libdeflate_decompressor, DecompressorDeleter>;

constexpr std::size_t kGzipHeaderBytes = 10;
constexpr std::size_t kGzipTrailerBytes = 8;  // CRC32, ISIZE

constexpr std::size_t kMinBuffer = 64;
// DEFLATE cannot expand data by more than about 1032:1.
constexpr std::size_t kMaxDeflateRatio = 1032;

// The first output buffer for the members in `rest`: the last member's ISIZE (its size modulo 2^32),
// which is right for the usual single member, bounded by what the input could possibly inflate to
// so a forged trailer cannot make us allocate a gigabyte up front.
std::size_t size_hint(std::string_view rest) {
  if (rest.size() < kGzipHeaderBytes + kGzipTrailerBytes) return 0;
  const auto* tail = reinterpret_cast<const unsigned char*>(rest.data() + rest.size() - 4);
  const std::size_t isize = static_cast<std::size_t>(tail[0]) | static_cast<std::size_t>(tail[1]) << 8 |
                            static_cast<std::size_t>(tail[2]) << 16 | static_cast<std::size_t>(tail[3]) << 24;
  return std::min(isize, rest.size() * kMaxDeflateRatio);
}

}  // namespace

void GzipCompressor::Deleter::operator()(libdeflate_compressor* compressor) const {
  libdeflate_free_compressor(compressor);
}

Result<GzipCompressor> GzipCompressor::create(int level) {
  if (level < kMinGzipLevel || level > kMaxGzipLevel) {
    return Status::fatal(fmt::format("gzip level {} is outside {}..{}", level, kMinGzipLevel, kMaxGzipLevel));
  }
  libdeflate_compressor* compressor = libdeflate_alloc_compressor(level);
  if (compressor == nullptr) return Status::retryable("libdeflate_alloc_compressor: out of memory");
  return GzipCompressor(compressor);
}

Result<std::string_view> GzipCompressor::compress(std::string_view data) {
  const std::size_t bound = libdeflate_gzip_compress_bound(compressor_.get(), data.size());
  if (out_.size() < bound) out_.resize(bound);
  const std::size_t written =
      libdeflate_gzip_compress(compressor_.get(), data.data(), data.size(), out_.data(), out_.size());
  // The buffer holds at least the bound, so 0 ("did not fit") would be a libdeflate bug.
  if (written == 0) return Status::fatal("libdeflate_gzip_compress: output exceeded its own bound");
  return std::string_view(out_.data(), written);
}

Result<std::string> gzip_compress(std::string_view data, int level) {
  Result<GzipCompressor> compressor = GzipCompressor::create(level);
  if (!compressor) return compressor.status();
  Result<std::string_view> gz = compressor->compress(data);
  if (!gz) return gz.status();
  return std::string(*gz);
}

Result<std::string> gunzip(std::string_view compressed, std::size_t max_output) {
  Decompressor decompressor(libdeflate_alloc_decompressor());
  if (!decompressor) return Status::retryable("libdeflate_alloc_decompressor: out of memory");
  if (compressed.empty()) return Status::corrupt("gunzip: empty input");

  std::string out;
  std::string_view rest = compressed;
  while (!rest.empty()) {
    const std::size_t start = out.size();
    const std::size_t room = max_output - start;
    if (room == 0) return Status::corrupt(fmt::format("gunzip: output exceeds {} bytes", max_output));
    std::size_t capacity = std::min(std::max(size_hint(rest), kMinBuffer), room);
    while (true) {
      out.resize(start + capacity);
      std::size_t in_used = 0;
      std::size_t out_used = 0;
      const libdeflate_result rc = libdeflate_gzip_decompress_ex(decompressor.get(), rest.data(), rest.size(),
                                                                 out.data() + start, capacity, &in_used, &out_used);
      if (rc == LIBDEFLATE_SUCCESS) {
        out.resize(start + out_used);
        rest.remove_prefix(in_used);
        break;
      }
      if (rc != LIBDEFLATE_INSUFFICIENT_SPACE) {
        return Status::corrupt(fmt::format("gunzip: bad gzip data at byte {}", compressed.size() - rest.size()));
      }
      if (capacity == room) return Status::corrupt(fmt::format("gunzip: output exceeds {} bytes", max_output));
      capacity = std::min(capacity * 2, room);
    }
  }
  return out;
}

}  // namespace mc
