#include "spool/sealer_worker.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "common/log.hpp"
#include "common/thread_name.hpp"
#include "spool/rejected.hpp"
#include "spool/sealer.hpp"

namespace mc {
namespace {

// The longest the worker and drain() sleep before looking at the clock again: waits are measured
// on the injected clock, which a condition variable cannot watch.
constexpr std::chrono::milliseconds kClockPoll{50};

template <typename Duration>
Duration at_most_poll(Duration wait) {
  return std::clamp<Duration>(wait, Duration::zero(), std::chrono::duration_cast<Duration>(kClockPoll));
}

}  // namespace

SealerWorker::SealerWorker(SpoolLayout layout, SealerWorkerOptions options, const Clock& clock, SpoolMetrics& metrics)
    : layout_(std::move(layout)), options_(options), clock_(clock), metrics_(metrics), log_(make_logger("spool")) {}

void SealerWorker::start(OnSealed on_sealed) {
  on_sealed_ = std::move(on_sealed);
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.threads); ++i) {
    threads_.emplace_back([this, i](const std::stop_token& stop) {
      name_this_thread("mc-seal-" + std::to_string(i + 1));
      run(stop);
    });
  }
}

SealerWorker::~SealerWorker() = default;

bool SealerWorker::enqueue(SealJob job) {
  {
    std::lock_guard lock(mutex_);
    if (accepting_) {
      queue_.push_back({std::move(job)});
      ++enqueued_;
      work_cv_.notify_one();
      const std::size_t waiting = queue_.size() + in_flight_;
      if (waiting > options_.backlog_alarm && !over_alarm_) {
        over_alarm_ = true;
        log_->error("SEAL BACKLOG: {} open files wait for the sealer (alarm above {}); is the spool's disk stuck?",
                    waiting, options_.backlog_alarm);
      }
      return true;
    }
  }
  not_queued_.fetch_add(1, std::memory_order_relaxed);
  log_->error("sealer stopped; the file stays in open/ until the next start file={}", job.open_file.string());
  return false;
}

bool SealerWorker::drain(std::chrono::steady_clock::time_point deadline) {
  std::size_t left = 0;
  {
    std::unique_lock lock(mutex_);
    accepting_ = false;
    while (!queue_.empty() || in_flight_ > 0) {
      const auto now = clock_.steady_now();
      if (now >= deadline) break;
      idle_cv_.wait_for(lock, at_most_poll(deadline - now));
    }
    left = queue_.size() + in_flight_;
  }
  for (std::jthread& thread : threads_) thread.request_stop();
  for (std::jthread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  if (left > 0) {
    log_->warn("sealer stopped at the deadline; files stay in open/ for the next start unsealed={}", left);
  }
  return left == 0;
}

void SealerWorker::run(const std::stop_token& stop) {
  Sealer sealer(layout_, options_.gzip_level, clock_, options_.sequence);
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (queue_.empty()) {
      work_cv_.wait(lock, stop, [&] { return !queue_.empty(); });
      continue;
    }
    const auto now = clock_.steady_now();
    std::vector<Item> group = take_group(now);
    if (group.empty()) {
      const auto next = std::min_element(queue_.begin(), queue_.end(), [](const Item& a, const Item& b) {
                          return a.not_before < b.not_before;
                        })->not_before;
      const std::uint64_t seen = enqueued_;
      idle_passes_.fetch_add(1, std::memory_order_relaxed);
      work_cv_.wait_for(lock, stop, at_most_poll(next - now), [&] { return enqueued_ != seen; });
      continue;
    }

    const std::size_t taken = group.size();
    in_flight_ += taken;
    lock.unlock();
    std::vector<Item> retries = seal(sealer, std::move(group));
    lock.lock();
    in_flight_ -= taken;
    for (Item& retry : retries) queue_.push_back(std::move(retry));
    if (over_alarm_ && queue_.size() + in_flight_ <= options_.backlog_alarm / 2) {
      over_alarm_ = false;
      log_->info("seal backlog back to {} open files", queue_.size() + in_flight_);
    }
    idle_cv_.notify_all();
  }
}

std::vector<SealerWorker::Item> SealerWorker::take_group(std::chrono::steady_clock::time_point now) {
  std::vector<Item> group;
  std::set<std::string> writers;
  for (auto it = queue_.begin(); it != queue_.end() && group.size() < kMaxSealGroup;) {
    if (it->not_before <= now && writers.insert(writer_of_open_file(it->job.open_file)).second) {
      group.push_back(std::move(*it));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return group;
}

std::vector<SealerWorker::Item> SealerWorker::seal(Sealer& sealer, std::vector<Item> group) {
  // Handed on from inside the seal: the upload starts while the sealer still removes the open files.
  const auto hand_on = [this](const SealedPart& part) {
    bump(metrics_.parts_sealed);
    on_sealed_(part);
  };
  std::vector<SealJob> jobs;
  jobs.reserve(group.size());
  for (Item& item : group) jobs.push_back(std::move(item.job));
  std::vector<Result<std::optional<SealedPart>>> sealed = sealer.seal_group(jobs, hand_on);
  std::vector<Item> retries;
  for (std::size_t i = 0; i < group.size(); ++i) {
    group[i].job = std::move(jobs[i]);
    if (sealed[i]) continue;
    if (std::optional<Item> retry = failed(std::move(group[i]), sealed[i].status())) retries.push_back(std::move(*retry));
  }
  return retries;
}

std::optional<SealerWorker::Item> SealerWorker::failed(Item item, const Status& status) {
  bump(metrics_.seal_failures);
  ++item.failures;
  switch (status.kind()) {
    case ErrorKind::kCorrupt: {
      Result<std::filesystem::path> moved = move_to_rejected(layout_, item.job.open_file);
      if (moved) {
        log_->error("cannot seal; moved to rejected/ file={} to={} error=\"{}\"", item.job.open_file.string(),
                    moved->string(), status.message());
      } else {
        log_->error("cannot seal nor move to rejected/; left in open/ file={} error=\"{}\" move_error=\"{}\"",
                    item.job.open_file.string(), status.message(), moved.status().message());
      }
      return std::nullopt;
    }
    case ErrorKind::kNoSpace:
      item.not_before = clock_.steady_now() + options_.no_space_retry;
      log_->error("DISK FULL: cannot seal, retrying in {} ms file={} failures={} error=\"{}\"",
                  options_.no_space_retry.count(), item.job.open_file.string(), item.failures, status.message());
      return item;
    case ErrorKind::kRetryable:
    case ErrorKind::kFatal:
    case ErrorKind::kAlreadyExists: {
      const std::chrono::milliseconds delay = backoff(item.failures);
      item.not_before = clock_.steady_now() + delay;
      log_->warn("seal failed, retrying in {} ms file={} failures={} kind={} error=\"{}\"", delay.count(),
                 item.job.open_file.string(), item.failures, to_string(status.kind()), status.message());
      return item;
    }
  }
  return item;
}

std::chrono::milliseconds SealerWorker::backoff(int failures) const {
  std::chrono::milliseconds delay = options_.retry_initial;
  for (int i = 1; i < failures && delay < options_.retry_max; ++i) delay *= 2;
  return std::min(delay, options_.retry_max);
}

}  // namespace mc
