#include "spool/sealer_worker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "spool/rejected.hpp"
#include "support/temp_dir.hpp"
#include "support/fake_clock.hpp"
#include "unit/spool/spool_files.hpp"

namespace mc {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::part_name;
using testing::trade_line;
using testing::write_text;

class SealerWorkerTest : public testing::SpoolTest {
 protected:
  SealerWorkerTest() {
    options.retry_initial = 1s;
    options.retry_max = 4s;
    options.no_space_retry = 1s;
  }

  std::filesystem::path open_file(std::int64_t epoch_ms, const std::string& text = trade_line(1, 1, 1)) {
    return make_open(part_name(epoch_ms), text);
  }

  SealerWorker::OnSealed collect() {
    return [this](SealedPart part) {
      std::lock_guard lock(mutex);
      sealed.push_back(std::move(part));
    };
  }

  // Waits until a thread looked at the queue after this call and found nothing due. Each thread can
  // count one pass that read the clock before the call, so threads + 1 passes include a fresh one.
  bool a_pass_saw_the_clock_now(const SealerWorker& worker) const {
    const std::uint64_t passes = worker.idle_passes();
    return eventually([&] { return worker.idle_passes() >= passes + options.threads + 1; });
  }

  std::size_t sealed_count() {
    std::lock_guard lock(mutex);
    return sealed.size();
  }

  testing::FakeClock clock{1'739'141'040'000'000};
  SpoolMetrics metrics;
  SealerWorkerOptions options;
  std::mutex mutex;
  std::vector<SealedPart> sealed;
};

TEST_F(SealerWorkerTest, SealsWhatItIsGivenAndHandsItOn) {
  SealerWorker worker(layout, options, clock, metrics);
  worker.start(collect());
  const std::vector<std::int64_t> epochs{1739141034000, 1739141035000, 1739141036000};
  for (const std::int64_t epoch : epochs) ASSERT_TRUE(worker.enqueue({open_file(epoch)}));

  // A part is handed on before its open file is removed: wait for both.
  ASSERT_TRUE(eventually([&] {
    return sealed_count() == epochs.size() && std::ranges::none_of(epochs, [&](std::int64_t epoch) {
             return std::filesystem::exists(layout.open_file(part_name(epoch)));
           });
  }));
  std::lock_guard lock(mutex);
  // Several threads seal: the order they finish in is theirs.
  std::sort(sealed.begin(), sealed.end(),
            [](const SealedPart& a, const SealedPart& b) { return a.name.epoch_ms < b.name.epoch_ms; });
  for (std::size_t i = 0; i < epochs.size(); ++i) {
    EXPECT_EQ(sealed[i].name, part_name(epochs[i]));
    EXPECT_TRUE(std::filesystem::exists(sealed[i].part_file));
    EXPECT_TRUE(std::filesystem::exists(sealed[i].manifest_file));
    EXPECT_FALSE(std::filesystem::exists(layout.open_file(part_name(epochs[i]))));
  }
  EXPECT_EQ(metrics.parts_sealed.load(), 3u);
  EXPECT_EQ(metrics.seal_failures.load(), 0u);
}

TEST_F(SealerWorkerTest, AnEmptyOpenFileIsRemovedAndNotHandedOn) {
  SealerWorker worker(layout, options, clock, metrics);
  worker.start(collect());
  const std::filesystem::path empty = open_file(1739141034000, "");
  ASSERT_TRUE(worker.enqueue({empty}));
  ASSERT_TRUE(eventually([&] { return !std::filesystem::exists(empty); }));
  EXPECT_TRUE(worker.drain(clock.steady_now() + 10s));
  EXPECT_EQ(sealed_count(), 0u);
  EXPECT_EQ(metrics.parts_sealed.load(), 0u);
}

TEST_F(SealerWorkerTest, MovesABadNameToRejected) {
  SealerWorker worker(layout, options, clock, metrics);
  worker.start(collect());
  const std::filesystem::path bad = layout.open_dir() / "not-a-part.jsonl";
  write_text(bad, trade_line(1, 1, 1));
  ASSERT_TRUE(worker.enqueue({bad}));
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(rejected_dir(layout) / "not-a-part.jsonl"); }));
  EXPECT_FALSE(std::filesystem::exists(bad));
  EXPECT_EQ(metrics.seal_failures.load(), 1u);
  EXPECT_TRUE(worker.drain(clock.steady_now() + 10s));
  EXPECT_EQ(sealed_count(), 0u);
}

TEST_F(SealerWorkerTest, RetriesAFailureAfterTheBackoffOnTheInjectedClock) {
  std::filesystem::remove(layout.sealed_dir());  // every write fails until it is back
  SealerWorker worker(layout, options, clock, metrics);
  worker.start(collect());
  const std::filesystem::path path = open_file(1739141034000);
  ASSERT_TRUE(worker.enqueue({path}));
  ASSERT_TRUE(eventually([&] { return metrics.seal_failures.load() == 1; }));

  std::filesystem::create_directories(layout.sealed_dir());
  // Real time passes, the fake clock does not: the threads look at the file again and leave it.
  ASSERT_TRUE(a_pass_saw_the_clock_now(worker));
  EXPECT_EQ(sealed_count(), 0u);
  EXPECT_EQ(metrics.seal_failures.load(), 1u);

  clock.advance(options.retry_initial);
  ASSERT_TRUE(eventually([&] { return sealed_count() == 1; }));
  EXPECT_EQ(metrics.parts_sealed.load(), 1u);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(SealerWorkerTest, BackoffDoublesUpToItsCap) {
  std::filesystem::remove(layout.sealed_dir());
  SealerWorker worker(layout, options, clock, metrics);
  worker.start(collect());
  ASSERT_TRUE(worker.enqueue({open_file(1739141034000)}));
  // Failures at t=0, then after 1 s, 2 s, 4 s, 4 s (capped).
  const std::vector<std::chrono::seconds> waits{1s, 2s, 4s, 4s};
  std::uint64_t failures = 1;
  ASSERT_TRUE(eventually([&] { return metrics.seal_failures.load() == failures; }));
  for (const auto wait : waits) {
    clock.advance(wait - 1ms);
    ASSERT_TRUE(a_pass_saw_the_clock_now(worker));
    EXPECT_EQ(metrics.seal_failures.load(), failures) << "retried before " << wait.count() << " s";
    clock.advance(1ms);
    ++failures;
    ASSERT_TRUE(eventually([&] { return metrics.seal_failures.load() == failures; }));
  }
}

// A stuck sealer is an alarm, never a refusal: every file waits in the queue and is sealed once the
// sealer moves again, without a restart.
TEST_F(SealerWorkerTest, HoldsFilesBeyondItsBacklogAlarmAndSealsThemAll) {
  options.backlog_alarm = 2;
  std::mutex gate;
  std::unique_lock hold(gate);  // the first callback waits here, keeping its file in flight
  std::atomic<int> calls{0};
  SealerWorker worker(layout, options, clock, metrics);
  worker.start([&](SealedPart) {
    ++calls;
    std::lock_guard wait(gate);
  });
  ASSERT_TRUE(worker.enqueue({open_file(1739141034000)}));
  ASSERT_TRUE(eventually([&] { return calls.load() == 1; }));
  EXPECT_TRUE(worker.enqueue({open_file(1739141035000)}));
  EXPECT_TRUE(worker.enqueue({open_file(1739141036000)}));
  EXPECT_TRUE(worker.enqueue({open_file(1739141037000)}));
  EXPECT_EQ(worker.not_queued(), 0u);

  hold.unlock();
  EXPECT_TRUE(worker.drain(clock.steady_now() + 10s));
  EXPECT_EQ(calls.load(), 4);
  EXPECT_EQ(metrics.parts_sealed.load(), 4u);
}

// The uploader, built after the sealer, may ask for a seal before the threads run.
TEST_F(SealerWorkerTest, FilesQueuedBeforeStartAreSealedOnceItStarts) {
  SealerWorker worker(layout, options, clock, metrics);
  ASSERT_TRUE(worker.enqueue({open_file(1739141034000)}));
  ASSERT_TRUE(worker.enqueue({open_file(1739141035000)}));
  worker.start(collect());
  EXPECT_TRUE(worker.drain(clock.steady_now() + 10s));
  EXPECT_EQ(sealed_count(), 2u);
}

TEST_F(SealerWorkerTest, SealsOnSeveralThreadsAtOnce) {
  options.threads = 3;
  std::mutex gate;
  std::condition_variable opened;
  bool release = false;
  std::atomic<int> inside{0};
  SealerWorker worker(layout, options, clock, metrics);
  worker.start([&](SealedPart) {
    ++inside;
    std::unique_lock lock(gate);
    opened.wait_for(lock, 10s, [&] { return release; });
  });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(worker.enqueue({open_file(1739141034000 + i)}));
  // One thread would hold the first file in its callback and never reach the other two.
  EXPECT_TRUE(eventually([&] { return inside.load() == 3; }));
  {
    std::lock_guard lock(gate);
    release = true;
  }
  opened.notify_all();
  EXPECT_TRUE(worker.drain(clock.steady_now() + 10s));
  EXPECT_EQ(metrics.parts_sealed.load(), 3u);
}

TEST_F(SealerWorkerTest, DrainSealsEverythingQueuedThenRefusesMore) {
  SealerWorker worker(layout, options, clock, metrics);
  worker.start(collect());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(worker.enqueue({open_file(1739141034000 + i)}));
  EXPECT_TRUE(worker.drain(clock.steady_now() + 10s));
  EXPECT_EQ(sealed_count(), 20u);
  EXPECT_FALSE(worker.enqueue({open_file(1739141099000)}));
  EXPECT_EQ(worker.not_queued(), 1u);
}

TEST_F(SealerWorkerTest, DrainGivesUpAtTheDeadline) {
  std::filesystem::remove(layout.sealed_dir());
  SealerWorker worker(layout, options, clock, metrics);
  worker.start(collect());
  const std::filesystem::path path = open_file(1739141034000);
  ASSERT_TRUE(worker.enqueue({path}));
  ASSERT_TRUE(eventually([&] { return metrics.seal_failures.load() == 1; }));
  // The retry is due 1 s after the failure; the fake clock never gets there.
  EXPECT_FALSE(worker.drain(clock.steady_now()));
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(sealed_count(), 0u);
}

TEST_F(SealerWorkerTest, DestroyingWithoutDrainLeavesFilesInOpen) {
  std::filesystem::remove(layout.sealed_dir());
  const std::filesystem::path path = open_file(1739141034000);
  {
    SealerWorker worker(layout, options, clock, metrics);
    worker.start(collect());
    ASSERT_TRUE(worker.enqueue({path}));
    ASSERT_TRUE(eventually([&] { return metrics.seal_failures.load() == 1; }));
  }
  EXPECT_TRUE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace mc
