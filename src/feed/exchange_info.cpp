#include "feed/exchange_info.hpp"

#include <set>

#include <fmt/format.h>
#include <simdjson.h>

namespace mc {
namespace {

constexpr std::size_t kMinSymbolLength = 2;
constexpr std::size_t kMaxSymbolLength = 20;
// What an error message quotes of a name from the exchange.
constexpr std::size_t kMaxQuoted = 40;

bool is_symbol_name(std::string_view name) {
  if (name.size() < kMinSymbolLength || name.size() > kMaxSymbolLength) return false;
  for (const char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Status entry_error(std::size_t position, std::string_view what) {
  return Status::corrupt(fmt::format("exchangeInfo: symbols[{}] {}", position, what));
}

}  // namespace

Result<ExchangeSymbols> parse_exchange_info(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    return Status::corrupt(fmt::format("exchangeInfo: body is not JSON ({} bytes)", body.size()));
  }
  simdjson::dom::array entries;
  if (root["symbols"].get_array().get(entries) != simdjson::SUCCESS) {
    return Status::corrupt("exchangeInfo: no \"symbols\" array");
  }
  ExchangeSymbols out;
  std::set<std::string, std::less<>> seen;
  for (simdjson::dom::element element : entries) {
    const std::size_t position = out.listed++;
    simdjson::dom::object entry;
    if (element.get_object().get(entry) != simdjson::SUCCESS) return entry_error(position, "is not an object");
    std::string_view name;
    if (entry["symbol"].get_string().get(name) != simdjson::SUCCESS) {
      return entry_error(position, "has no string \"symbol\"");
    }
    std::string_view status;
    if (entry["status"].get_string().get(status) != simdjson::SUCCESS) {
      return entry_error(position, fmt::format("({}) has no string \"status\"", name.substr(0, kMaxQuoted)));
    }
    if (!seen.emplace(name).second) {
      return entry_error(position, fmt::format("lists {} a second time", name.substr(0, kMaxQuoted)));
    }
    if (!is_symbol_name(name)) {
      out.odd_names.emplace_back(name.substr(0, kMaxQuoted));
      continue;
    }
    if (status == kTradingStatus) out.trading.emplace_back(name);
  }
  if (out.trading.empty()) {
    return Status::corrupt(fmt::format("exchangeInfo: none of the {} symbols has status {}", out.listed,
                                       kTradingStatus));
  }
  return out;
}

}  // namespace mc
