#include "store/s3_checksums.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(S3ChecksumsTest, Sha256HexBecomesBase64) {
  // SHA-256("abc") (FIPS 180-2 example) and its base64 form as S3 shows it in x-amz-checksum-sha256.
  EXPECT_EQ(*sha256_base64_from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST(S3ChecksumsTest, BadHexIsRefused) {
  EXPECT_EQ(sha256_base64_from_hex("abc").status().kind(), ErrorKind::kCorrupt);
  EXPECT_FALSE(sha256_base64_from_hex(std::string(64, 'g')));
  EXPECT_FALSE(sha256_base64_from_hex(std::string(64, 'A')));  // upper case is not what we write
}

}  // namespace
}  // namespace mc
