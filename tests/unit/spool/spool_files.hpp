#pragma once
// Helpers for the sealer and recovery tests: part names, data lines and files in a spool.
#include <gtest/gtest.h>

#include "support/eventually.hpp"
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include "keys/part_name.hpp"
#include "spool/spool_layout.hpp"
#include "support/temp_dir.hpp"

namespace mc::testing {

inline PartName part_name(std::int64_t epoch_ms = 1739141034567, PartKind kind = PartKind::kData,
                          std::string symbol = "BTCUSDT") {
  return {"raw/", kind, "trade", std::move(symbol), "i-0abc", epoch_ms};
}

inline std::string trade_line(std::int64_t recv_us, std::int64_t event_ms, std::int64_t id) {
  return R"({"recv_us":)" + std::to_string(recv_us) + R"(,"stream":"btcusdt@trade","data":{"e":"trade","E":)" +
         std::to_string(event_ms) + R"(,"s":"BTCUSDT","t":)" + std::to_string(id) +
         R"(,"p":"97000.01","q":"0.001","T":)" + std::to_string(event_ms - 1) + R"(,"m":true,"M":true}})" + "\n";
}

inline std::string quarantine_line(std::int64_t recv_us) {
  return R"({"recv_us":)" + std::to_string(recv_us) +
         R"(,"reason":"not_json","frame":"text","bytes":5,"raw_b64":"aGVsbG8="})" + "\n";
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A spool in a fresh temporary directory, with open/ and sealed/ created.
class SpoolTest : public ::testing::Test {
 protected:
  SpoolTest() {
    std::filesystem::create_directories(layout.open_dir());
    std::filesystem::create_directories(layout.sealed_dir());
  }

  // Writes text as the open file of name; returns its path.
  std::filesystem::path make_open(const PartName& name, const std::string& text = trade_line(1, 1, 1)) {
    const std::filesystem::path path = layout.open_file(name);
    write_text(path, text);
    return path;
  }

  TempDir dir;
  SpoolLayout layout{dir.path()};
};

}  // namespace mc::testing
