#include "spool/record_queue.hpp"

#include <utility>

namespace mc {

bool RecordQueue::push(RecordBatch& batch) {
  if (batch.empty()) return true;
  const std::size_t size = cost(batch);
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || size > max_bytes_ - bytes_) {
      refused_ += batch.records.size();
      return false;
    }
    was_empty = queued_.empty();
    bytes_ += size;
    queued_.push_back(std::move(batch));
    if (spares_.empty()) {
      batch = RecordBatch{};
    } else {
      batch = std::move(spares_.back());
      spares_.pop_back();
    }
  }
  // The consumer only ever waits on an empty queue.
  if (was_empty) not_empty_.notify_one();
  return true;
}

bool RecordQueue::pop(std::vector<RecordBatch>& out, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  for (RecordBatch& done : out) {
    if (spares_.size() == kMaxSpareBatches || done.lines.capacity() > kMaxKeptBatchBytes) continue;
    done.clear();
    spares_.push_back(std::move(done));
  }
  out.clear();
  not_empty_.wait_until(lock, deadline, [this] { return closed_ || !queued_.empty(); });
  std::swap(out, queued_);
  bytes_ = 0;
  return !closed_ || !out.empty();
}

void RecordQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  not_empty_.notify_all();
}

std::size_t RecordQueue::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::uint64_t RecordQueue::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

}  // namespace mc
