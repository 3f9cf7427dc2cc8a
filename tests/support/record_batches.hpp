#pragma once
// Batches of one record, for tests that push records one at a time.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.hpp"

namespace mc::testing {

// Appends one record to batch; a '\n' is added to its line when missing.
inline void add_record(RecordBatch& batch, const RecordMeta& meta, std::string_view line) {
  const std::size_t start = batch.lines.size();
  batch.lines.append(line);
  if (!line.ends_with('\n')) batch.lines.push_back('\n');
  batch.commit(meta, start);
}

inline RecordBatch one_record(std::uint32_t route, std::int64_t recv_us, std::string_view line,
                              std::int64_t trade_id = -1, std::int64_t event_time_ms = 0) {
  RecordBatch batch;
  add_record(batch, {.route = route, .recv_us = recv_us, .trade_id = trade_id, .event_time_ms = event_time_ms}, line);
  return batch;
}

// One record taken out of a batch, for assertions.
struct TakenRecord {
  std::uint32_t route = 0;
  std::int64_t recv_us = 0;
  std::int64_t trade_id = -1;
  std::int64_t event_time_ms = 0;
  bool facts_as_stored = false;
  std::string line;
};

inline void take_records(const RecordBatch& batch, std::vector<TakenRecord>& into) {
  batch.for_each([&into](const RecordMeta& meta, std::string_view line) {
    into.push_back(
        {meta.route, meta.recv_us, meta.trade_id, meta.event_time_ms, meta.facts_as_stored, std::string(line)});
  });
}

// sink.push() of a temporary batch.
inline bool push(RecordSink& sink, RecordBatch batch) { return sink.push(batch); }

}  // namespace mc::testing
