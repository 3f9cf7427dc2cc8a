// The per-message hot path: a trade message in, its output line and classification out.
#include <benchmark/benchmark.h>

#include "bench/trade_lines.hpp"
#include "feed/record_builder.hpp"

namespace {

void BM_BuildTradeLine(benchmark::State& state) {
  mc::RecordBuilder builder({"BTCUSDT", "ETHUSDT"});
  const std::string message = mc::bench::trade_message(4'619'270'193, 1'739'141'030'001);
  std::string line;
  std::int64_t recv_us = 1'739'141'030'001'517;
  for (auto _ : state) {
    line.clear();
    const mc::MessageInfo info = builder.build(message, mc::Frame::kText, recv_us++, line);
    benchmark::DoNotOptimize(info);
    benchmark::DoNotOptimize(line.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildTradeLine);

// As the router uses it: a fresh line string per message, moved into the queue.
void BM_BuildTradeLineFreshString(benchmark::State& state) {
  mc::RecordBuilder builder({"BTCUSDT", "ETHUSDT"});
  const std::string message = mc::bench::trade_message(4'619'270'193, 1'739'141'030'001);
  std::int64_t recv_us = 1'739'141'030'001'517;
  for (auto _ : state) {
    std::string line;
    const mc::MessageInfo info = builder.build(message, mc::Frame::kText, recv_us++, line);
    benchmark::DoNotOptimize(info);
    benchmark::DoNotOptimize(line.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildTradeLineFreshString);

void BM_QuarantineNotJson(benchmark::State& state) {
  mc::RecordBuilder builder({"BTCUSDT"});
  const std::string message(300, 'x');
  std::string line;
  for (auto _ : state) {
    line.clear();
    benchmark::DoNotOptimize(builder.build(message, mc::Frame::kText, 1, line));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuarantineNotJson);

}  // namespace
