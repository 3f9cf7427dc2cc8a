#pragma once
// The spool's counters: parts written and sealed, the writer's syncs, and how much waits on disk;
// and the uploader's: what the store took, refused, or found already there.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/metrics.hpp"

namespace mc {

struct SpoolMetrics {
  Counter parts_opened{0};
  Counter parts_sealed{0};
  Counter seal_failures{0};
  Counter write_errors{0};
  Counter bytes_written{0};
  Counter writer_fdatasyncs{0};  // the writer thread's fdatasyncs of part files, one file each
  Counter writer_syncfs{0};      // its syncfs calls, each for many part files at once
  std::atomic<std::int64_t> spool_bytes{0};
  std::atomic<std::int64_t> spool_files{0};               // parts and manifests in open/ and sealed/
  std::atomic<std::int64_t> spool_oldest_age_seconds{0};  // of the oldest of them; 0 when none
  // The spool's file system (statvfs), measured with the above: the disk-full alarm comes before
  // the writers run out of room. 0 until the first measurement.
  std::atomic<std::int64_t> spool_fs_size_bytes{0};
  std::atomic<std::int64_t> spool_fs_avail_bytes{0};  // free to the collector (f_bavail)
};

// What the writers count: their own work, and the records they could not write.
struct WriterMetrics {
  SpoolMetrics& spool;
  RecordMetrics& records;
};

// ErrorKind values, in ErrorKind order (status.hpp), for store errors by class.
inline constexpr std::size_t kErrorKinds = 5;
inline constexpr std::array<const char*, kErrorKinds> kErrorKindNames = {"retryable", "fatal", "corrupt", "no_space",
                                                                         "already_exists"};

struct UploadMetrics {
  Counter uploads_ok{0};
  Counter upload_failures{0};
  std::array<Counter, kErrorKinds> store_errors_by_class{};  // upload_failures by ErrorKind
  Counter bytes_uploaded{0};
  Counter upload_sha256_mismatches{0};  // sealed parts whose bytes differ from their manifest's sha256
  Counter parts_rejected{0};            // sealed pairs the uploader moved to rejected/
  Counter store_key_conflicts{0};       // a different object held a part's or manifest's key: alarm
  Counter upload_queue_refused{0};      // parts the full upload queue refused (offered again as it drains)
  // When the last part was stored with its manifest (Unix seconds); 0 before the first. Whether the
  // store takes anything at all, which upload_failures (retries that may yet succeed) cannot say.
  std::atomic<std::int64_t> last_upload_unix_seconds{0};
};

}  // namespace mc
