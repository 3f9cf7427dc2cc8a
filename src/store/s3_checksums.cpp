#include "store/s3_checksums.hpp"

#include "common/base64.hpp"

namespace mc {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Result<std::string> sha256_base64_from_hex(std::string_view sha256_hex) {
  if (sha256_hex.size() != 64) return Status::corrupt("sha256 is not 64 hex digits: " + std::string(sha256_hex));
  std::string binary;
  binary.reserve(32);
  for (std::size_t i = 0; i < sha256_hex.size(); i += 2) {
    const int high = hex_value(sha256_hex[i]);
    const int low = hex_value(sha256_hex[i + 1]);
    if (high < 0 || low < 0) return Status::corrupt("sha256 is not lower-case hex: " + std::string(sha256_hex));
    binary.push_back(static_cast<char>(high * 16 + low));
  }
  std::string out;
  base64_append(binary, out);
  return out;
}

}  // namespace mc
