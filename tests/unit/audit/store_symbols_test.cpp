// audit --symbols-from-store (src/audit/store_symbols.cpp) and the folder listing under it.
#include "audit/store_symbols.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace mc {
namespace {

// Only list/get of a LocalStoreReader: list_folders is the base class's, derived from list().
class ListOnly final : public StoreReader {
 public:
  explicit ListOnly(const StoreReader& store) : store_(store) {}
  Result<std::vector<StoredObject>> list(std::string_view prefix) const override { return store_.list(prefix); }
  Result<std::string> get(std::string_view key) const override { return store_.get(key); }
  std::string describe() const override { return store_.describe(); }

 private:
  const StoreReader& store_;
};

class StoreSymbolsTest : public ::testing::Test {
 protected:
  void put(const std::string& key) {
    const std::filesystem::path path = dir_.path() / key;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << "x";
  }

  testing::TempDir dir_;
};

TEST_F(StoreSymbolsTest, EverySymbolFolderUnderThePrefixIsASymbol) {
  const std::string trade = "raw/exchange=binance/stream=trade/";
  put(trade + "symbol=ETHUSDT/dt=2026-11-25/05/00/part-i-1-1795582800000.jsonl.gz");
  put(trade + "symbol=BTCUSDT/dt=2026-11-25/05/00/part-i-1-1795582800000.jsonl.gz");
  put(trade + "symbol=BTCUSDT/dt=2026-11-25/06/00/part-i-1-1795586400000.jsonl.gz");
  put(trade + "symbol=bad name/x");   // not a symbol: left out
  put(trade + "notes/readme.txt");     // not a symbol folder
  put(trade + "stray.txt");            // a file, not a folder
  put("raw/_quarantine/exchange=binance/stream=trade/symbol=SOLUSDT/x");  // not under the prefix's trades
  put("other/exchange=binance/stream=trade/symbol=BNBUSDT/x");

  const LocalStoreReader local(dir_.path());
  const ListOnly derived(local);
  for (const StoreReader* store : {static_cast<const StoreReader*>(&local), static_cast<const StoreReader*>(&derived)}) {
    Result<std::vector<std::string>> symbols = symbols_in_store(*store, "raw/");
    ASSERT_TRUE(symbols) << symbols.status().message();
    EXPECT_EQ(*symbols, (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  }
}

TEST_F(StoreSymbolsTest, AStoreWithoutTradesHasNoSymbol) {
  const LocalStoreReader local(dir_.path() / "missing");
  Result<std::vector<std::string>> symbols = symbols_in_store(local, "raw/");
  ASSERT_TRUE(symbols) << symbols.status().message();
  EXPECT_TRUE(symbols->empty());
}

}  // namespace
}  // namespace mc
