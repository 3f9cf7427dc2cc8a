#pragma once
// ROT_SECS and ROT_SECS_OVERRIDES: the rotation window of each symbol's data parts.
// "BTCUSDT:5,ETHUSDT:5,*:60" gives BTCUSDT and ETHUSDT 5 s windows and every other symbol 60 s; without
// a "*" entry the others keep ROT_SECS. Quarantine parts always use ROT_SECS (docs/DECISIONS.md).
// Every window divides 86400, so all of them tile the UTC day and share its boundaries.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

inline constexpr std::uint32_t kSecondsPerDay = 86400;

// The window of each symbol, by name.
using SymbolWindows = std::map<std::string, std::uint32_t, std::less<>>;

// 1 to 86400 and a divisor of 86400: the rule for ROT_SECS and for every override.
Result<std::uint32_t> parse_rot_secs(std::string_view text);

struct SymbolWindow {
  std::string symbol;  // upper case
  std::uint32_t secs = 0;
};

struct RotSecsOverrides {
  std::vector<SymbolWindow> symbols;         // in the order given
  std::optional<std::uint32_t> default_secs;  // "*:SECS": the window of every symbol not listed

  // The window of the symbol's data parts.
  std::uint32_t secs_for(std::string_view symbol, std::uint32_t rot_secs) const;
  // secs_for of each symbol.
  SymbolWindows secs_by_symbol(const std::vector<std::string>& symbols, std::uint32_t rot_secs) const;
  // Every listed symbol must be one of `symbols` (SYMBOL): a typo would otherwise be silently ignored.
  Status check_symbols(const std::vector<std::string>& symbols) const;
};

// "SYMBOL:SECS[,SYMBOL:SECS...]" with at most one "*:SECS"; empty: no overrides. Symbols are
// upper-cased and follow SYMBOL's rule; no symbol twice. A failure names the entry.
Result<RotSecsOverrides> parse_rot_secs_overrides(std::string_view text);

}  // namespace mc
