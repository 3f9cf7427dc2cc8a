#include "spool/record_queue.hpp"

#include <utility>

namespace mc {

bool RecordQueue::push(Record&& record) {
  const std::size_t size = cost(record);
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || size > max_bytes_ - bytes_) {
      ++refused_;
      return false;
    }
    was_empty = records_.empty();
    bytes_ += size;
    records_.push_back(std::move(record));
  }
  // The consumer only ever waits on an empty queue.
  if (was_empty) not_empty_.notify_one();
  return true;
}

bool RecordQueue::pop_batch(std::vector<Record>& out, std::chrono::steady_clock::time_point deadline) {
  out.clear();
  std::unique_lock lock(mutex_);
  not_empty_.wait_until(lock, deadline, [this] { return closed_ || !records_.empty(); });
  // Swapping hands the consumer's old buffer back to the producers, so steady state allocates nothing.
  std::swap(out, records_);
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
