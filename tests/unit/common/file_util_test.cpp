#include "common/file_util.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace mc {
namespace {

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mc-read-file-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& bytes) const {
    std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::filesystem::path dir_;
};

// Several times the first read's size, with NUL and high bytes: every byte back, none added.
TEST_F(ReadFileTest, ReturnsEveryByteOfALargeFile) {
  std::string bytes;
  for (int i = 0; i < 300'000; ++i) bytes.push_back(static_cast<char>(i * 7 % 256));
  Result<std::string> read = read_file(write("large", bytes));
  ASSERT_TRUE(read) << read.status().message();
  EXPECT_EQ(*read, bytes);
}

TEST_F(ReadFileTest, EmptyFileIsEmpty) {
  Result<std::string> read = read_file(write("empty", ""));
  ASSERT_TRUE(read) << read.status().message();
  EXPECT_TRUE(read->empty());
}

// A pipe has no size to go by: the buffer grows as the bytes come.
TEST_F(ReadFileTest, ReadsAFifoWhoseSizeIsUnknown) {
  const std::filesystem::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string bytes(200'000, 'x');
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << bytes; });
  Result<std::string> read = read_file(fifo);
  writer.join();
  ASSERT_TRUE(read) << read.status().message();
  EXPECT_EQ(*read, bytes);
}

TEST_F(ReadFileTest, MissingFileNamesThePath) {
  Result<std::string> read = read_file(dir_ / "absent");
  ASSERT_FALSE(read);
  EXPECT_NE(read.status().message().find("absent"), std::string::npos) << read.status().message();
}

// The spool's disk gauge: the same numbers the standard library's space() reads from statvfs.
TEST_F(ReadFileTest, FileSystemSpaceOfATempDirMatchesTheLibrarysView) {
  const Result<FileSystemSpace> space = file_system_space(dir_);
  ASSERT_TRUE(space) << space.status().message();
  const std::filesystem::space_info expected = std::filesystem::space(dir_);
  EXPECT_EQ(space->size_bytes, expected.capacity);
  EXPECT_GT(space->size_bytes, 0U);
  EXPECT_LE(space->available_bytes, space->size_bytes);
  // Other processes write meanwhile: the free bytes agree to within what they may have written.
  constexpr std::uint64_t kSlack = 256U << 20U;
  EXPECT_LT(space->available_bytes > expected.available ? space->available_bytes - expected.available
                                                         : expected.available - space->available_bytes,
            kSlack);
}

TEST_F(ReadFileTest, FileSystemSpaceOfAMissingPathIsAnErrorNamingIt) {
  const Result<FileSystemSpace> space = file_system_space(dir_ / "absent" / "deeper");
  ASSERT_FALSE(space);
  EXPECT_NE(space.status().message().find("absent/deeper"), std::string::npos) << space.status().message();
}

}  // namespace
}  // namespace mc
