#pragma once
// The hand-off from the network side (feed, REST backfill) to the writer thread. Producers never
// block: when the queue holds too much (the disk stalls, the writer fell behind) a push is refused
// and the producer counts the loss, so the network thread keeps reading and pinging.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/record.hpp"

namespace mc {

// Bound on the memory the queue may hold: ~2 minutes of a busy symbol set at 2 MB/s.
inline constexpr std::size_t kMaxQueuedBytes = std::size_t{256} << 20;

// Drained batches are kept for reuse, so producers fill buffers that already have their size and
// steady state allocates nothing; at most this many, and none larger than kMaxKeptBatchBytes (a
// backlog after a stall must not hold its memory for good).
inline constexpr std::size_t kMaxSpareBatches = 32;
inline constexpr std::size_t kMaxKeptBatchBytes = std::size_t{4} << 20;

class RecordQueue final : public RecordSink {
 public:
  explicit RecordQueue(std::size_t max_bytes = kMaxQueuedBytes) : max_bytes_(max_bytes) {}

  // Takes the batch whole, without copying it, and hands the producer an empty spare batch in its
  // place. Refuses (returns false, batch untouched) when closed or when the batch would take the
  // queued bytes (lines plus per-record overhead) over the bound.
  bool push(RecordBatch& batch) override;

  // Gives the batches in `out` (the consumer's previous ones, written by now) back as spares, then
  // replaces them with every batch queued, in push order. Waits until something is queued, the
  // deadline passes or the queue is closed. Returns false once the queue is closed and everything
  // pushed before has been handed out: the consumer is done.
  bool pop(std::vector<RecordBatch>& out, std::chrono::steady_clock::time_point deadline);

  // Refuses further pushes and wakes the consumer; what is queued can still be popped.
  void close();

  std::size_t queued_bytes() const;
  std::uint64_t refused() const;  // records refused since construction

  // What a batch costs against the bound.
  static std::size_t cost(const RecordBatch& batch) {
    return batch.lines.size() + batch.records.size() * sizeof(RecordMeta);
  }

 private:
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::vector<RecordBatch> queued_;
  std::vector<RecordBatch> spares_;
  std::size_t bytes_ = 0;
  std::uint64_t refused_ = 0;
  bool closed_ = false;
};

}  // namespace mc
