#pragma once
// SHARD=i/n: this instance collects only the symbols of SYMBOL that rendezvous (highest-random-weight)
// hashing gives to shard i of n (docs/FLEET.md). A symbol's shard depends on its name and n alone,
// never on the rest of the list or on the machine, so every replica of shard i collects the same
// symbols; changing n moves only about 1/n of them (growing from n to n+1, only to the new shard).
//
// The weight of symbol S for shard k is the first 8 bytes, big-endian, of SHA-256 of the ASCII text
// "S#k" (k in decimal): `printf 'BTCUSDT#2' | sha256sum | cut -c1-16` shows it. S goes to the shard
// of the highest weight (the lowest k on a tie). This definition is part of the data layout: changing
// it would move symbols between the shards of a running fleet.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

// More shards than this would leave most of them a handful of symbols, and makes start-up hash
// symbols x n names.
inline constexpr std::uint32_t kMaxShards = 256;

struct Shard {
  std::uint32_t index = 0;
  std::uint32_t count = 1;  // 1: every symbol (SHARD empty)
};

// "" (every symbol) or "i/n" with 1 <= n <= kMaxShards and 0 <= i < n.
Result<Shard> parse_shard(std::string_view text);

Result<std::uint64_t> shard_weight(std::string_view symbol, std::uint32_t shard);
// Which of `count` shards collects the symbol.
Result<std::uint32_t> shard_of(std::string_view symbol, std::uint32_t count);
// The symbols of `shard`, in their order in `symbols`.
Result<std::vector<std::string>> symbols_of_shard(const std::vector<std::string>& symbols, Shard shard);

}  // namespace mc
