#include "spool/spool_writer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "support/temp_dir.hpp"
#include "support/eventually.hpp"
#include "support/fake_clock.hpp"
#include "unit/spool/writer_test_metrics.hpp"
#include "support/record_batches.hpp"

namespace mc {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kT0 = 1'739'141'030 * kSecond;  // a 5 s window start

struct ClosedPart {
  PartName name;
  std::string content;
  PartNotes notes;
  int checkpoints_before = 0;  // gate checkpoints made before the part was handed on
  std::optional<PartStats> stats;
};

// Drops trade id 2 as a duplicate, notes a gap for every data part, and counts checkpoints.
class ScriptedGate final : public RecordGate {
 public:
  bool admit(const RecordMeta& record) override {
    if (record.trade_id == 2) return false;
    const std::lock_guard lock(mutex_);
    written_.push_back(record.trade_id);
    return true;
  }
  void unwritten(std::uint32_t /*route*/, std::string_view /*lines*/) override {}
  void tick() override {}
  PartNotes take_notes(std::uint32_t route) override {
    PartNotes notes;
    if (route == RouteTable::data_route(0)) notes.add_gap_seen({7, 9});
    return notes;
  }
  void checkpoint() override { checkpoints_.fetch_add(1); }

  int checkpoints() const { return checkpoints_.load(); }
  std::vector<std::int64_t> written() const {
    const std::lock_guard lock(mutex_);
    return written_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::int64_t> written_;
  std::atomic<int> checkpoints_{0};
};

std::string line(std::int64_t recv_us, std::string_view tag) {
  return "{\"recv_us\":" + std::to_string(recv_us) + ",\"tag\":\"" + std::string(tag) + "\"}\n";
}

class SpoolWriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<SpoolWriter> make() { return make(clock); }
  std::unique_ptr<SpoolWriter> make(const Clock& with_clock, std::size_t max_queued_bytes = kMaxQueuedBytes,
                                    ScriptedGate* gate = nullptr) {
    SpoolWriterSettings settings{{"raw/", "i-1", 1 << 20, 5}, seconds(1), max_queued_bytes, data_rot_secs};
    return std::make_unique<SpoolWriter>(
        layout, routes, settings, with_clock, metrics,
        [this, gate](const PartName& name, const SealJob& job) {
          Result<std::string> content = read_file(job.open_file);
          std::lock_guard lock(mutex_);
          closed_.push_back(
              {name, content ? *content : "<unreadable>", job.notes, gate ? gate->checkpoints() : 0, job.stats});
        },
        gate);
  }

  RecordBatch record(std::uint32_t route, std::int64_t recv_us, std::string_view tag) {
    return testing::one_record(route, recv_us, line(recv_us, tag));
  }

  // Waits (real time) until at least n parts were closed; returns what was closed by then.
  std::vector<ClosedPart> wait_for_closed(std::size_t n) {
    static_cast<void>(testing::eventually([&] { return closed().size() >= n; }));
    return closed();
  }

  // Waits until the writer's thread finished a turn that began after this call: it has read the
  // clock as it is now and done what that clock asks.
  static bool a_turn_saw_the_clock_now(const SpoolWriter& writer) {
    const std::uint64_t turns = writer.turns();
    return testing::eventually([&] { return writer.turns() >= turns + 2; });
  }

  std::vector<ClosedPart> closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  testing::TempDir dir;
  SpoolLayout layout{dir.path() / "spool"};
  RouteTable routes{{"BTCUSDT", "ETHUSDT"}};
  testing::FakeClock clock{kT0};
  testing::WriterTestMetrics metrics;
  std::map<std::string, std::uint32_t, std::less<>> data_rot_secs;  // ROT_SECS_OVERRIDES; empty: 5 s for all

 private:
  std::mutex mutex_;
  std::vector<ClosedPart> closed_;
};

const ClosedPart* find_symbol(const std::vector<ClosedPart>& parts, std::string_view symbol) {
  for (const ClosedPart& part : parts) {
    if (part.name.symbol == symbol) return &part;
  }
  return nullptr;
}

TEST_F(SpoolWriterTest, WritesRecordsAndClosesWindowsWhenTheClockPassesTheirEnd) {
  auto writer = make();
  RecordSink& sink = writer->sink();
  ASSERT_TRUE(testing::push(sink, record(routes.data_route(0), kT0 + 1, "btc-1")));
  ASSERT_TRUE(testing::push(sink, record(routes.data_route(1), kT0 + 2, "eth-1")));
  ASSERT_TRUE(testing::push(sink, record(routes.data_route(0), kT0 + 3, "btc-2")));

  ASSERT_TRUE(testing::eventually([&] { return metrics.bytes_written.load() > 0; }));
  ASSERT_TRUE(a_turn_saw_the_clock_now(*writer));
  EXPECT_TRUE(closed().empty());  // the window is still open on the fake clock

  clock.advance(seconds(5));
  const std::vector<ClosedPart> parts = wait_for_closed(2);
  ASSERT_EQ(parts.size(), 2u);
  const ClosedPart* btc = find_symbol(parts, "BTCUSDT");
  const ClosedPart* eth = find_symbol(parts, "ETHUSDT");
  ASSERT_TRUE(btc && eth);
  EXPECT_EQ(btc->content, line(kT0 + 1, "btc-1") + line(kT0 + 3, "btc-2"));
  EXPECT_EQ(eth->content, line(kT0 + 2, "eth-1"));
  EXPECT_EQ(btc->name.epoch_ms, kT0 / 1000);
  EXPECT_EQ(btc->name.kind, PartKind::kData);

  ASSERT_TRUE(testing::push(sink, record(routes.data_route(0), kT0 + 6 * kSecond, "btc-3")));
  writer->stop();
  const std::vector<ClosedPart> all = closed();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].content, line(kT0 + 6 * kSecond, "btc-3"));
  EXPECT_EQ(metrics.parts_opened.load(), 3u);
  EXPECT_EQ(metrics.records_dropped.load(), 0u);
}

// SYMBOL=ALL: a listing's records are written by writers added at run time, with its own window; a
// delisting closes its open part at once (reason "delisted"), before its window ends.
TEST_F(SpoolWriterTest, WritersComeWithAListingAndEndWithADelisting) {
  auto writer = make();
  writer->add_symbol("NEWUSDT", 60);
  ASSERT_TRUE(testing::push(writer->sink(), record(RouteTable::data_route(2), kT0 + 1, "new-1")));
  ASSERT_TRUE(testing::push(writer->sink(), record(RouteTable::quarantine_route(2), kT0 + 2, "new-bad")));
  ASSERT_TRUE(testing::push(writer->sink(), record(routes.data_route(0), kT0 + 3, "btc")));
  ASSERT_TRUE(testing::eventually([&] { return metrics.parts_opened.load() == 3; }));
  clock.advance(seconds(5));  // BTCUSDT's and the quarantine's 5 s windows end, not NEWUSDT's 60 s one
  ASSERT_EQ(wait_for_closed(2).size(), 2u);
  EXPECT_EQ(find_symbol(closed(), "BTCUSDT")->content, line(kT0 + 3, "btc"));

  writer->end_symbol(2);  // applied at the thread's next turn, within kMaxWriterSleep
  const std::vector<ClosedPart> parts = wait_for_closed(3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].name.symbol, "NEWUSDT");
  EXPECT_EQ(parts[2].name.kind, PartKind::kData);
  EXPECT_EQ(parts[2].content, line(kT0 + 1, "new-1"));
  EXPECT_EQ(metrics.records_dropped.load(), 0u);
}

// Parts closing in the same turn are synced together: a few with an fdatasync each, from
// kGroupSyncFiles on with one syncfs for all of them.
TEST_F(SpoolWriterTest, AFewPartsClosingTogetherAreSyncedOneByOne) {
  auto writer = make();
  ASSERT_TRUE(testing::push(writer->sink(), record(routes.data_route(0), kT0 + 1, "btc")));
  ASSERT_TRUE(testing::push(writer->sink(), record(routes.data_route(1), kT0 + 2, "eth")));
  clock.advance(seconds(5));
  ASSERT_EQ(wait_for_closed(2).size(), 2u);
  EXPECT_EQ(metrics.writer_fdatasyncs.load(), 2u);
  EXPECT_EQ(metrics.writer_syncfs.load(), 0u);
}

TEST_F(SpoolWriterTest, ManyPartsClosingTogetherAreMadeDurableWithOneSyncfs) {
  std::vector<std::string> symbols;
  for (std::size_t i = 0; i < kGroupSyncFiles + 2; ++i) symbols.push_back("SYM" + std::to_string(i) + "USDT");
  routes = RouteTable(symbols);
  auto writer = make();
  for (std::uint32_t i = 0; i < symbols.size(); ++i) {
    ASSERT_TRUE(testing::push(writer->sink(), record(routes.data_route(i), kT0 + 1 + i, symbols[i])));
  }
  clock.advance(seconds(5));
  const std::vector<ClosedPart> parts = wait_for_closed(symbols.size());
  ASSERT_EQ(parts.size(), symbols.size());
  for (std::uint32_t i = 0; i < symbols.size(); ++i) {
    const ClosedPart* part = find_symbol(parts, symbols[i]);
    ASSERT_NE(part, nullptr) << symbols[i];
    EXPECT_EQ(part->content, line(kT0 + 1 + i, symbols[i]));
  }
  EXPECT_EQ(metrics.writer_syncfs.load(), 1u);
  EXPECT_EQ(metrics.writer_fdatasyncs.load(), 0u);
  EXPECT_EQ(metrics.write_errors.load(), 0u);
}

TEST_F(SpoolWriterTest, TheGateDecidesWhatIsWrittenAndItsCheckpointPrecedesEveryHandOff) {
  ScriptedGate gate;
  auto writer = make(clock, kMaxQueuedBytes, &gate);
  RecordSink& sink = writer->sink();
  for (const std::int64_t id : {1, 2, 3}) {
    ASSERT_TRUE(testing::push(sink, testing::one_record(routes.data_route(0), kT0 + id, line(kT0 + id, "btc-" + std::to_string(id)), id)));
  }
  ASSERT_TRUE(testing::push(sink, testing::one_record(routes.data_route(1), kT0 + 5, line(kT0 + 5, "eth"), 50)));
  clock.advance(seconds(5));
  const std::vector<ClosedPart> parts = wait_for_closed(2);
  ASSERT_EQ(parts.size(), 2u);
  const ClosedPart* btc = find_symbol(parts, "BTCUSDT");
  const ClosedPart* eth = find_symbol(parts, "ETHUSDT");
  ASSERT_TRUE(btc && eth);
  EXPECT_EQ(btc->content, line(kT0 + 1, "btc-1") + line(kT0 + 3, "btc-3"));  // 2 was refused
  EXPECT_EQ(btc->notes.gaps_seen, (std::vector<IdRange>{{7, 9}}));
  EXPECT_TRUE(eth->notes.empty());
  EXPECT_GE(btc->checkpoints_before, 1);
  EXPECT_GE(eth->checkpoints_before, 1);
  writer->stop();
  EXPECT_EQ(gate.written(), (std::vector<std::int64_t>{1, 3, 50}));
}

// The writer counts a part's manifest numbers only from trades whose facts are what the line holds.
TEST_F(SpoolWriterTest, APartIsCountedOnlyWhenEveryTradeCameWithItsFactsAsStored) {
  auto writer = make();
  RecordSink& sink = writer->sink();
  const auto trade = [&](std::uint32_t route, std::int64_t id, bool as_stored) {
    const std::string text = "{\"recv_us\":" + std::to_string(kT0 + id) +
                             ",\"stream\":\"x@trade\",\"data\":{\"E\":" + std::to_string(1000 + id) +
                             ",\"t\":" + std::to_string(id) + "}}\n";
    RecordBatch batch;
    testing::add_record(batch, {.route = route, .recv_us = kT0 + id, .trade_id = id, .event_time_ms = 1000 + id,
               .facts_as_stored = as_stored},
              text);
    return testing::push(sink, std::move(batch));
  };
  ASSERT_TRUE(trade(routes.data_route(0), 1, true));
  ASSERT_TRUE(trade(routes.data_route(0), 2, true));
  ASSERT_TRUE(trade(routes.data_route(1), 3, true));
  ASSERT_TRUE(trade(routes.data_route(1), 4, false));
  clock.advance(seconds(5));
  const std::vector<ClosedPart> parts = wait_for_closed(2);
  const ClosedPart* btc = find_symbol(parts, "BTCUSDT");
  const ClosedPart* eth = find_symbol(parts, "ETHUSDT");
  ASSERT_TRUE(btc && eth);
  ASSERT_TRUE(btc->stats);
  EXPECT_EQ(btc->stats->record_count, 2u);
  EXPECT_EQ(btc->stats->id_first, 1);
  EXPECT_EQ(btc->stats->id_last, 2);
  EXPECT_EQ(btc->stats->time_max_ms, 1002);
  EXPECT_EQ(btc->stats->bytes, btc->content.size());
  EXPECT_FALSE(eth->stats);  // one trade without its facts: the sealer parses this part
}

TEST_F(SpoolWriterTest, HasRoomWhileTheFileSystemKeepsTheReserveFree) {
  SpoolWriterSettings settings{{"raw/", "i-1", 1 << 20, 5, 1}, seconds(1), kMaxQueuedBytes};
  EXPECT_TRUE(SpoolWriter(layout, routes, settings, clock, metrics, [](const PartName&, const SealJob&) {}).has_room());
  settings.rotation.min_free_bytes = std::uint64_t{1} << 62;  // more than any disk
  EXPECT_FALSE(SpoolWriter(layout, routes, settings, clock, metrics, [](const PartName&, const SealJob&) {}).has_room());
}

// The worst moment for a record to arrive: received just before the window end, pushed right as
// the writer thread reads a clock that has just passed that end. This clock pushes such a record
// from inside the writer's next clock read, so the race happens on every run.
class EdgeClock final : public Clock {
 public:
  explicit EdgeClock(std::int64_t system_us) : system_us_(system_us) {}
  std::int64_t system_now_us() const override {
    std::function<void()> hook;
    std::int64_t now = 0;
    {
      std::lock_guard lock(mutex_);
      hook = std::exchange(hook_, nullptr);
      now = system_us_;
    }
    if (hook) hook();  // the record is queued before the reader sees the new time
    return now;
  }
  std::chrono::steady_clock::time_point steady_now() const override { return {}; }

  void step_on_next_read(std::int64_t to_us, std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    system_us_ = to_us;
    hook_ = std::move(hook);
  }

 private:
  mutable std::mutex mutex_;
  std::int64_t system_us_;
  mutable std::function<void()> hook_;
};

TEST_F(SpoolWriterTest, ARecordQueuedBeforeTheWindowEndLandsInThatWindowsPart) {
  EdgeClock edge(kT0);
  auto writer = make(edge);
  RecordSink& sink = writer->sink();
  const std::int64_t end = kT0 + 5 * kSecond;
  ASSERT_TRUE(testing::push(sink, record(routes.data_route(0), end - 2, "first")));
  ASSERT_TRUE(testing::eventually([&] { return metrics.parts_opened.load() > 0; }));
  edge.step_on_next_read(end, [&] { EXPECT_TRUE(testing::push(sink, record(routes.data_route(0), end - 1, "last"))); });
  ASSERT_EQ(wait_for_closed(1).size(), 1u);
  writer->stop();
  const std::vector<ClosedPart> parts = closed();
  ASSERT_EQ(parts.size(), 1u);  // not a second part for the same window
  EXPECT_EQ(parts[0].content, line(end - 2, "first") + line(end - 1, "last"));
}

TEST_F(SpoolWriterTest, StopWritesWhatIsQueuedAndClosesEveryPart) {
  auto writer = make();
  RecordSink& sink = writer->sink();
  for (std::uint32_t route = 0; route < routes.routes().size(); ++route) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(testing::push(sink, record(route, kT0 + i, "r" + std::to_string(route))));
  }
  writer->stop();
  EXPECT_FALSE(testing::push(sink, record(0, kT0 + 10, "late")));
  const std::vector<ClosedPart> parts = closed();
  ASSERT_EQ(parts.size(), routes.routes().size());
  for (const ClosedPart& part : parts) {
    EXPECT_NE(part.content.find("\"tag\":\"r"), std::string::npos);
    EXPECT_EQ(std::count(part.content.begin(), part.content.end(), '\n'), 3);
  }
  const ClosedPart* unknown = find_symbol(parts, "UNKNOWN");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->name.kind, PartKind::kQuarantine);
  EXPECT_EQ(unknown->name.stream, "unknown");
  writer->stop();  // idempotent
  EXPECT_EQ(closed().size(), routes.routes().size());
}

TEST_F(SpoolWriterTest, RecordsForAnUnknownRouteAreCountedAsDropped) {
  auto writer = make();
  ASSERT_TRUE(testing::push(writer->sink(), record(99, kT0, "lost")));
  ASSERT_TRUE(testing::push(writer->sink(), record(0, kT0, "kept")));
  writer->stop();
  EXPECT_EQ(metrics.records_dropped.load(), 1u);
  const std::vector<ClosedPart> parts = closed();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].content, line(kT0, "kept"));
}

TEST_F(SpoolWriterTest, TheQueueBoundRefusesWhatDoesNotFit) {
  auto writer = make(clock, 1000);
  EXPECT_FALSE(testing::push(writer->sink(), record(0, kT0, std::string(2000, 'x'))));
  EXPECT_TRUE(testing::push(writer->sink(), record(0, kT0, "fits")));
  writer->stop();
  ASSERT_EQ(closed().size(), 1u);
  EXPECT_EQ(closed()[0].content, line(kT0, "fits"));
}

TEST_F(SpoolWriterTest, AQuietWindowCreatesNoPart) {
  auto writer = make();
  for (int i = 0; i < 4; ++i) {
    clock.advance(seconds(5));
    ASSERT_TRUE(a_turn_saw_the_clock_now(*writer));
  }
  writer->stop();
  EXPECT_TRUE(closed().empty());
  EXPECT_TRUE(fs::is_empty(layout.open_dir()));
}

std::vector<std::string> parts_of(const std::vector<ClosedPart>& parts, std::string_view symbol, PartKind kind) {
  std::vector<std::string> contents;
  for (const ClosedPart& part : parts) {
    if (part.name.symbol == symbol && part.name.kind == kind) contents.push_back(part.content);
  }
  return contents;
}

// ROT_SECS_OVERRIDES=ETHUSDT:60 with ROT_SECS=5. kT0 is hh:mm:50, so BTCUSDT's windows end at :55
// and :00, ETHUSDT's only at :00. The parts' contents show where each writer cut: had ETHUSDT rotated
// at :55, its :51 and :56 lines would be in two parts. Its quarantine keeps ROT_SECS.
TEST_F(SpoolWriterTest, EachSymbolRotatesAtTheUtcBoundariesOfItsOwnWindow) {
  data_rot_secs = {{"ETHUSDT", 60}};
  auto writer = make();
  RecordSink& sink = writer->sink();
  const std::int64_t eth_window_end = (kT0 / (60 * kSecond) + 1) * 60 * kSecond;
  ASSERT_EQ(eth_window_end, kT0 + 10 * kSecond);

  ASSERT_TRUE(testing::push(sink, record(routes.data_route(0), kT0 + 1, "btc-51")));
  ASSERT_TRUE(testing::push(sink, record(routes.data_route(1), kT0 + 1, "eth-51")));
  ASSERT_TRUE(testing::push(sink, record(routes.quarantine_route(1), kT0 + 1, "eth-quarantine")));
  clock.advance(seconds(5));  // :55, BTCUSDT's and the quarantine's window end
  ASSERT_EQ(wait_for_closed(2).size(), 2u);

  ASSERT_TRUE(testing::push(sink, record(routes.data_route(0), kT0 + 6 * kSecond, "btc-56")));
  ASSERT_TRUE(testing::push(sink, record(routes.data_route(1), kT0 + 6 * kSecond, "eth-56")));
  clock.advance(seconds(5));  // :00, the end of both
  ASSERT_EQ(wait_for_closed(4).size(), 4u);

  ASSERT_TRUE(testing::push(sink, record(routes.data_route(0), eth_window_end + 1, "btc-01")));
  ASSERT_TRUE(testing::push(sink, record(routes.data_route(1), eth_window_end + 1, "eth-01")));
  writer->stop();
  const std::vector<ClosedPart> all = closed();

  EXPECT_EQ(parts_of(all, "BTCUSDT", PartKind::kData),
            (std::vector<std::string>{line(kT0 + 1, "btc-51"), line(kT0 + 6 * kSecond, "btc-56"),
                                      line(eth_window_end + 1, "btc-01")}));
  EXPECT_EQ(parts_of(all, "ETHUSDT", PartKind::kData),
            (std::vector<std::string>{line(kT0 + 1, "eth-51") + line(kT0 + 6 * kSecond, "eth-56"),
                                      line(eth_window_end + 1, "eth-01")}));
  EXPECT_EQ(parts_of(all, "ETHUSDT", PartKind::kQuarantine),
            (std::vector<std::string>{line(kT0 + 1, "eth-quarantine")}));
}

}  // namespace
}  // namespace mc
