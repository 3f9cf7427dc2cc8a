#pragma once
// Realistic Binance trade messages for the benchmarks: ids and times advance like a busy market.
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace mc::bench {

inline std::string trade_message(std::int64_t id, std::int64_t time_ms) {
  return fmt::format(
      R"({{"stream":"btcusdt@trade","data":{{"e":"trade","E":{},"s":"BTCUSDT","t":{},"p":"{}.{:02}000000","q":"0.{:05}000","T":{},"m":{},"M":true}}}})",
      time_ms, id, 97000 + id % 50, id % 100, id % 99991, time_ms - 1, id % 3 == 0 ? "true" : "false");
}

// About `bytes` of part content: trade lines as the collector writes them.
inline std::string trade_part(std::size_t bytes) {
  std::string out;
  std::int64_t id = 4'619'270'193;
  std::int64_t time_ms = 1'739'141'030'001;
  while (out.size() < bytes) {
    out += fmt::format(R"({{"recv_us":{},)", time_ms * 1000 + 517);
    const std::string message = trade_message(id++, time_ms);
    out.append(message, 1);
    out += '\n';
    time_ms += id % 4 == 0 ? 1 : 0;
  }
  return out;
}

}  // namespace mc::bench
