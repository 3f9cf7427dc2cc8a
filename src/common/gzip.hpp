#pragma once
// gzip (RFC 1952) through libdeflate. Whole buffers in memory: a part is a few MiB at most.
// Output is deterministic for a given level and input, which makes re-sealing idempotent.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.hpp"

struct libdeflate_compressor;  // <libdeflate.h>

namespace mc {

// libdeflate's levels; GZIP_LEVEL in the configuration is a subset (1-9).
inline constexpr int kMinGzipLevel = 1;
inline constexpr int kMaxGzipLevel = 12;
// Refuses to inflate more than this: a corrupt or hostile object must not exhaust memory.
inline constexpr std::size_t kMaxGunzipBytes = std::size_t{1} << 30;

// One gzip member. kFatal for a level outside [kMinGzipLevel, kMaxGzipLevel].
Result<std::string> gzip_compress(std::string_view data, int level);

// One gzip member at a time, keeping libdeflate's compressor (its hash tables) and the output buffer
// from call to call: compressing buffer after buffer then allocates nothing once the largest has been
// seen. Page faults are costly on a VM, and a fresh buffer per call can fault on every page.
class GzipCompressor {
 public:
  // kFatal for a level outside [kMinGzipLevel, kMaxGzipLevel].
  static Result<GzipCompressor> create(int level);

  // The member for data, valid until the next call.
  Result<std::string_view> compress(std::string_view data);

 private:
  struct Deleter {
    void operator()(libdeflate_compressor* compressor) const;
  };
  explicit GzipCompressor(libdeflate_compressor* compressor) : compressor_(compressor) {}

  std::unique_ptr<libdeflate_compressor, Deleter> compressor_;
  std::string out_;
};

// Inflates every member of a gzip stream (concatenated members are valid gzip). kCorrupt when the
// input is not gzip, is truncated, fails its CRC or would inflate past max_output bytes.
Result<std::string> gunzip(std::string_view compressed, std::size_t max_output = kMaxGunzipBytes);

}  // namespace mc
