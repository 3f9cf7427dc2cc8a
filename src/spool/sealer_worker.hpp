#pragma once
// The sealer threads: seal the open files the writers (and start-up recovery) hand them and pass
// each sealed part on (to the uploader). A thread seals every file that is due together, one per
// writer and at most kMaxSealGroup (Sealer::seal_group), so the parts one window's end closes share
// their syncs: with 1,000 symbols that is 1,000 parts at once. Several threads, because a seal
// waits on the disk (three syncs before the parts are handed on, one after), and concurrent syncs
// share the file system's journal commits. The writers never wait for it: enqueue only takes a lock. The queue
// takes every file while the worker runs, so none waits for the next start; a queue longer than
// backlog_alarm means the sealer has been stuck, and says so. What is still queued when the worker
// stops stays in open/, where the next start finds it.
//
// Failures, by kind: kNoSpace waits no_space_retry and tries again; kCorrupt (a name that is not
// an open part's) moves the file to rejected/; anything else retries with doubling backoff, capped.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "spool/spool_metrics.hpp"
#include "spool/part_notes.hpp"
#include "spool/spool_layout.hpp"

namespace spdlog {
class logger;
}

namespace mc {

class Sealer;
class PartSequence;

// Open files waiting to be sealed, the ones being sealed included, beyond which the queue's length is
// an alarm. Writers produce one per window and symbol, so a longer queue means the sealer has been
// stuck for a long time.
inline constexpr std::size_t kSealBacklogAlarm = 1024;
inline constexpr std::size_t kSealerThreads = 2;
// The most open files one sealer thread seals together, sharing their syncs. Bounds how long the
// first part of a group waits for the others' gzip before it is handed on: 64 parts of a quiet
// symbol's window take a few milliseconds, 64 full 2 MiB parts (only ever a backlog) under half a second.
inline constexpr std::size_t kMaxSealGroup = 64;

struct SealerWorkerOptions {
  int gzip_level = 6;
  std::size_t backlog_alarm = kSealBacklogAlarm;
  std::size_t threads = kSealerThreads;  // at least one
  std::chrono::milliseconds no_space_retry{5000};
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{60000};
  PartSequence* sequence = nullptr;  // numbers data parts (part_sequence.hpp); must outlive the worker
};

class SealerWorker {
 public:
  // Called on the sealer thread for each part sealed, once the pair is durable and before its open
  // file is removed (Sealer::seal's hand_on); must not throw.
  using OnSealed = std::function<void(SealedPart)>;

  // Counts parts_sealed and seal_failures in metrics. Takes files before start(): the part that
  // receives sealed parts (the uploader) may itself ask for a seal, so it is built in between.
  SealerWorker(SpoolLayout layout, SealerWorkerOptions options, const Clock& clock, SpoolMetrics& metrics);
  // Stops without draining; whatever is queued stays in open/ for the next start.
  ~SealerWorker();
  SealerWorker(const SealerWorker&) = delete;
  SealerWorker& operator=(const SealerWorker&) = delete;

  // Starts the threads, which hand every sealed part to on_sealed. Once.
  void start(OnSealed on_sealed);

  // Queues an open file to seal. False, logged and counted in not_queued(), once the worker is
  // draining or stopped.
  bool enqueue(SealJob job);

  // For shutdown: refuses new files, seals everything queued (retrying failures) until the queue
  // is empty or the clock passes deadline, then stops and joins the threads. True when all was sealed.
  bool drain(std::chrono::steady_clock::time_point deadline);

  std::uint64_t not_queued() const { return not_queued_.load(std::memory_order_relaxed); }
  // Times a thread found files queued but none due yet (a retry waiting for its backoff) and went
  // back to waiting: once it moved past a value read after the clock moved, the threads have seen
  // that clock and done what was due, so a test can tell "not retried yet" without sleeping.
  std::uint64_t idle_passes() const { return idle_passes_.load(std::memory_order_relaxed); }

 private:
  struct Item {
    SealJob job;
    int failures = 0;
    std::chrono::steady_clock::time_point not_before{};
  };

  void run(const std::stop_token& stop);
  // Takes the queued files due by now, oldest first, at most one per writer and kMaxSealGroup: they
  // are sealed together (Sealer::seal_group). Called with mutex_ held.
  std::vector<Item> take_group(std::chrono::steady_clock::time_point now);
  // Seals a group; returns the items that must be retried later.
  std::vector<Item> seal(Sealer& sealer, std::vector<Item> group);
  // Counts and logs a failed seal; returns the item again when it must be retried later.
  std::optional<Item> failed(Item item, const Status& status);
  std::chrono::milliseconds backoff(int failures) const;

  const SpoolLayout layout_;
  const SealerWorkerOptions options_;
  const Clock& clock_;
  SpoolMetrics& metrics_;
  OnSealed on_sealed_;  // set by start(), before the threads exist
  const std::shared_ptr<spdlog::logger> log_;
  std::atomic<std::uint64_t> not_queued_{0};
  std::atomic<std::uint64_t> idle_passes_{0};

  std::mutex mutex_;
  std::condition_variable_any work_cv_;  // the workers wait for files
  std::condition_variable idle_cv_;      // drain waits for the queue to empty
  std::deque<Item> queue_;
  std::size_t in_flight_ = 0;
  std::uint64_t enqueued_ = 0;  // wakes a worker that waits for a retry when a new file arrives
  bool accepting_ = true;
  bool over_alarm_ = false;  // the queue is longer than backlog_alarm: logged once per crossing

  std::vector<std::jthread> threads_;  // last: start once everything above exists, stop first
};

}  // namespace mc
