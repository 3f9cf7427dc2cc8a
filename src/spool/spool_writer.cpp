#include "spool/spool_writer.hpp"

#include <algorithm>
#include <system_error>
#include <thread>

#include "common/file_util.hpp"
#include "common/log.hpp"

namespace mc {

SpoolWriter::SpoolWriter(const SpoolLayout& layout, const RouteTable& routes, const SpoolWriterSettings& settings,
                         const Clock& clock, Metrics& metrics, ClosedPartHandler on_closed, RecordGate* gate,
                         const FileOpener& opener)
    : fsync_interval_(settings.fsync_interval),
      open_dir_(layout.open_dir()),
      min_free_bytes_(settings.rotation.min_free_bytes),
      clock_(clock),
      metrics_(metrics),
      log_(make_logger("spool")),
      gate_(gate),
      on_closed_(std::move(on_closed)),
      queue_(settings.max_queued_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(layout.open_dir(), ec);
  if (ec) log_->error("cannot create the open-part directory dir={} error=\"{}\"", layout.open_dir().string(), ec.message());
  writers_.reserve(routes.routes().size());
  for (std::uint32_t index = 0; index < routes.routes().size(); ++index) {
    auto collect = [this, index](const PartName& name, const std::filesystem::path& file,
                                 std::optional<PartStats> stats) {
      closed_.push_back({name, {file, gate_ != nullptr ? gate_->take_notes(index) : PartNotes{}, std::move(stats)}});
    };
    writers_.push_back(std::make_unique<RotatingWriter>(layout, routes.routes()[index], settings.rotation, clock,
                                                        metrics, std::move(collect), opener));
    if (gate_ != nullptr) {
      writers_.back()->on_dropped_lines([this, index](std::string_view lines) { gate_->unwritten(index, lines); });
    }
  }
  thread_ = std::jthread([this] { run(); });
}

SpoolWriter::~SpoolWriter() { stop(); }

void SpoolWriter::stop() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

// Errors of the writers are ignored here on purpose: each writer has already counted and logged
// them, and the thread must go on writing the other routes.
void SpoolWriter::run() {
  std::vector<RecordBatch> batches;
  auto next_sync = clock_.steady_now() + fsync_interval_;
  bool more = true;
  while (more) {
    // Sampled before the drain, so every record pushed before now_us is written before tick(now_us)
    // may close its window.
    const std::int64_t now_us = clock_.system_now_us();
    // The queue waits on real time; the clock (fake in tests) only decides how long.
    more = queue_.pop(batches, std::chrono::steady_clock::now() + sleep_time(now_us, next_sync));

    std::size_t records = 0;
    for (const RecordBatch& batch : batches) {
      write_batch(batch);
      records += batch.records.size();
    }
    if (gate_ != nullptr) gate_->tick();
    for (auto& writer : writers_) static_cast<void>(writer->flush());

    const bool sync_due = fsync_interval_ == std::chrono::seconds::zero() || clock_.steady_now() >= next_sync;
    if (sync_due) {
      for (auto& writer : writers_) static_cast<void>(writer->sync());
      next_sync = clock_.steady_now() + fsync_interval_;
    }
    for (auto& writer : writers_) static_cast<void>(writer->tick(now_us));
    hand_on_closed_parts(sync_due);
    // A small batch means the thread would otherwise wake, and write(2), once per message: let a
    // few more arrive. Costs at most kBatchLinger of latency to the page cache.
    if (more && records > 0 && records < kLingerBelowBatch) std::this_thread::sleep_for(kBatchLinger);
  }
  for (auto& writer : writers_) static_cast<void>(writer->close(CloseReason::kShutdown));
  hand_on_closed_parts(true);
}

void SpoolWriter::write_batch(const RecordBatch& batch) {
  std::uint64_t unknown_routes = 0;
  batch.for_each([&](const RecordMeta& record, std::string_view line) {
    if (record.route >= writers_.size()) {
      ++unknown_routes;
      return;
    }
    if (gate_ != nullptr && !gate_->admit(record)) return;
    std::optional<TradeFacts> trade;
    if (record.facts_as_stored && record.trade_id >= 0) trade = TradeFacts{record.trade_id, record.event_time_ms};
    static_cast<void>(writers_[record.route]->append(record.recv_us, line, trade));
  });
  if (unknown_routes > 0) {
    count_drop(metrics_, DropReason::kUnknownRoute, unknown_routes);
    log_->error("records with an unknown route dropped count={}", unknown_routes);
  }
}

// Every writer was flushed (a closed part also fdatasynced) before this runs, so the gate's checkpoint
// covers each line of the parts handed on.
void SpoolWriter::hand_on_closed_parts(bool synced) {
  if (gate_ != nullptr && (synced || !closed_.empty())) gate_->checkpoint();
  for (ClosedPart& part : closed_) on_closed_(part.name, std::move(part.job));
  closed_.clear();
}

bool SpoolWriter::has_room() const { return min_free_bytes_ == 0 || has_free_space(open_dir_, min_free_bytes_); }

std::chrono::microseconds SpoolWriter::sleep_time(std::int64_t now_us,
                                                  std::chrono::steady_clock::time_point next_sync) const {
  std::chrono::microseconds sleep = kMaxWriterSleep;
  for (const auto& writer : writers_) {
    if (const auto end = writer->open_window_end_us()) {
      sleep = std::min(sleep, std::chrono::microseconds(std::max<std::int64_t>(0, *end - now_us)));
    }
  }
  if (fsync_interval_ > std::chrono::seconds::zero()) {
    const auto until_sync = std::chrono::duration_cast<std::chrono::microseconds>(next_sync - clock_.steady_now());
    sleep = std::min(sleep, std::max(std::chrono::microseconds::zero(), until_sync));
  }
  return sleep;
}

}  // namespace mc
