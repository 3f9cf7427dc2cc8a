#include "common/base64.hpp"

#include <array>
#include <cstdint>

namespace mc {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecode = make_decode_table();

std::uint32_t byte_at(std::string_view bytes, std::size_t i) { return static_cast<unsigned char>(bytes[i]); }

}  // namespace

void base64_append(std::string_view bytes, std::string& out) {
  out.reserve(out.size() + base64_encoded_size(bytes.size()));
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = byte_at(bytes, i) << 16U | byte_at(bytes, i + 1) << 8U | byte_at(bytes, i + 2);
    out.push_back(kAlphabet[group >> 18U & 0x3FU]);
    out.push_back(kAlphabet[group >> 12U & 0x3FU]);
    out.push_back(kAlphabet[group >> 6U & 0x3FU]);
    out.push_back(kAlphabet[group & 0x3FU]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return;
  std::uint32_t group = byte_at(bytes, i) << 16U;
  if (rest == 2) group |= byte_at(bytes, i + 1) << 8U;
  out.push_back(kAlphabet[group >> 18U & 0x3FU]);
  out.push_back(kAlphabet[group >> 12U & 0x3FU]);
  out.push_back(rest == 2 ? kAlphabet[group >> 6U & 0x3FU] : '=');
  out.push_back('=');
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status::corrupt("base64: length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::size_t padding = 0;
    if (last && text[i + 3] == '=') padding = text[i + 2] == '=' ? 2 : 1;
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4 - padding; ++k) {
      const std::uint8_t sextet = kDecode[static_cast<unsigned char>(text[i + k])];
      if (sextet == kInvalid) return Status::corrupt("base64: invalid byte at offset " + std::to_string(i + k));
      group |= std::uint32_t{sextet} << (18U - 6U * k);
    }
    // Canonical form only: the bits a padded group does not use must be zero.
    if ((padding == 1 && (group & 0xFFU) != 0) || (padding == 2 && (group & 0xFFFFU) != 0)) {
      return Status::corrupt("base64: non-canonical final group");
    }
    out.push_back(static_cast<char>(group >> 16U & 0xFFU));
    if (padding < 2) out.push_back(static_cast<char>(group >> 8U & 0xFFU));
    if (padding < 1) out.push_back(static_cast<char>(group & 0xFFU));
  }
  return out;
}

}  // namespace mc
