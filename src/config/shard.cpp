#include "config/shard.hpp"

#include <charconv>

#include <fmt/format.h>

#include "common/sha256.hpp"
#include "config/value_parsers.hpp"

namespace mc {
namespace {

constexpr std::size_t kWeightHexDigits = 16;  // 8 bytes

}  // namespace

Result<Shard> parse_shard(std::string_view text) {
  if (text.empty()) return Shard{};
  const Status expected = Status::fatal(fmt::format(
      "expected i/n with n from 1 to {} and i from 0 to n-1 (e.g. 0/3), or empty for every symbol", kMaxShards));
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return expected;
  const Result<std::uint64_t> index = parse_unsigned(text.substr(0, slash), 0, kMaxShards - 1);
  const Result<std::uint64_t> count = parse_unsigned(text.substr(slash + 1), 1, kMaxShards);
  if (!index || !count || *index >= *count) return expected;
  return Shard{static_cast<std::uint32_t>(*index), static_cast<std::uint32_t>(*count)};
}

Result<std::uint64_t> shard_weight(std::string_view symbol, std::uint32_t shard) {
  Result<std::string> hex = sha256_hex(fmt::format("{}#{}", symbol, shard));
  if (!hex) return hex.status();
  std::uint64_t weight = 0;
  const char* first = hex->data();
  const auto [end, ec] = std::from_chars(first, first + kWeightHexDigits, weight, 16);
  if (ec != std::errc{} || end != first + kWeightHexDigits) return Status::fatal("SHA-256 gave no hex digits");
  return weight;
}

Result<std::uint32_t> shard_of(std::string_view symbol, std::uint32_t count) {
  std::uint32_t best = 0;
  std::uint64_t best_weight = 0;
  for (std::uint32_t shard = 0; shard < count; ++shard) {
    Result<std::uint64_t> weight = shard_weight(symbol, shard);
    if (!weight) return weight.status();
    // Strictly greater: a tie goes to the lower shard.
    if (shard == 0 || *weight > best_weight) {
      best = shard;
      best_weight = *weight;
    }
  }
  return best;
}

Result<std::vector<std::string>> symbols_of_shard(const std::vector<std::string>& symbols, Shard shard) {
  if (shard.count == 1) return symbols;
  std::vector<std::string> kept;
  for (const std::string& symbol : symbols) {
    Result<std::uint32_t> owner = shard_of(symbol, shard.count);
    if (!owner) return owner.status();
    if (*owner == shard.index) kept.push_back(symbol);
  }
  return kept;
}

}  // namespace mc
