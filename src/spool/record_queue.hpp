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

class RecordQueue final : public RecordSink {
 public:
  explicit RecordQueue(std::size_t max_bytes = kMaxQueuedBytes) : max_bytes_(max_bytes) {}

  // Refuses (returns false, record untouched) when closed or when the record would take the queued
  // bytes (line size plus per-record overhead) over the bound.
  bool push(Record&& record) override;

  // Replaces out's content with everything queued, in push order. Waits until something is queued,
  // the deadline passes or the queue is closed. Returns false once the queue is closed and
  // everything pushed before has been handed out: the consumer is done.
  bool pop_batch(std::vector<Record>& out, std::chrono::steady_clock::time_point deadline);

  // Refuses further pushes and wakes the consumer; what is queued can still be popped.
  void close();

  std::size_t queued_bytes() const;
  std::uint64_t refused() const;  // pushes refused since construction

  // What one record costs against the bound.
  static std::size_t cost(const Record& record) { return sizeof(Record) + record.line.size(); }

 private:
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::vector<Record> records_;
  std::size_t bytes_ = 0;
  std::uint64_t refused_ = 0;
  bool closed_ = false;
};

}  // namespace mc
