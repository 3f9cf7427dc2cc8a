#include "spool/uploader.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/sha256.hpp"
#include "unit/spool/flaky_store.hpp"
#include "unit/spool/spool_files.hpp"
#include "spool/sealer.hpp"
#include "store/local_store.hpp"
#include "spool/stored_marks.hpp"
#include "support/eventually.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::eventually;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Short real delays keep the tests fast; jitter off makes them exact lower bounds.
constexpr RetryPolicy kFastPolicy{.quick_tries = 3, .quick_initial = 10ms, .max_delay = 40ms, .jitter = 0.0};

class UploaderTest : public ::testing::Test {
 protected:
  UploaderTest() { fs::create_directories(spool.sealed_dir()); }

  SealedPart write_part(std::int64_t epoch_ms, const std::string& body) {
    const PartName name{.prefix = "raw/", .stream = "trade", .symbol = "BTCUSDT", .instance_id = "i-test",
                        .epoch_ms = epoch_ms};
    SealedPart part = spool.sealed(name);
    EXPECT_TRUE(write_file_atomic(part.part_file, body));
    bodies_[part.name.part_key()] = body;
    // The manifest vouches for these bytes, as the sealer's does.
    manifests_[part.name.part_key()] = R"({"version":"1","payload":{"s3_key":")" + part.name.part_key() +
                                       R"(","sha256":")" + *sha256_hex(body) + R"("},"created_at_ms":1})" + "\n";
    EXPECT_TRUE(write_file_atomic(part.manifest_file, manifest_of(part)));
    return part;
  }
  const std::string& manifest_of(const SealedPart& part) const { return manifests_.at(part.name.part_key()); }
  Result<std::string> read_file_from(const SealedPart& part) const { return bodies_.at(part.name.part_key()); }
  // Changes one byte in place (same inode, same size), as a failing disk would.
  static void flip_byte(const fs::path& file, std::size_t at) {
    std::string bytes = *read_file(file);
    bytes[at] = static_cast<char>(bytes[at] ^ 0x20);
    const int fd = ::open(file.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes.data() + at, 1, static_cast<off_t>(at)), 1);
    ::close(fd);
  }
  std::vector<std::string> spool_files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(spool.sealed_dir())) names.push_back(entry.path().filename());
    return names;
  }
  std::string stored(const std::string& key) const {
    const Result<std::string> bytes = read_file(local.path_of(key));
    return bytes ? *bytes : "<missing: " + bytes.status().message() + ">";
  }

  testing::TempDir dir;
  SpoolLayout spool{dir.path() / "spool"};
  LocalStore local{dir.path() / "store"};
  testing::FlakyStore flaky{local, spool.sealed_dir()};
  SystemClock clock;
  UploadMetrics metrics;
  std::map<std::string, std::string> manifests_;  // by part key
  std::map<std::string, std::string> bodies_;     // by part key
};

// Sets the process's log level and keeps every message of the loggers made while it lives
// (make_logger clones the default logger, sinks included). Restores text at info when it dies.
class CapturedLog {
 public:
  explicit CapturedLog(std::string_view level = "info") : sink_(std::make_shared<Sink>()) {
    EXPECT_TRUE(init_logging(level, LogFormat::kText));
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~CapturedLog() { init_logging("info", LogFormat::kText); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::size_t count(std::string_view needle) const { return sink_->count(needle); }

 private:
  class Sink final : public spdlog::sinks::base_sink<std::mutex> {
   public:
    std::size_t count(std::string_view needle) {
      std::lock_guard lock(mutex_);
      return static_cast<std::size_t>(
          std::ranges::count_if(lines_, [&](const std::string& line) { return line.find(needle) != line.npos; }));
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      lines_.emplace_back(msg.payload.data(), msg.payload.size());
    }
    void flush_() override {}

   private:
    std::vector<std::string> lines_;
  };

  std::shared_ptr<Sink> sink_;
};

TEST_F(UploaderTest, UploadsEveryPartAndManifestThenEmptiesTheSpool) {
  std::vector<SealedPart> parts;
  std::uint64_t bytes = 0;
  for (int i = 0; i < 5; ++i) {
    parts.push_back(write_part(1'739'141'034'000 + i, "gzip-bytes-" + std::to_string(i)));
    bytes += 12 + manifest_of(parts.back()).size();
  }
  Uploader uploader(flaky, spool, {.threads = 2, .retry = kFastPolicy}, clock, metrics);
  for (const SealedPart& part : parts) uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(stored(parts[i].name.part_key()), "gzip-bytes-" + std::to_string(i));
    EXPECT_EQ(stored(parts[i].name.manifest_key()), manifest_of(parts[i]));
  }
  for (const auto& [key, count] : flaky.stored_counts()) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(flaky.stored_counts().size(), 10u);
  EXPECT_TRUE(spool_files().empty());
  EXPECT_EQ(metrics.uploads_ok.load(), 5u);
  EXPECT_EQ(metrics.bytes_uploaded.load(), bytes);
  EXPECT_EQ(metrics.upload_failures.load(), 0u);
  // The writer's stored mark is the newest part, so a later run cannot reuse any of these names.
  EXPECT_EQ(read_stored_mark(parts.back().stored_mark), parts.back().name.epoch_ms);
}

TEST_F(UploaderTest, ManifestIsPutOnlyAfterItsPartAndFilesStayUntilBothAreStored) {
  const SealedPart a = write_part(1'739'141'034'000, "a");
  const SealedPart b = write_part(1'739'141'035'000, "b");
  flaky.fail_next(2);  // also exercises the order across retries
  Uploader uploader(flaky, spool, {.threads = 2, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(a);
  uploader.enqueue(b);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  const std::vector<testing::FlakyStore::Put> puts = flaky.puts();
  for (const SealedPart& part : {a, b}) {
    const std::string part_file = part.part_file.filename();
    const std::string manifest_file = part.manifest_file.filename();
    bool part_stored = false;
    for (const auto& put : puts) {
      if (put.key == part.name.manifest_key()) {
        EXPECT_TRUE(part_stored) << "manifest put before its part";
      }
      if (put.key == part.name.part_key()) part_stored = part_stored || put.ok;
      if (put.key == part.name.part_key() || put.key == part.name.manifest_key()) {
        EXPECT_TRUE(std::ranges::count(put.spool_files, part_file) == 1) << put.key << ": part file already gone";
        EXPECT_TRUE(std::ranges::count(put.spool_files, manifest_file) == 1) << put.key << ": manifest already gone";
      }
    }
    EXPECT_TRUE(part_stored);
  }
  EXPECT_TRUE(spool_files().empty());
}

// Reads the names of the files deleted from a directory, in order.
class DeletionWatch {
 public:
  explicit DeletionWatch(const fs::path& dir) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ >= 0 && ::inotify_add_watch(fd_, dir.c_str(), IN_DELETE) < 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~DeletionWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  DeletionWatch(const DeletionWatch&) = delete;
  DeletionWatch& operator=(const DeletionWatch&) = delete;
  bool ok() const { return fd_ >= 0; }

  std::vector<std::string> deleted() {
    alignas(inotify_event) char buffer[1 << 16];
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      if (event->len > 0) names_.emplace_back(event->name);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
    return names_;
  }

 private:
  int fd_;
  std::vector<std::string> names_;
};

TEST_F(UploaderTest, DeletesThePartFileBeforeTheManifest) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  DeletionWatch watch(spool.sealed_dir());
  ASSERT_TRUE(watch.ok());
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  const std::vector<std::string> expected{part.part_file.filename(), part.manifest_file.filename()};
  EXPECT_EQ(watch.deleted(), expected);
}

class UploaderGroupTest : public UploaderTest {
 protected:
  // The first part goes alone; the next `count` are due together behind it.
  std::vector<SealedPart> queue_group(Uploader& uploader, int count) {
    flaky.hold(true);
    uploader.enqueue(write_part(1'739'141'030'000, "alone"));
    EXPECT_TRUE(eventually([&] { return flaky.puts().size() == 1; }));
    std::vector<SealedPart> group;
    group.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      group.push_back(write_part(1'739'141'034'000 + 1000LL * i, "gz-" + std::to_string(i)));
      uploader.enqueue(group.back());
    }
    return group;
  }
  // The store's events after the lone part's two puts.
  std::vector<std::string> group_events() const {
    std::vector<std::string> events = flaky.events();
    events.erase(events.begin(), events.begin() + std::min<std::ptrdiff_t>(2, std::ssize(events)));
    return events;
  }
};

TEST_F(UploaderGroupTest, PartsDueTogetherArePutThenSyncedOnceBeforeTheirManifests) {
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  const std::vector<SealedPart> group = queue_group(uploader, 8);
  DeletionWatch watch(spool.sealed_dir());
  ASSERT_TRUE(watch.ok());
  flaky.hold(false);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  std::vector<std::string> expected;
  expected.reserve(2 * group.size() + 2);
  for (const SealedPart& part : group) expected.push_back("put " + part.name.part_key());
  expected.emplace_back("sync");
  for (const SealedPart& part : group) expected.push_back("put " + part.name.manifest_key());
  expected.emplace_back("sync");
  EXPECT_EQ(group_events(), expected);
  // A part alone keeps the store's own flush per object; the group's puts wait for the sync.
  const std::vector<testing::FlakyStore::Put> puts = flaky.puts();
  ASSERT_EQ(puts.size(), 18u);
  EXPECT_FALSE(puts[0].deferred);
  for (std::size_t i = 2; i < puts.size(); ++i) EXPECT_TRUE(puts[i].deferred) << puts[i].key;

  for (std::size_t i = 0; i < group.size(); ++i) {
    EXPECT_EQ(stored(group[i].name.part_key()), "gz-" + std::to_string(i));
    EXPECT_EQ(stored(group[i].name.manifest_key()), manifest_of(group[i]));
  }
  EXPECT_TRUE(spool_files().empty());
  EXPECT_EQ(read_stored_mark(group.back().stored_mark), group.back().name.epoch_ms);
  // Every part file of the group is gone before any of its manifests.
  const std::vector<std::string> deleted = watch.deleted();
  ASSERT_EQ(deleted.size(), 2 * group.size() + 2);
  std::size_t last_part = 0;
  std::size_t first_manifest = deleted.size();
  for (std::size_t i = 0; i < deleted.size(); ++i) {
    for (const SealedPart& part : group) {
      if (deleted[i] == part.part_file.filename()) last_part = std::max(last_part, i);
      if (deleted[i] == part.manifest_file.filename()) first_manifest = std::min(first_manifest, i);
    }
  }
  EXPECT_LT(last_part, first_manifest);
}

TEST_F(UploaderGroupTest, AFailedSyncKeepsTheGroupInTheSpoolAndRetriesEveryPart) {
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  const std::vector<SealedPart> group = queue_group(uploader, 4);
  flaky.fail_next_syncs(1);
  flaky.hold(false);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  const std::vector<std::string> events = group_events();
  // The failed sync came before any manifest: no manifest was put for a part not known durable.
  const auto first_sync = std::ranges::find(events, "sync");
  ASSERT_NE(first_sync, events.end());
  for (auto it = events.begin(); it != first_sync; ++it) EXPECT_EQ(it->find("/manifest-"), std::string::npos) << *it;
  EXPECT_EQ(metrics.upload_failures.load(), group.size());
  for (std::size_t i = 0; i < group.size(); ++i) {
    EXPECT_EQ(stored(group[i].name.part_key()), "gz-" + std::to_string(i));
    EXPECT_EQ(stored(group[i].name.manifest_key()), manifest_of(group[i]));
  }
  EXPECT_TRUE(spool_files().empty());
}

TEST_F(UploaderGroupTest, OnePartFailingInAGroupIsRetriedAloneAndTheOthersAreStored) {
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  const std::vector<SealedPart> group = queue_group(uploader, 4);
  flaky.fail_key(group.front().name.part_key());
  flaky.hold(false);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  EXPECT_EQ(metrics.upload_failures.load(), 1u);
  EXPECT_EQ(metrics.uploads_ok.load(), group.size() + 1);
  for (const auto& [key, count] : flaky.stored_counts()) EXPECT_EQ(count, 1) << key;
  EXPECT_TRUE(spool_files().empty());
  // The failed part came last, alone: its manifest follows the others' sync.
  const std::vector<std::string> events = group_events();
  EXPECT_EQ(events.back(), "put " + group.front().name.manifest_key());
}

TEST_F(UploaderTest, RetriesWithExponentialDelays) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  flaky.fail_next(4);
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  const auto tries = flaky.puts_of(part.name.part_key());
  ASSERT_EQ(tries.size(), 5u);
  const std::vector<milliseconds> expected{10ms, 20ms, 40ms, 40ms};  // doubling, capped at max_delay
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_GE(tries[i + 1].at - tries[i].at, expected[i]) << "try " << i + 2;
  }
  EXPECT_EQ(metrics.upload_failures.load(), 4u);
  EXPECT_EQ(metrics.uploads_ok.load(), 1u);
  EXPECT_EQ(flaky.stored_counts()[part.name.part_key()], 1);
}

// The gauge an operator's "nothing stored for N minutes" alert reads: set by a stored pair, on the
// wall clock, and not by the failed tries before it.
TEST_F(UploaderTest, TheLastUploadTimeIsTheWallClockOfTheLastStoredPair) {
  const testing::FixedWallClock wall(1'739'141'040'123'456);
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  flaky.fail_next(2);
  EXPECT_EQ(metrics.last_upload_unix_seconds.load(), 0);
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, wall, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  EXPECT_EQ(metrics.upload_failures.load(), 2u);
  EXPECT_EQ(metrics.last_upload_unix_seconds.load(), 1'739'141'040);
}

TEST(RetryDelay, DoublesFromTheQuickDelayUpToTheCap) {
  const RetryPolicy policy{.quick_tries = 3, .quick_initial = 200ms, .max_delay = 60s, .jitter = 0.0};
  std::vector<milliseconds> delays;
  for (int failures = 1; failures <= 11; ++failures) {
    delays.push_back(retry_delay(policy, failures, ErrorKind::kRetryable, 0.5));
  }
  const std::vector<milliseconds> expected{200ms,   400ms,    800ms,    1600ms,   3200ms, 6400ms,
                                           12800ms, 25600ms,  51200ms,  60000ms,  60000ms};
  EXPECT_EQ(delays, expected);
  EXPECT_EQ(retry_delay(policy, 1'000'000, ErrorKind::kNoSpace, 0.5), 60s);
}

TEST(RetryDelay, FatalErrorsWaitTheLongDelay) {
  const RetryPolicy policy{.quick_tries = 3, .quick_initial = 200ms, .max_delay = 60s, .jitter = 0.0};
  EXPECT_EQ(retry_delay(policy, 1, ErrorKind::kFatal, 0.0), 60s);
}

TEST(RetryDelay, JitterOnlyShortensTheDelay) {
  const RetryPolicy policy{.quick_tries = 3, .quick_initial = 1000ms, .max_delay = 60s, .jitter = 0.2};
  EXPECT_EQ(retry_delay(policy, 1, ErrorKind::kRetryable, 0.0), 1000ms);
  EXPECT_EQ(retry_delay(policy, 1, ErrorKind::kRetryable, 0.5), 900ms);
  EXPECT_GT(retry_delay(policy, 1, ErrorKind::kRetryable, 0.9999), 800ms);
  EXPECT_EQ(retry_delay(policy, 20, ErrorKind::kRetryable, 0.5), 54s);
}

TEST_F(UploaderTest, FatalErrorIsRetriedAfterTheLongDelay) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  flaky.fail_next(1, ErrorKind::kFatal);
  const RetryPolicy policy{.quick_tries = 3, .quick_initial = 1ms, .max_delay = 60ms, .jitter = 0.0};
  Uploader uploader(flaky, spool, {.threads = 1, .retry = policy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  const auto tries = flaky.puts_of(part.name.part_key());
  ASSERT_EQ(tries.size(), 2u);
  EXPECT_GE(tries[1].at - tries[0].at, 60ms);
  EXPECT_TRUE(spool_files().empty());
}

TEST_F(UploaderTest, ManifestFailuresRetryTheManifestOnly) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  flaky.fail_next_manifests(3);
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  EXPECT_EQ(flaky.puts_of(part.name.part_key()).size(), 1u);
  const auto manifest_tries = flaky.puts_of(part.name.manifest_key());
  ASSERT_EQ(manifest_tries.size(), 4u);
  for (const auto& put : manifest_tries) EXPECT_EQ(put.spool_files.size(), 2u) << "spool emptied before both puts";
  EXPECT_EQ(stored(part.name.manifest_key()), manifest_of(part));
  EXPECT_EQ(metrics.upload_failures.load(), 3u);
  EXPECT_TRUE(spool_files().empty());
}

TEST_F(UploaderTest, OutageThenRecoveryUploadsEverythingOnce) {
  std::vector<SealedPart> parts;
  for (int i = 0; i < 6; ++i) parts.push_back(write_part(1'739'141'034'000 + i * 1000, "p" + std::to_string(i)));
  flaky.set_down(true);
  Uploader uploader(flaky, spool, {.threads = 2, .retry = kFastPolicy}, clock, metrics);
  for (const SealedPart& part : parts) uploader.enqueue(part);
  // The outage: several tries per part fail.
  ASSERT_TRUE(eventually([&] { return metrics.upload_failures.load() >= 6u * 2; }));
  EXPECT_EQ(spool_files().size(), 12u);
  EXPECT_FALSE(fs::exists(local.root()));

  flaky.set_down(false);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  for (const SealedPart& part : parts) {
    EXPECT_EQ(flaky.stored_counts()[part.name.part_key()], 1);
    EXPECT_EQ(flaky.stored_counts()[part.name.manifest_key()], 1);
  }
  EXPECT_TRUE(spool_files().empty());
  EXPECT_EQ(metrics.uploads_ok.load(), 6u);
}

TEST_F(UploaderTest, DrainGivesUpAtTheDeadlineWhileTheStoreIsDown) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  flaky.set_down(true);
  Uploader uploader(flaky, spool, {.threads = 2, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  const auto start = steady_clock::now();
  EXPECT_FALSE(uploader.drain(start + 150ms));
  const auto waited = steady_clock::now() - start;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 2s);
  EXPECT_EQ(spool_files().size(), 2u);
  EXPECT_GE(flaky.puts().size(), 2u);

  flaky.set_down(false);
  EXPECT_TRUE(uploader.drain(steady_clock::now() + 5s));
}

TEST_F(UploaderTest, StopIsPromptDuringALongBackoffAndLeavesTheSpool) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  flaky.set_down(true);
  const RetryPolicy slow{.quick_tries = 3, .quick_initial = 30s, .max_delay = 60s, .jitter = 0.0};
  Uploader uploader(flaky, spool, {.threads = 3, .retry = slow}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(eventually([&] { return metrics.upload_failures.load() == 1; }));
  const auto start = steady_clock::now();
  uploader.stop();
  EXPECT_LT(steady_clock::now() - start, 500ms);
  EXPECT_EQ(spool_files().size(), 2u);
  EXPECT_FALSE(uploader.drain(steady_clock::now() + 1s));  // nothing can progress after stop
}

TEST_F(UploaderTest, VanishedPartIsDroppedAndOthersStillUpload) {
  const SealedPart gone = spool.sealed(PartName{.prefix = "raw/", .stream = "trade", .symbol = "BTCUSDT",
                                                .instance_id = "i-test", .epoch_ms = 1'739'141'000'000});
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(gone);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  EXPECT_TRUE(flaky.puts_of(gone.name.part_key()).empty());
  EXPECT_TRUE(flaky.puts_of(gone.name.manifest_key()).empty());
  EXPECT_EQ(stored(part.name.part_key()), "gz");
  EXPECT_EQ(metrics.upload_failures.load(), 0u);
}

TEST_F(UploaderTest, PartWithoutManifestIsNotUploaded) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  ASSERT_TRUE(remove_file(part.manifest_file));
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  EXPECT_TRUE(flaky.puts().empty());
  EXPECT_TRUE(fs::exists(part.part_file)) << "left for recovery to deal with";
}

TEST_F(UploaderTest, APartEnqueuedTwiceIsUploadedOnce) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  flaky.hold(true);
  Uploader uploader(flaky, spool, {.threads = 2, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(eventually([&] { return flaky.puts().size() == 1; }));
  uploader.enqueue(part);  // e.g. a recovery scan while the first upload is in flight
  // Had the second been queued, a free thread would PUT it as well before the drain below ends.
  flaky.hold(false);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  EXPECT_EQ(flaky.puts_of(part.name.part_key()).size(), 1u);
  EXPECT_EQ(flaky.puts_of(part.name.manifest_key()).size(), 1u);
}

// The queue's bound reached during an outage: the refused parts wait in sealed/ and are taken back
// as the queue drains, with no restart and no second enqueue.
TEST_F(UploaderTest, PartsTheFullQueueRefusedAreStoredAfterTheOutageWithoutARestart) {
  constexpr int kParts = 12;
  std::vector<SealedPart> parts;
  parts.reserve(kParts);
  for (int i = 0; i < kParts; ++i) parts.push_back(write_part(1'739'141'034'000 + i, "part " + std::to_string(i)));
  CapturedLog log;
  flaky.set_down(true);
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy, .max_queued_parts = 3}, clock, metrics);
  for (const SealedPart& part : parts) uploader.enqueue(part);
  EXPECT_GE(uploader.refused(), 6u);  // 3 queued, and at most as many in flight (one group)
  EXPECT_EQ(metrics.upload_queue_refused.load(), uploader.refused());
  EXPECT_EQ(log.count("upload queue full"), 1u);
  ASSERT_TRUE(eventually([&] { return metrics.upload_failures.load() >= 6; }));

  flaky.set_down(false);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  for (const SealedPart& part : parts) {
    EXPECT_EQ(stored(part.name.part_key()), *read_file_from(part)) << part.name.part_key();
    EXPECT_EQ(stored(part.name.manifest_key()), manifest_of(part));
  }
  EXPECT_EQ(metrics.uploads_ok.load(), parts.size());
  EXPECT_TRUE(spool_files().empty());
  EXPECT_GE(log.count("took back parts the full queue had left in sealed/"), 1u);
}

TEST_F(UploaderTest, AByteFlippedWhileTheStoreIsDownIsNeverStoredAndThePairIsRejected) {
  const SealedPart part = write_part(1'739'141'034'000, "gzip bytes as sealed");
  const SealedPart intact = write_part(1'739'141'034'001, "another part");
  CapturedLog log;
  flaky.set_down(true);
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  uploader.enqueue(intact);
  ASSERT_TRUE(eventually([&] { return metrics.upload_failures.load() >= 2; }));
  flip_byte(part.part_file, 3);
  flaky.set_down(false);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  for (const auto& put : flaky.puts_of(part.name.part_key())) EXPECT_FALSE(put.ok) << "only tries while down";
  EXPECT_TRUE(flaky.puts_of(part.name.manifest_key()).empty());
  EXPECT_FALSE(fs::exists(local.path_of(part.name.part_key())));
  const fs::path rejected = spool.root() / "rejected";
  EXPECT_EQ(*read_file(rejected / part.part_file.filename()), "gziP bytes as sealed");
  EXPECT_EQ(*read_file(rejected / part.manifest_file.filename()), manifest_of(part));
  EXPECT_EQ(stored(intact.name.part_key()), "another part");
  EXPECT_EQ(metrics.upload_sha256_mismatches.load(), 1u);
  EXPECT_EQ(metrics.parts_rejected.load(), 1u);
  EXPECT_EQ(log.count("SEALED PART DOES NOT MATCH ITS MANIFEST, not uploaded; no open file"), 1u);
  EXPECT_TRUE(spool_files().empty());
}

// The open file is still in open/ (its removal after the seal failed): the part is sealed from it again
// and the pair the seal writes is uploaded; the damaged bytes are never stored.
TEST_F(UploaderTest, AByteFlippedWithItsOpenFileStillThereIsSealedAgainAndUploaded) {
  fs::create_directories(spool.open_dir());
  const PartName name{.prefix = "raw/", .stream = "trade", .symbol = "BTCUSDT", .instance_id = "i-test",
                      .epoch_ms = 1'739'141'034'000};
  const fs::path open_file = spool.open_file(name);
  const std::string lines = testing::trade_line(1'739'141'034'000'123, 1'739'141'034'000, 7) +
                            testing::trade_line(1'739'141'034'000'456, 1'739'141'034'001, 8);
  ASSERT_TRUE(write_file_atomic(open_file, lines));
  Sealer sealer(spool, 6, clock);
  const Result<std::optional<SealedPart>> sealed = sealer.seal(open_file);
  ASSERT_TRUE(sealed && *sealed);
  const SealedPart part = **sealed;
  const std::string good = *read_file(part.part_file);
  ASSERT_TRUE(write_file_atomic(open_file, lines));  // as if its removal had failed
  flip_byte(part.part_file, good.size() / 2);

  std::mutex mutex;
  std::vector<fs::path> reseal_requests;
  CapturedLog log;
  UploaderOptions options{.threads = 1, .retry = kFastPolicy};
  options.reseal = [&](const fs::path& file) {
    const std::lock_guard lock(mutex);
    reseal_requests.push_back(file);
  };
  Uploader uploader(flaky, spool, std::move(options), clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(eventually([&] {
    const std::lock_guard lock(mutex);
    return !reseal_requests.empty();
  }));
  EXPECT_EQ(reseal_requests.front(), open_file);
  ASSERT_TRUE(sealer.seal(open_file));  // what the sealer thread does with the request
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  EXPECT_EQ(stored(part.name.part_key()), good);
  for (const auto& put : flaky.puts_of(part.name.part_key())) EXPECT_TRUE(put.ok);
  EXPECT_EQ(flaky.puts_of(part.name.part_key()).size(), 1u);
  EXPECT_GE(metrics.upload_sha256_mismatches.load(), 1u);
  EXPECT_EQ(metrics.parts_rejected.load(), 0u);
  EXPECT_EQ(metrics.upload_failures.load(), 0u) << "waiting for a seal is not a store failure";
  EXPECT_GE(log.count("sealing its open file again"), 1u);
  EXPECT_FALSE(fs::exists(open_file));
  EXPECT_FALSE(fs::exists(spool.root() / "rejected"));
}

TEST_F(UploaderTest, AKeyHoldingTheSameObjectCountsAsStored) {
  const SealedPart part = write_part(1'739'141'034'000, "gzip bytes");
  ASSERT_TRUE(local.put({.key = part.name.part_key(), .body = "gzip bytes"}));  // a try whose answer was lost
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  EXPECT_EQ(stored(part.name.part_key()), "gzip bytes");
  EXPECT_EQ(stored(part.name.manifest_key()), manifest_of(part));
  EXPECT_EQ(metrics.store_key_conflicts.load(), 0u);
  EXPECT_EQ(metrics.uploads_ok.load(), 1u);
  EXPECT_TRUE(spool_files().empty());
}

// A crash after the first seal's pair was stored and before its open file was removed: start-up
// recovery seals it again, the same part bytes with another manifest. The part is stored once, under
// its key, and the first manifest stays.
TEST_F(UploaderTest, APartSealedTwiceIsStoredOnceAndKeepsTheFirstManifest) {
  const SealedPart part = write_part(1'739'141'034'000, "gzip bytes");
  ASSERT_TRUE(local.put({.key = part.name.part_key(), .body = "gzip bytes"}));
  ASSERT_TRUE(local.put({.key = part.name.manifest_key(), .body = "{\"the first seal's\":1}"}));
  CapturedLog log;
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));
  EXPECT_EQ(stored(part.name.manifest_key()), "{\"the first seal's\":1}");
  EXPECT_EQ(metrics.store_key_conflicts.load(), 0u);
  EXPECT_EQ(metrics.uploads_ok.load(), 1u);
  EXPECT_EQ(log.count("sealed twice"), 1u);
  std::size_t objects = 0;
  for (const auto& entry : fs::recursive_directory_iterator(local.root())) objects += entry.is_regular_file() ? 1 : 0;
  EXPECT_EQ(objects, 2u) << "no second key";
  EXPECT_TRUE(spool_files().empty());
}

// Another writer's object under the part's key (a second collector with the same INSTANCE_ID): it is
// not overwritten, and the part is stored beside it under a lower epoch_ms with a manifest naming it.
TEST_F(UploaderTest, AKeyHoldingAnotherObjectKeepsBothAndStoresThePartUnderANewEpoch) {
  const SealedPart part = write_part(1'739'141'034'000, "our gzip bytes");
  ASSERT_TRUE(local.put({.key = part.name.part_key(), .body = "their bytes"}));
  CapturedLog log;
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.enqueue(part);
  ASSERT_TRUE(uploader.drain(steady_clock::now() + 5s));

  PartName moved = part.name;
  moved.epoch_ms -= 1;
  EXPECT_EQ(stored(part.name.part_key()), "their bytes");
  EXPECT_FALSE(fs::exists(local.path_of(part.name.manifest_key())));
  EXPECT_EQ(stored(moved.part_key()), "our gzip bytes");
  std::string expected_manifest = manifest_of(part);
  expected_manifest.replace(expected_manifest.find(part.name.part_key()), part.name.part_key().size(),
                            moved.part_key());
  EXPECT_EQ(stored(moved.manifest_key()), expected_manifest);
  EXPECT_EQ(metrics.store_key_conflicts.load(), 1u);
  EXPECT_EQ(metrics.uploads_ok.load(), 1u);
  EXPECT_EQ(log.count("KEY HOLDS A DIFFERENT OBJECT, not overwritten; both are kept"), 1u);
  EXPECT_TRUE(spool_files().empty());
}

TEST_F(UploaderTest, EnqueueAfterStopIsRefusedAndLeavesTheFiles) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  Uploader uploader(flaky, spool, {.threads = 1, .retry = kFastPolicy}, clock, metrics);
  uploader.stop();
  uploader.enqueue(part);
  EXPECT_EQ(uploader.refused(), 1u);
  EXPECT_TRUE(uploader.drain(steady_clock::now() + 1s));
  EXPECT_EQ(spool_files().size(), 2u);
}

TEST_F(UploaderTest, RepeatedFailuresLogOncePerMinuteAfterTheQuickTries) {
  const SealedPart part = write_part(1'739'141'034'000, "gz");
  flaky.set_down(true);
  testing::FakeClock manual;
  CapturedLog log;
  {
    // Delays of 1 ms on the manual clock: every advance below makes the part due again.
    const RetryPolicy policy{.quick_tries = 3, .quick_initial = 1ms, .max_delay = 1ms, .jitter = 0.0};
    Uploader uploader(flaky, spool, {.threads = 1, .retry = policy}, manual, metrics);
    uploader.enqueue(part);
    // 40 tries, 5 s apart on the manual clock: 3 quick lines, then one per minute of the 195 s after.
    for (std::uint64_t tries = 1; tries <= 40; ++tries) {
      ASSERT_TRUE(eventually([&] { return metrics.upload_failures.load() == tries; })) << tries;
      manual.advance(5s);
    }
  }
  EXPECT_EQ(log.count("upload failed: key=" + part.name.part_key()), 3u + 3u);
  EXPECT_EQ(spool_files().size(), 2u);
}

}  // namespace
}  // namespace mc
