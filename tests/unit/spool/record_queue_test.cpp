#include "spool/record_queue.hpp"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace mc {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

Record record(std::uint32_t route, std::string line) { return {route, 1, std::move(line)}; }

steady_clock::time_point in(milliseconds ms) { return steady_clock::now() + ms; }

TEST(RecordQueueTest, RefusesWhatWouldExceedTheBoundAndCountsIt) {
  const std::size_t one = RecordQueue::cost(record(0, "0123456789\n"));
  RecordQueue queue(2 * one);
  EXPECT_TRUE(queue.push(record(0, "0123456789\n")));
  EXPECT_TRUE(queue.push(record(0, "abcdefghij\n")));
  Record third = record(0, "x\n");
  EXPECT_EQ(queue.queued_bytes(), 2 * one);
  EXPECT_FALSE(queue.push(record(0, "x\n")));
  EXPECT_EQ(queue.refused(), 1u);

  std::vector<Record> batch;
  ASSERT_TRUE(queue.pop_batch(batch, in(milliseconds(0))));
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].line, "0123456789\n");
  EXPECT_EQ(batch[1].line, "abcdefghij\n");
  EXPECT_EQ(queue.queued_bytes(), 0u);
  EXPECT_TRUE(queue.push(std::move(third)));  // room again once drained
}

TEST(RecordQueueTest, ARecordLargerThanTheBoundIsRefusedEvenWhenEmpty) {
  RecordQueue queue(64);
  EXPECT_FALSE(queue.push(record(0, std::string(100, 'x'))));
  EXPECT_EQ(queue.refused(), 1u);
  EXPECT_EQ(kMaxQueuedBytes, std::size_t{256} * 1024 * 1024);
}

TEST(RecordQueueTest, ClosedQueueRefusesPushesButHandsOutWhatIsLeft) {
  RecordQueue queue;
  ASSERT_TRUE(queue.push(record(1, "a\n")));
  queue.close();
  EXPECT_FALSE(queue.push(record(1, "b\n")));
  EXPECT_EQ(queue.refused(), 1u);

  std::vector<Record> batch;
  EXPECT_TRUE(queue.pop_batch(batch, in(milliseconds(1000))));
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].route, 1u);
  EXPECT_FALSE(queue.pop_batch(batch, in(milliseconds(1000))));
  EXPECT_TRUE(batch.empty());
}

TEST(RecordQueueTest, PopReturnsEmptyAtTheDeadline) {
  RecordQueue queue;
  std::vector<Record> batch{record(0, "stale\n")};
  const auto start = steady_clock::now();
  EXPECT_TRUE(queue.pop_batch(batch, start + milliseconds(30)));
  EXPECT_GE(steady_clock::now() - start, milliseconds(30));
  EXPECT_TRUE(batch.empty());
}

TEST(RecordQueueTest, PushWakesAWaitingConsumer) {
  RecordQueue queue;
  std::jthread producer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    EXPECT_TRUE(queue.push(record(0, "a\n")));
  });
  std::vector<Record> batch;
  const auto start = steady_clock::now();
  EXPECT_TRUE(queue.pop_batch(batch, start + std::chrono::seconds(30)));
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(batch.size(), 1u);
}

TEST(RecordQueueTest, CloseWakesAWaitingConsumer) {
  RecordQueue queue;
  std::jthread closer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    queue.close();
  });
  std::vector<Record> batch;
  const auto start = steady_clock::now();
  EXPECT_FALSE(queue.pop_batch(batch, start + std::chrono::seconds(30)));
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(RecordQueueTest, ManyProducersLoseNothingAndKeepEachProducersOrder) {
  constexpr int kProducers = 3;
  constexpr int kPerProducer = 20000;
  RecordQueue queue;
  {
    std::vector<std::jthread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&queue, p] {
        for (int i = 0; i < kPerProducer; ++i) {
          while (!queue.push(record(static_cast<std::uint32_t>(p), std::to_string(i)))) std::this_thread::yield();
        }
      });
    }
    std::vector<int> next(kProducers, 0);
    std::vector<Record> batch;
    int received = 0;
    while (received < kProducers * kPerProducer) {
      ASSERT_TRUE(queue.pop_batch(batch, in(milliseconds(100))));
      for (const Record& r : batch) {
        ASSERT_EQ(r.line, std::to_string(next[r.route]));
        ++next[r.route];
        ++received;
      }
    }
  }
  EXPECT_EQ(queue.refused(), 0u);
}

}  // namespace
}  // namespace mc
