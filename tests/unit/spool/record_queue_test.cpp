#include "spool/record_queue.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/record_batches.hpp"

namespace mc {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

RecordBatch record(std::uint32_t route, std::string_view line) { return testing::one_record(route, 1, line); }

// The lines of popped batches, in order.
std::vector<std::string> lines_of(const std::vector<RecordBatch>& batches) {
  std::vector<std::string> lines;
  for (const RecordBatch& batch : batches) {
    batch.for_each([&](const RecordMeta&, std::string_view line) { lines.emplace_back(line); });
  }
  return lines;
}

std::size_t records_in(const std::vector<RecordBatch>& batches) {
  std::size_t records = 0;
  for (const RecordBatch& batch : batches) records += batch.records.size();
  return records;
}

steady_clock::time_point in(milliseconds ms) { return steady_clock::now() + ms; }

TEST(RecordQueueTest, RefusesWhatWouldExceedTheBoundAndCountsIt) {
  const std::size_t one = RecordQueue::cost(record(0, "0123456789\n"));
  RecordQueue queue(2 * one);
  EXPECT_TRUE(testing::push(queue, record(0, "0123456789\n")));
  EXPECT_TRUE(testing::push(queue, record(0, "abcdefghij\n")));
  RecordBatch third = record(0, "x\n");
  EXPECT_EQ(queue.queued_bytes(), 2 * one);
  EXPECT_FALSE(queue.push(third));
  EXPECT_EQ(queue.refused(), 1u);
  EXPECT_EQ(third.records.size(), 1u);  // a refused batch is left as it was

  std::vector<RecordBatch> batches;
  ASSERT_TRUE(queue.pop(batches, in(milliseconds(0))));
  EXPECT_EQ(lines_of(batches), (std::vector<std::string>{"0123456789\n", "abcdefghij\n"}));
  EXPECT_EQ(queue.queued_bytes(), 0u);
  EXPECT_TRUE(queue.push(third));  // room again once drained
  EXPECT_TRUE(third.empty());      // a taken batch is left empty
}

// A pushed batch is taken without a copy, and the producer refills a drained batch's buffer.
TEST(RecordQueueTest, DrainedBatchesComeBackToProducersAsSpares) {
  RecordQueue queue;
  RecordBatch batch = record(0, std::string(100'000, 'x'));
  const char* first_buffer = batch.lines.data();
  ASSERT_TRUE(queue.push(batch));
  EXPECT_TRUE(batch.empty());
  std::vector<RecordBatch> batches;
  ASSERT_TRUE(queue.pop(batches, in(milliseconds(0))));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].lines.data(), first_buffer);  // moved, not copied
  EXPECT_TRUE(queue.pop(batches, in(milliseconds(0))));  // hands the written batch back
  EXPECT_TRUE(batches.empty());
  RecordBatch next = record(0, "b\n");
  ASSERT_TRUE(queue.push(next));
  EXPECT_EQ(next.lines.data(), first_buffer);  // the spare, with its capacity
  EXPECT_GE(next.lines.capacity(), 100'000u);
  EXPECT_TRUE(next.empty());
}

TEST(RecordQueueTest, ARecordLargerThanTheBoundIsRefusedEvenWhenEmpty) {
  RecordQueue queue(64);
  EXPECT_FALSE(testing::push(queue, record(0, std::string(100, 'x'))));
  EXPECT_EQ(queue.refused(), 1u);
  EXPECT_EQ(kMaxQueuedBytes, std::size_t{256} * 1024 * 1024);
}

TEST(RecordQueueTest, ClosedQueueRefusesPushesButHandsOutWhatIsLeft) {
  RecordQueue queue;
  ASSERT_TRUE(testing::push(queue, record(1, "a\n")));
  queue.close();
  EXPECT_FALSE(testing::push(queue, record(1, "b\n")));
  EXPECT_EQ(queue.refused(), 1u);

  std::vector<RecordBatch> batches;
  EXPECT_TRUE(queue.pop(batches, in(milliseconds(1000))));
  ASSERT_EQ(records_in(batches), 1u);
  EXPECT_EQ(batches[0].records[0].route, 1u);
  EXPECT_FALSE(queue.pop(batches, in(milliseconds(1000))));
  EXPECT_TRUE(batches.empty());
}

TEST(RecordQueueTest, PopReturnsEmptyAtTheDeadline) {
  RecordQueue queue;
  std::vector<RecordBatch> batches;
  batches.push_back(record(0, "stale\n"));
  const auto start = steady_clock::now();
  EXPECT_TRUE(queue.pop(batches, start + milliseconds(30)));
  EXPECT_GE(steady_clock::now() - start, milliseconds(30));
  EXPECT_TRUE(batches.empty());
}

TEST(RecordQueueTest, PushWakesAWaitingConsumer) {
  RecordQueue queue;
  std::jthread producer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    EXPECT_TRUE(testing::push(queue, record(0, "a\n")));
  });
  std::vector<RecordBatch> batches;
  const auto start = steady_clock::now();
  EXPECT_TRUE(queue.pop(batches, start + std::chrono::seconds(30)));
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(records_in(batches), 1u);
}

TEST(RecordQueueTest, CloseWakesAWaitingConsumer) {
  RecordQueue queue;
  std::jthread closer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    queue.close();
  });
  std::vector<RecordBatch> batches;
  const auto start = steady_clock::now();
  EXPECT_FALSE(queue.pop(batches, start + std::chrono::seconds(30)));
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(RecordQueueTest, ManyProducersLoseNothingAndKeepEachProducersOrder) {
  constexpr int kProducers = 3;
  static constexpr int kPerProducer = 20000;
  RecordQueue queue;
  {
    std::vector<std::jthread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&queue, p] {
        // Batches of one to three records, so both the swap into an empty queue and the append to
        // a waiting batch are exercised.
        for (int i = 0; i < kPerProducer;) {
          RecordBatch batch;
          for (const int end = std::min(kPerProducer, i + 1 + i % 3); i < end; ++i) {
            testing::add_record(batch, {.route = static_cast<std::uint32_t>(p)}, std::to_string(i));
          }
          while (!queue.push(batch)) std::this_thread::yield();
          EXPECT_TRUE(batch.empty());
        }
      });
    }
    std::vector<int> next(kProducers, 0);
    std::vector<RecordBatch> batches;
    int received = 0;
    while (received < kProducers * kPerProducer) {
      ASSERT_TRUE(queue.pop(batches, in(milliseconds(100))));
      for (const RecordBatch& batch : batches) {
        batch.for_each([&](const RecordMeta& r, std::string_view line) {
          ASSERT_EQ(line, std::to_string(next[r.route]) + "\n");
          ++next[r.route];
          ++received;
        });
      }
    }
  }
  EXPECT_EQ(queue.refused(), 0u);
}

}  // namespace
}  // namespace mc
