#include "common/base64.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace mc {
namespace {

std::string encode(std::string_view bytes) {
  std::string out;
  base64_append(bytes, out);
  return out;
}

TEST(Base64Test, MatchesTheRfc4648Vectors) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encode(std::string("\xfb\xff\x00", 3)), "+/8A");
  EXPECT_EQ(*base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(*base64_decode("Zg=="), "f");
}

TEST(Base64Test, AppendsToWhatIsThere) {
  std::string out = "x:";
  base64_append("hi", out);
  EXPECT_EQ(out, "x:aGk=");
  EXPECT_EQ(base64_encoded_size(2), 4U);
  EXPECT_EQ(base64_encoded_size(3), 4U);
  EXPECT_EQ(base64_encoded_size(4), 8U);
}

TEST(Base64Test, RandomBytesRoundTrip) {
  std::mt19937 rng(42);
  for (int round = 0; round < 500; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    const std::string text = encode(bytes);
    EXPECT_EQ(text.size(), base64_encoded_size(bytes.size()));
    const Result<std::string> back = base64_decode(text);
    ASSERT_TRUE(back.is_ok()) << back.status().message();
    EXPECT_EQ(*back, bytes);
  }
}

TEST(Base64Test, RefusesWhatIsNotCanonicalBase64) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "====", "Zm9v!A==", "Zh==", "Zm9=", "Zg==Zg==", "Zm\n9v"}) {
    const Result<std::string> decoded = base64_decode(bad);
    ASSERT_FALSE(decoded.is_ok()) << bad;
    EXPECT_EQ(decoded.status().kind(), ErrorKind::kCorrupt) << bad;
  }
}

}  // namespace
}  // namespace mc
