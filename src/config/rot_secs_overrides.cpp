#include "config/rot_secs_overrides.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/value_parsers.hpp"

namespace mc {
namespace {

constexpr std::string_view kEntryForm =
    "expected SYMBOL:SECS, SYMBOL 2 to 20 letters or digits, or * for every symbol not listed";

Status entry_error(std::string_view entry, std::string_view complaint) {
  return Status::fatal(fmt::format("entry \"{}\": {}", entry, complaint));
}

}  // namespace

Result<std::uint32_t> parse_rot_secs(std::string_view text) {
  // Windows must tile the UTC day, or a window would straddle midnight and the date folder.
  Result<std::uint64_t> secs = parse_unsigned(text, 1, kSecondsPerDay);
  if (!secs || kSecondsPerDay % *secs != 0) {
    return Status::fatal(
        "expected an integer from 1 to 86400 that divides 86400 so windows align on day boundaries "
        "(e.g. 1, 2, 5, 10, 15, 30, 60, 300, 3600)");
  }
  return static_cast<std::uint32_t>(*secs);
}

std::uint32_t RotSecsOverrides::secs_for(std::string_view symbol, std::uint32_t rot_secs) const {
  const auto listed = std::find_if(symbols.begin(), symbols.end(),
                                   [symbol](const SymbolWindow& window) { return window.symbol == symbol; });
  if (listed != symbols.end()) return listed->secs;
  return default_secs.value_or(rot_secs);
}

SymbolWindows RotSecsOverrides::secs_by_symbol(const std::vector<std::string>& names, std::uint32_t rot_secs) const {
  SymbolWindows windows;
  for (const std::string& name : names) windows.emplace(name, secs_for(name, rot_secs));
  return windows;
}

Status RotSecsOverrides::check_symbols(const std::vector<std::string>& names) const {
  for (const SymbolWindow& window : symbols) {
    if (std::find(names.begin(), names.end(), window.symbol) == names.end()) {
      return entry_error(fmt::format("{}:{}", window.symbol, window.secs),
                         fmt::format("{} is not one of the {} symbols in SYMBOL", window.symbol, names.size()));
    }
  }
  return Status::ok();
}

Result<RotSecsOverrides> parse_rot_secs_overrides(std::string_view text) {
  RotSecsOverrides overrides;
  if (trim_blanks(text).empty()) return overrides;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view entry = trim_blanks(text.substr(0, comma));
    const std::size_t colon = entry.find(':');
    if (entry.empty() || colon == std::string_view::npos) return entry_error(entry, kEntryForm);
    const std::string_view name = trim_blanks(entry.substr(0, colon));
    Result<std::uint32_t> secs = parse_rot_secs(trim_blanks(entry.substr(colon + 1)));
    if (!secs) return entry_error(entry, secs.status().message());
    if (name == "*") {
      if (overrides.default_secs) return entry_error(entry, "a second * entry; expected at most one");
      overrides.default_secs = *secs;
    } else {
      // SYMBOL's own rule, one symbol at a time (no comma can be left in `name`).
      Result<std::vector<std::string>> symbol = parse_symbol_list(name);
      if (!symbol) return entry_error(entry, kEntryForm);
      std::string upper = std::move(symbol->front());
      const bool listed = std::any_of(overrides.symbols.begin(), overrides.symbols.end(),
                                      [&upper](const SymbolWindow& window) { return window.symbol == upper; });
      if (listed) {
        return entry_error(entry, fmt::format("{} appears twice; expected each symbol at most once", upper));
      }
      overrides.symbols.push_back({std::move(upper), *secs});
    }
    if (comma == std::string_view::npos) return overrides;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace mc
