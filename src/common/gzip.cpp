#include "common/gzip.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

namespace mc {
namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};
using Compressor = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;
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

Result<std::string> gzip_compress(std::string_view data, int level) {
  if (level < kMinGzipLevel || level > kMaxGzipLevel) {
    return Status::fatal(fmt::format("gzip level {} is outside {}..{}", level, kMinGzipLevel, kMaxGzipLevel));
  }
  Compressor compressor(libdeflate_alloc_compressor(level));
  if (!compressor) return Status::retryable("libdeflate_alloc_compressor: out of memory");
  std::string out(libdeflate_gzip_compress_bound(compressor.get(), data.size()), '\0');
  const std::size_t written =
      libdeflate_gzip_compress(compressor.get(), data.data(), data.size(), out.data(), out.size());
  // The buffer has the bound's size, so 0 ("did not fit") would be a libdeflate bug.
  if (written == 0) return Status::fatal("libdeflate_gzip_compress: output exceeded its own bound");
  out.resize(written);
  return out;
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
