#include "common/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mc {
namespace {

// FIPS 180-2 appendix B examples.
TEST(Sha256Test, KnownAnswers) {
  EXPECT_EQ(sha256_hex("abc").value(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("").value(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").value(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, StreamingEqualsOneShot) {
  const std::string message(1'000'000, 'a');
  Result<Sha256> hasher = Sha256::create();
  ASSERT_TRUE(hasher);
  for (std::size_t at = 0; at < message.size(); at += 4093) {
    ASSERT_TRUE(hasher->update(std::string_view(message).substr(at, 4093)));
  }
  Result<std::string> streamed = hasher->finish_hex();
  ASSERT_TRUE(streamed);
  EXPECT_EQ(*streamed, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(*streamed, sha256_hex(message).value());
}

TEST(Sha256Test, MovedHasherKeepsItsState) {
  Result<Sha256> hasher = Sha256::create();
  ASSERT_TRUE(hasher);
  ASSERT_TRUE(hasher->update("a"));
  Sha256 moved = std::move(hasher).value();
  ASSERT_TRUE(moved.update("bc"));
  EXPECT_EQ(moved.finish_hex().value(), sha256_hex("abc").value());
}

}  // namespace
}  // namespace mc
