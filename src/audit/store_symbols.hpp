#pragma once
// audit --symbols-from-store: the symbols a store holds trades of, from the folder names below
// "<prefix>exchange=binance/stream=trade/" (one listing with delimiter "/", not a listing of every key).

#include <string>
#include <string_view>
#include <vector>

#include "audit/store_reader.hpp"
#include "common/status.hpp"

namespace mc {

// The SYMBOL of each "symbol=<SYMBOL>/" folder, sorted; folders of any other name are not symbols
// and are left out. Empty when the prefix holds no trade folder. Fails when the store cannot be listed.
Result<std::vector<std::string>> symbols_in_store(const StoreReader& store, std::string_view prefix);

// "<prefix>exchange=binance/stream=trade/"
std::string trade_stream_folder(std::string_view prefix);

}  // namespace mc
