#include "audit/store_reader.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace mc {
namespace {

void write(const std::filesystem::path& path, const std::string& body) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << body;
}

TEST(LocalStoreReaderTest, ListsKeysUnderPrefixSortedWithSizesSkippingIncoming) {
  testing::TempDir dir;
  write(dir.path() / "raw/a/b/2.txt", "22");
  write(dir.path() / "raw/a/b/1.txt", "1");
  write(dir.path() / "raw/a/c/3.txt", "333");
  write(dir.path() / ".incoming/put-123", "x");
  const LocalStoreReader reader(dir.path());

  Result<std::vector<StoredObject>> listed = reader.list("raw/a/b/");
  ASSERT_TRUE(listed.is_ok());
  EXPECT_EQ(*listed, (std::vector<StoredObject>{{"raw/a/b/1.txt", 1}, {"raw/a/b/2.txt", 2}}));

  Result<std::vector<StoredObject>> all = reader.list("");
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all->size(), 3u);

  Result<std::vector<StoredObject>> none = reader.list("raw/zzz/");
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->empty());
}

TEST(LocalStoreReaderTest, GetReadsObjectAndRefusesBadOrMissingKeys) {
  testing::TempDir dir;
  write(dir.path() / "raw/x.txt", "hello");
  const LocalStoreReader reader(dir.path());
  Result<std::string> body = reader.get("raw/x.txt");
  ASSERT_TRUE(body.is_ok());
  EXPECT_EQ(*body, "hello");
  EXPECT_FALSE(reader.get("../etc/passwd").is_ok());
  EXPECT_FALSE(reader.get("raw/missing.txt").is_ok());
}

}  // namespace
}  // namespace mc
