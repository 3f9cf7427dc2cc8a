#include "audit/store_symbols.hpp"

#include <algorithm>

#include "backfill/binance_rest.hpp"

namespace mc {

std::string trade_stream_folder(std::string_view prefix) {
  return std::string(prefix) + "exchange=binance/stream=trade/";
}

Result<std::vector<std::string>> symbols_in_store(const StoreReader& store, std::string_view prefix) {
  const std::string parent = trade_stream_folder(prefix);
  Result<std::vector<std::string>> folders = store.list_folders(parent);
  if (!folders) return folders.status().with_context("listing the symbols under " + parent);
  constexpr std::string_view kSymbolPrefix = "symbol=";
  std::vector<std::string> symbols;
  for (const std::string& folder : *folders) {
    std::string_view name = std::string_view(folder).substr(parent.size());
    if (!name.starts_with(kSymbolPrefix) || !name.ends_with('/')) continue;
    name = name.substr(kSymbolPrefix.size(), name.size() - kSymbolPrefix.size() - 1);
    if (is_exchange_symbol(name)) symbols.emplace_back(name);
  }
  std::sort(symbols.begin(), symbols.end());
  return symbols;
}

}  // namespace mc
