#include "store/local_store.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

constexpr const char* kKey =
    "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/43/part-i-1-1739141034567.jsonl.gz";

std::vector<fs::path> all_files(const fs::path& root) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), root));
  }
  return files;
}

PutRequest request(std::string key, std::string_view body) {
  return PutRequest{std::move(key), body, "application/gzip", ""};
}

// The put of kKey that links sealed, a file written here as the sealer leaves one.
PutRequest linked_put(const fs::path& sealed, std::string_view body) {
  EXPECT_TRUE(write_file_atomic(sealed, body));
  PutRequest linked = request(kKey, body);
  linked.source_file = sealed;
  return linked;
}

struct stat stat_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info;
}

TEST(LocalStore, PutWritesTheExactBytesUnderTheKeyAndNoTempFile) {
  testing::TempDir dir;
  LocalStore store(dir.path() / "store");
  // Binary, with NUL and newline: stored byte for byte.
  const std::string body = "\x1f\x8b\x00" "binary\nbytes\0end"s;
  ASSERT_EQ(body.size(), 19u);
  ASSERT_TRUE(store.put(request(kKey, body))) << "put";

  const Result<std::string> stored = read_file(dir.path() / "store" / kKey);
  ASSERT_TRUE(stored) << stored.status().message();
  EXPECT_EQ(*stored, body);
  EXPECT_EQ(all_files(dir.path() / "store"), std::vector<fs::path>{fs::path(kKey)});
}

TEST(LocalStore, ADurableSourceFileIsLinkedNotCopied) {
  testing::TempDir dir;
  LocalStore store(dir.path() / "store");
  const fs::path sealed = dir.path() / "sealed.gz";
  const PutRequest linked = linked_put(sealed, "sealed bytes");
  ASSERT_TRUE(store.put(linked));

  const struct stat source_stat = stat_of(sealed);
  EXPECT_EQ(stat_of(dir.path() / "store" / kKey).st_ino, source_stat.st_ino);  // one inode, no second copy
  EXPECT_EQ(source_stat.st_nlink, 2u);
  // The spool's name goes after the upload; the object stays whole, and nothing is left in .incoming.
  ASSERT_TRUE(remove_file(sealed));
  EXPECT_EQ(*read_file(dir.path() / "store" / kKey), "sealed bytes");
  EXPECT_EQ(all_files(dir.path() / "store"), std::vector<fs::path>{fs::path(kKey)});
  // A retried upload links over the stored object.
  ASSERT_TRUE(write_file_atomic(sealed, "sealed bytes"));
  ASSERT_TRUE(store.put(linked));
  EXPECT_EQ(all_files(dir.path() / "store"), std::vector<fs::path>{fs::path(kKey)});
}

TEST(LocalStore, AnUnlinkableSourceFileFallsBackToWritingTheBody) {
  testing::TempDir dir;
  LocalStore store(dir.path() / "store");
  PutRequest gone = request(kKey, "the body");
  gone.source_file = dir.path() / "vanished.gz";
  ASSERT_TRUE(store.put(gone));
  EXPECT_EQ(*read_file(dir.path() / "store" / kKey), "the body");
  EXPECT_EQ(all_files(dir.path() / "store"), std::vector<fs::path>{fs::path(kKey)});
}

// Every key is written once, whether the put writes its body or links a spool file.
TEST(LocalStore, APutNeverReplacesAnObjectAndAnIdenticalOneCountsAsStored) {
  for (const bool linked : {false, true}) {
    SCOPED_TRACE(linked ? "linked" : "written");
    testing::TempDir dir;
    LocalStore store(dir.path() / "store");
    const auto put = [&](std::string_view body) {
      if (!linked) return store.put(request(kKey, body));
      const fs::path sealed = dir.path() / "sealed.gz";
      fs::remove(sealed);
      return store.put(linked_put(sealed, body));
    };
    ASSERT_TRUE(put("first version"));
    EXPECT_TRUE(put("first version")) << "the same bytes again: stored";
    const Status other = put("other bytes!!");  // same length, different bytes
    EXPECT_EQ(other.kind(), ErrorKind::kAlreadyExists) << other.message();
    EXPECT_NE(other.message().find(kKey), std::string::npos) << other.message();
    EXPECT_EQ(put("short").kind(), ErrorKind::kAlreadyExists);
    EXPECT_EQ(*read_file(dir.path() / "store" / kKey), "first version");
    EXPECT_EQ(all_files(dir.path() / "store"), std::vector<fs::path>{fs::path(kKey)}) << "no temporary file left";
  }
}

TEST(LocalStore, APutLeftToTheSyncIsVisibleWholeAtOnceAndTheSyncCoversIt) {
  testing::TempDir dir;
  LocalStore store(dir.path() / "store");
  PutRequest deferred = request(kKey, "gzip bytes");
  deferred.durability = PutRequest::Durability::kAtSync;
  ASSERT_TRUE(store.put(deferred));
  const Result<std::string> stored = read_file(dir.path() / "store" / kKey);
  ASSERT_TRUE(stored) << stored.status().message();
  EXPECT_EQ(*stored, "gzip bytes");
  EXPECT_TRUE(store.sync());
  // A retry of the same object, left to a sync again, counts as stored.
  EXPECT_TRUE(store.put(deferred));
  EXPECT_EQ(all_files(dir.path() / "store"), std::vector<fs::path>{fs::path(kKey)});
}

TEST(LocalStore, ASyncThatCannotReachTheRootNamesTheStore) {
  testing::TempDir dir;
  LocalStore store(dir.path() / "never-created");
  const Status synced = store.sync();
  ASSERT_FALSE(synced);
  EXPECT_NE(synced.message().find("sync local:" + (dir.path() / "never-created").string()), std::string::npos)
      << synced.message();
}

TEST(LocalStore, DescribeNamesTheAbsoluteRoot) {
  testing::TempDir dir;
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  LocalStore store("data/store/");
  fs::current_path(previous);
  EXPECT_EQ(store.describe(), "local:" + (dir.path() / "data/store").string());
  // Still writes under the directory it was given, whatever the working directory is now.
  ASSERT_TRUE(store.put(request("k", "x")));
  EXPECT_TRUE(fs::exists(dir.path() / "data/store/k"));
}

TEST(LocalStore, RejectsBadKeysAsFatalWithoutWriting) {
  testing::TempDir dir;
  LocalStore store(dir.path() / "store");
  const std::vector<std::string> bad = {
      "",      "/abs/key",  "a//b",     "a/b/",  "./a", "a/./b", "a/../../etc/passwd", "..",
      ".",     std::string("a\0b", 3), std::string(250, 'x'),
  };
  for (const std::string& key : bad) {
    const Status status = store.put(request(key, "body"));
    EXPECT_FALSE(status) << "key accepted: " << key;
    EXPECT_EQ(status.kind(), ErrorKind::kFatal) << key;
  }
  EXPECT_TRUE(!fs::exists(dir.path() / "store") || all_files(dir.path() / "store").empty());
  EXPECT_TRUE(!fs::exists(dir.path().parent_path() / "etc"));
}

TEST(LocalStore, AcceptsKeysWithDotsInsideSegments) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  ASSERT_TRUE(store.put(request("raw/..hidden/a.b../..x", "body")));
  EXPECT_TRUE(fs::exists(dir.path() / "raw/..hidden/a.b../..x"));
}

// Root (CAP_DAC_OVERRIDE) writes through mode bits; such a run cannot show the error.
bool can_create_file_in(const fs::path& dir) {
  const fs::path probe = dir / "probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

TEST(LocalStore, ReadOnlyDirectoryIsFatal) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  fs::create_directories(root / "a");
  ASSERT_EQ(::chmod((root / "a").c_str(), 0555), 0);
  ASSERT_EQ(::chmod(root.c_str(), 0555), 0);
  if (can_create_file_in(root)) {
    ::chmod((root / "a").c_str(), 0755);
    ::chmod(root.c_str(), 0755);
    GTEST_SKIP() << "running with the power to write into a 0555 directory (root?); see ImmutableDirectoryIsFatal";
  }
  LocalStore store(root);
  const Status new_dir = store.put(request("b/k", "x"));
  const Status existing_dir = store.put(request("a/k", "x"));
  ::chmod((root / "a").c_str(), 0755);
  ::chmod(root.c_str(), 0755);
  ASSERT_FALSE(new_dir);
  EXPECT_EQ(new_dir.kind(), ErrorKind::kFatal) << new_dir.message();
  ASSERT_FALSE(existing_dir);
  EXPECT_EQ(existing_dir.kind(), ErrorKind::kFatal) << existing_dir.message();
}

// Sets or clears the immutable attribute, which stops even root from creating entries.
bool set_immutable(const fs::path& dir, bool on) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (ok) {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    ok = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  ::close(fd);
  return ok;
}

TEST(LocalStore, ImmutableDirectoryIsFatal) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  fs::create_directories(root / "a");
  if (!set_immutable(root / "a", true)) GTEST_SKIP() << "file system or capabilities do not allow chattr +i";
  LocalStore store(root);
  const Status status = store.put(request("a/b/k", "x"));
  ASSERT_TRUE(set_immutable(root / "a", false));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.kind(), ErrorKind::kFatal) << status.message();
}

TEST(LocalStore, ConcurrentPutsIntoNewDirectoriesAllLand) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string key = "p/d" + std::to_string(i % 5) + "/k" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(store.put(request(key, key))) << key;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(all_files(dir.path()).size(), 80u);
  EXPECT_EQ(*read_file(dir.path() / "p/d3/k2-13"), "p/d3/k2-13");
}

}  // namespace
}  // namespace mc

namespace mc {
namespace {

TEST(LocalStore, TemporaryFilesLiveOutsideTheKeysAndStaleOnesAreRemoved) {
  testing::TempDir dir;
  const fs::path incoming = dir.path() / "store" / std::string(kIncomingDir);
  fs::create_directories(incoming);
  ASSERT_TRUE(write_file_atomic(incoming / "put-stale", "left by a crash"));
  ASSERT_TRUE(write_file_atomic(incoming / "put-young", "another process, mid-put"));
  fs::last_write_time(incoming / "put-stale", fs::file_time_type::clock::now() - std::chrono::hours(2));

  LocalStore store(dir.path() / "store");
  EXPECT_FALSE(fs::exists(incoming / "put-stale"));
  EXPECT_TRUE(fs::exists(incoming / "put-young"));
  EXPECT_EQ(store.put(PutRequest{std::string(kIncomingDir) + "/x", "b", "application/json", ""}).kind(),
            ErrorKind::kFatal);
}

}  // namespace
}  // namespace mc
