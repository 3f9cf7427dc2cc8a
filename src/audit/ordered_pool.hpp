#pragma once
// Runs produce(i) for every i in [0, count) on a few threads and hands each result to consume(i, result)
// on the calling thread, in index order. The audit reads and checks objects in parallel this way while
// its findings, coverage and export come out exactly as a one-thread run's.
//
// produce runs concurrently with itself (and with consume): it may only touch what it is given and
// thread-safe objects. consume runs on the caller's thread only, one index after the other.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace mc {

// Results that may wait for their turn, per thread: a deep result holds a part's uncompressed lines,
// so this bounds the memory of a slow part holding up faster ones behind it.
inline constexpr std::size_t kOrderedWindowPerJob = 2;

template <typename Produce, typename Consume>
void run_ordered(std::size_t count, unsigned jobs, Produce produce, Consume consume) {
  using Value = std::invoke_result_t<Produce&, std::size_t>;
  if (jobs <= 1 || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) consume(i, produce(i));
    return;
  }
  const std::size_t window = kOrderedWindowPerJob * jobs;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::optional<Value>> done(count);
  std::size_t next_claim = 0;    // guarded by mutex
  std::size_t next_consume = 0;  // guarded by mutex

  // Declared after the state the workers use, so that they are joined before it goes.
  std::vector<std::jthread> workers;
  // Whatever way the caller's loop ends (an exception from consume included), workers stop claiming
  // and finish, so the jthreads' joins cannot wait on a window that no longer moves.
  struct StopClaims {
    std::mutex& mutex;
    std::condition_variable& changed;
    std::size_t& next_claim;
    std::size_t count;
    ~StopClaims() {
      {
        const std::lock_guard lock(mutex);
        next_claim = count;
      }
      changed.notify_all();
    }
  };
  const StopClaims stop{mutex, changed, next_claim, count};

  const std::size_t threads = std::min<std::size_t>(jobs, count);
  workers.reserve(threads);
  for (std::size_t w = 0; w < threads; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        std::size_t index = 0;
        {
          std::unique_lock lock(mutex);
          changed.wait(lock, [&] { return next_claim >= count || next_claim < next_consume + window; });
          if (next_claim >= count) return;
          index = next_claim++;
        }
        Value value = produce(index);
        {
          const std::lock_guard lock(mutex);
          done[index].emplace(std::move(value));
        }
        changed.notify_all();
      }
    });
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::optional<Value> value;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return done[i].has_value(); });
      value = std::move(done[i]);
      done[i].reset();
      next_consume = i + 1;
    }
    changed.notify_all();
    consume(i, std::move(*value));
  }
}

}  // namespace mc
