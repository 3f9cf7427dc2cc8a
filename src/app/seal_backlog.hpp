#pragma once
// Open files the sealer's bounded queue refused (it was full: the sealer has been stuck, or start-up
// recovery found more than the queue holds). They stay on disk and are offered again on every tick
// of the main thread, so none waits for the next start.

#include <chrono>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/clock.hpp"
#include "spool/part_notes.hpp"

namespace mc {

class SealBacklog {
 public:
  void add(SealJob job) {
    const std::lock_guard lock(mutex_);
    files_.push_back(std::move(job));
  }

  // Offers the held jobs in order to enqueue (bool(SealJob)) until it refuses one.
  template <typename Enqueue>
  void retry(const Enqueue& enqueue) {
    const std::lock_guard lock(mutex_);
    while (!files_.empty() && enqueue(files_.front())) files_.pop_front();
  }

  // For the stop, whose drain takes no new files: offers the held jobs again every poll while the
  // queue frees up, until none is left (true) or the clock passed deadline (false).
  template <typename Enqueue>
  bool retry_until_empty(const Enqueue& enqueue, const Clock& clock, std::chrono::steady_clock::time_point deadline,
                         std::chrono::milliseconds poll) {
    for (;;) {
      retry(enqueue);
      if (size() == 0) return true;
      if (clock.steady_now() >= deadline) return false;
      std::this_thread::sleep_for(poll);
    }
  }

  std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return files_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<SealJob> files_;
};

}  // namespace mc
