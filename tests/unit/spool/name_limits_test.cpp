#include "spool/name_limits.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "keys/part_name.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

const RouteTable kOneSymbol(std::vector<std::string>{"BTCUSDT"});

Status check(std::string_view prefix, std::string_view instance_id, const NameLimits& limits = {},
             std::vector<std::string> other_keys = {}) {
  return check_name_lengths(prefix, instance_id, kOneSymbol, other_keys, limits);
}

// The spool's longest file name for one symbol: the part of messages no symbol claims, in rejected/.
std::string longest_spool_file_name(std::string_view instance_id) {
  const PartName name{.prefix = "raw/", .kind = PartKind::kQuarantine, .stream = "unknown", .symbol = "UNKNOWN",
                      .instance_id = std::string(instance_id), .epoch_ms = kLongestEpochMs};
  return spool_file_name(name.part_key()) + ".1000";
}

// Creates (and removes) a file of that name in dir: the file system's own verdict, errno on failure.
int create_file(const std::filesystem::path& dir, const std::string& name) {
  const int fd = ::open((dir / name).c_str(), O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  ::close(fd);
  ::unlink((dir / name).c_str());
  return 0;
}

TEST(NameLimitsTest, AnEc2ConfigurationFits) {
  const RouteTable routes(std::vector<std::string>{"BTCUSDT", "1000SHIBUSDC", "ETHUSDT"});
  const std::vector<std::string> none;
  EXPECT_TRUE(check_name_lengths("raw/", "i-0123456789abcdef0", routes, none, {}));
}

TEST(NameLimitsTest, TheLongestAcceptedNamesCanBeCreatedAndOneByteMoreIsRefused) {
  testing::TempDir dir;
  std::size_t longest = 0;
  while (longest < 300 && check("raw/", std::string(longest + 1, 'i'))) ++longest;
  ASSERT_GT(longest, 64U);  // INSTANCE_ID's own limit always fits behind a short prefix
  ASSERT_LT(longest, 300U);

  const std::string fits = longest_spool_file_name(std::string(longest, 'i'));
  EXPECT_EQ(fits.size(), kDefaultFileNameBytes);  // the check is exact, not merely safe
  EXPECT_EQ(create_file(dir.path(), fits), 0);

  const std::string instance(longest + 1, 'i');
  EXPECT_EQ(create_file(dir.path(), longest_spool_file_name(instance)), ENAMETOOLONG);
  const Status refused = check("raw/", instance);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.kind(), ErrorKind::kFatal);
  EXPECT_NE(refused.message().find("spool file name of 256 bytes (limit 255)"), std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("INSTANCE_ID (" + std::to_string(longest + 1) + " bytes)"), std::string::npos)
      << refused.message();
}

TEST(NameLimitsTest, EachSlashOfThePrefixCostsThreeBytesInASpoolFileName) {
  EXPECT_TRUE(check(std::string(57, 'a') + "/", std::string(64, 'i')));
  const Status refused = check("a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/", std::string(64, 'i'));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("S3_PREFIX (58 bytes), INSTANCE_ID (64 bytes)"), std::string::npos)
      << refused.message();
}

TEST(NameLimitsTest, AnObjectKeyOverS3sLimitIsNamed) {
  const std::string prefix = std::string(200, 'p') + "/" + std::string(200, 'q') + "/" + std::string(200, 'r') + "/" +
                             std::string(200, 's') + "/" + std::string(200, 't') + "/";
  const Status refused = check(prefix, "vm", {.file_name_bytes = 4096});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("object key of"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("(limit 1024)"), std::string::npos) << refused.message();
}

TEST(NameLimitsTest, OtherKeysAreHeldToS3sLimitToo) {
  EXPECT_TRUE(check("raw/", "vm", {}, {std::string(1024, 'k')}));
  const Status refused = check("raw/", "vm", {}, {std::string(1025, 'k')});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("object key of 1025 bytes (limit 1024)"), std::string::npos) << refused.message();
}

TEST(NameLimitsTest, ALocalStoreHoldsEachPieceOfAKeyToItsFileNameLimit) {
  const std::string prefix = std::string(256, 'p') + "/";
  EXPECT_TRUE(check(prefix, "vm", {.file_name_bytes = 4096}));  // S3: no limit on a piece
  const Status refused = check(prefix, "vm", {.file_name_bytes = 4096, .store_name_bytes = 255});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("local store file name of 256 bytes (limit 255): " + std::string(256, 'p') + ";"),
            std::string::npos)
      << refused.message();
}

TEST(NameLimitsTest, TheFileNameLimitIsTheFileSystems) {
  testing::TempDir dir;
  EXPECT_EQ(file_name_limit(dir.path()), static_cast<std::size_t>(::pathconf(dir.path().c_str(), _PC_NAME_MAX)));
  EXPECT_EQ(file_name_limit(dir.path() / "not-yet-created"), kDefaultFileNameBytes);
}

}  // namespace
}  // namespace mc
