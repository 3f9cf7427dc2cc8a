#pragma once
// How many sealer and uploader threads the collector runs, from the number of symbols. Every symbol
// closes a part per ROT_SECS window (200 a second for 1,000 symbols at 5 s), and both stages spend
// most of a part's time waiting (fsyncs when sealing; a PUT's round trip, or the local store's fsyncs,
// when storing), so threads, not cores, set how many parts a second they carry. A few symbols need
// no more than the minimum: one sealer, whose 2 MiB part in memory is a sixth of the collector's RSS
// at one busy symbol; two uploaders, so one slow PUT does not hold the queue.

#include <algorithm>
#include <cstddef>

namespace mc {

inline constexpr std::size_t kMinSealerThreads = 1;
inline constexpr std::size_t kMaxSealerThreads = 4;
inline constexpr std::size_t kMinUploaderThreads = 2;
inline constexpr std::size_t kMaxUploaderThreads = 16;
// One more thread per this many symbols: on the benchmark VM a sealer thread seals ~50 small parts a
// second and an uploader thread stores ~45 parts (two objects each) a second in the local store; S3
// PUTs take longer still. 1,000 symbols get 4 sealers and 16 uploaders, which carry the 200 parts a
// second of bench/e2e.py's `many` scenario (docs/PERFORMANCE.md).
inline constexpr std::size_t kSymbolsPerSealerThread = 128;
inline constexpr std::size_t kSymbolsPerUploaderThread = 64;

// Files waiting for the sealer beyond which its queue's length is an alarm (sealer_worker.hpp). A
// window's end closes one part per symbol at once, and a stop closes one more per symbol while the
// last window's may still wait: 1,000 symbols queue 2,000 parts at a stop without anything being
// wrong. A queued part is its path and notes, well under a kilobyte.
inline constexpr std::size_t kSealQueuePartsPerSymbol = 3;

constexpr std::size_t seal_backlog_alarm(std::size_t symbols, std::size_t minimum) {
  return std::max(minimum, kSealQueuePartsPerSymbol * symbols);
}

constexpr std::size_t sealer_threads(std::size_t symbols) {
  return std::clamp(kMinSealerThreads + symbols / kSymbolsPerSealerThread, kMinSealerThreads, kMaxSealerThreads);
}

constexpr std::size_t uploader_threads(std::size_t symbols) {
  return std::clamp(kMinUploaderThreads + symbols / kSymbolsPerUploaderThread, kMinUploaderThreads,
                    kMaxUploaderThreads);
}

}  // namespace mc
