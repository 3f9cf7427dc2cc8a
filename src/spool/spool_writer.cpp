#include "spool/spool_writer.hpp"

#include <algorithm>
#include <system_error>
#include <thread>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/thread_name.hpp"

namespace mc {
namespace {

RotationSettings rotation_for(const SpoolWriterSettings& settings, const Route& route) {
  RotationSettings rotation = settings.rotation;
  if (route.kind != PartKind::kData) return rotation;
  if (const auto window = settings.data_rot_secs.find(route.symbol); window != settings.data_rot_secs.end()) {
    rotation.rot_secs = window->second;
  }
  return rotation;
}

}  // namespace

SpoolWriter::SpoolWriter(const SpoolLayout& layout, const RouteTable& routes, const SpoolWriterSettings& settings,
                         const Clock& clock, WriterMetrics metrics, ClosedPartHandler on_closed, RecordGate* gate,
                         const FileOpener& opener)
    : fsync_interval_(settings.fsync_interval),
      open_dir_(layout.open_dir()),
      min_free_bytes_(settings.rotation.min_free_bytes),
      clock_(clock),
      metrics_(metrics),
      log_(make_logger("spool")),
      gate_(gate),
      on_closed_(std::move(on_closed)),
      queue_(settings.max_queued_bytes),
      layout_(layout),
      opener_(opener),
      rotation_(settings.rotation) {
  std::error_code ec;
  std::filesystem::create_directories(layout.open_dir(), ec);
  if (ec) log_->error("cannot create the open-part directory dir={} error=\"{}\"", layout.open_dir().string(), ec.message());
  writers_.reserve(routes.routes().size());
  space_ = std::make_shared<FreeSpaceCheck>(layout.open_dir(), settings.rotation.min_free_bytes, clock);
  for (const Route& route : routes.routes()) add_writer(route, rotation_for(settings, route));
  thread_ = std::jthread([this] {
    name_this_thread("mc-writer");
    run();
  });
}

SpoolWriter::~SpoolWriter() { stop(); }

void SpoolWriter::add_writer(const Route& route, const RotationSettings& rotation) {
  const auto index = static_cast<std::uint32_t>(writers_.size());
  auto collect = [this, index](const PartName& name, ClosedPartFile file, std::optional<PartStats> stats) {
    closed_.push_back(
        {name, std::move(file), gate_ != nullptr ? gate_->take_notes(index) : PartNotes{}, std::move(stats)});
  };
  writers_.push_back(std::make_unique<RotatingWriter>(layout_, route, rotation, clock_, metrics_, std::move(collect),
                                                      opener_, space_));
  if (gate_ != nullptr) {
    writers_.back()->on_dropped_lines([this, index](std::string_view lines) { gate_->unwritten(index, lines); });
  }
}

void SpoolWriter::add_symbol(const std::string& symbol, std::uint32_t data_rot_secs) {
  RotationSettings data = rotation_;
  data.rot_secs = data_rot_secs;
  const std::lock_guard lock(changes_mutex_);
  added_.push_back({{PartKind::kData, "trade", symbol}, data});
  added_.push_back({{PartKind::kQuarantine, "trade", symbol}, rotation_});
  changes_.store(true, std::memory_order_release);
}

void SpoolWriter::end_symbol(std::size_t symbol_index) {
  const std::lock_guard lock(changes_mutex_);
  ended_.push_back(symbol_index);
  changes_.store(true, std::memory_order_release);
}

void SpoolWriter::apply_symbol_changes() {
  if (!changes_.load(std::memory_order_acquire)) return;
  std::vector<AddedRoute> added;
  std::vector<std::size_t> ended;
  {
    const std::lock_guard lock(changes_mutex_);
    added.swap(added_);
    ended.swap(ended_);
    changes_.store(false, std::memory_order_relaxed);
  }
  for (const AddedRoute& route : added) add_writer(route.route, route.rotation);
  for (const std::size_t symbol : ended) {
    for (const std::uint32_t route : {RouteTable::data_route(symbol), RouteTable::quarantine_route(symbol)}) {
      if (route >= writers_.size()) continue;
      const std::optional<PartName> open = writers_[route]->open_part();
      static_cast<void>(writers_[route]->close(CloseReason::kDelisted));
      if (route == RouteTable::data_route(symbol)) {
        log_->info("writer ended symbol={} reason=delisted last_part={}", writers_[route]->route().symbol,
                   open ? "sealing" : "none open");
      }
    }
  }
}

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
    more = queue_.pop(batches, real_deadline_after(sleep_time(now_us, next_sync)));
    // After the pop: a listing's routes were added before any of its records was pushed.
    apply_symbol_changes();

    std::size_t records = 0;
    for (const RecordBatch& batch : batches) {
      write_batch(batch);
      records += batch.records.size();
    }
    if (gate_ != nullptr) gate_->tick();
    for (auto& writer : writers_) static_cast<void>(writer->flush());

    for (auto& writer : writers_) static_cast<void>(writer->tick(now_us));
    const bool sync_due = fsync_interval_ == std::chrono::seconds::zero() || clock_.steady_now() >= next_sync;
    make_durable(sync_due);
    if (sync_due) next_sync = clock_.steady_now() + fsync_interval_;
    hand_on_closed_parts(sync_due);
    turns_.fetch_add(1, std::memory_order_relaxed);
    // A small batch means the thread would otherwise wake, and write(2), once per message: let a
    // few more arrive. Costs at most kBatchLinger of latency to the page cache.
    if (more && records > 0 && records < kLingerBelowBatch) std::this_thread::sleep_for(kBatchLinger);
  }
  for (auto& writer : writers_) static_cast<void>(writer->close(CloseReason::kShutdown));
  make_durable(false);
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
    count_drop(metrics_.records, DropReason::kUnknownRoute, unknown_routes);
    log_->error("records with an unknown route dropped count={}", unknown_routes);
  }
}

void SpoolWriter::make_durable(bool open_parts_too) {
  std::size_t files = 0;
  bool names = false;
  for (const ClosedPart& part : closed_) {
    files += part.file.data_synced ? 0 : 1;
    names = names || !part.file.name_synced;
  }
  if (open_parts_too) {
    for (const auto& writer : writers_) {
      files += writer->needs_data_sync() ? 1 : 0;
      names = names || writer->needs_name_sync();
    }
  }
  if (files == 0 && !names) return;
  // A failed syncfs does not say which file failed: then each is synced on its own, and reports.
  if (files >= kGroupSyncFiles && sync_all_files()) return;
  sync_file_by_file(open_parts_too, names);
}

// After a syncfs every write made so far is durable, the open parts' included, due or not.
bool SpoolWriter::sync_all_files() {
  if (Status synced = sync_file_system(open_dir_); !synced) {
    report_sync_failure(synced);
    return false;
  }
  bump(metrics_.spool.writer_syncfs);
  for (ClosedPart& part : closed_) part.file.data_synced = part.file.name_synced = true;
  for (auto& writer : writers_) {
    writer->data_made_durable();
    writer->name_made_durable();
  }
  return true;
}

void SpoolWriter::sync_file_by_file(bool open_parts_too, bool names) {
  for (ClosedPart& part : closed_) {
    if (part.file.data_synced) continue;
    Status synced = sync_part_data(part.file.fd, part.file.path, metrics_.spool);
    part.file.data_synced = synced.is_ok();
    if (!synced) report_sync_failure(synced);
  }
  if (open_parts_too) {
    for (auto& writer : writers_) static_cast<void>(writer->sync_data());  // each reports its own failure
  }
  if (!names) return;
  if (Status synced = fsync_directory(open_dir_); !synced) {
    report_sync_failure(synced);
    return;
  }
  for (ClosedPart& part : closed_) part.file.name_synced = true;
  for (auto& writer : writers_) writer->name_made_durable();
}

void SpoolWriter::report_sync_failure(const Status& status) {
  bump(metrics_.spool.write_errors);
  if (const std::uint64_t failures = sync_failure_log_.admit(clock_.steady_now()); failures > 0) {
    log_->error("spool sync failed; a power loss could take lines not yet sealed failures={} error=\"{}\"", failures,
                status.message());
  }
}

// The parts and lines the checkpoint covers were made durable first (make_durable), except where a
// sync failed: that is counted and logged, and the part is sealed from the page cache all the same.
void SpoolWriter::hand_on_closed_parts(bool synced) {
  if (gate_ != nullptr && (synced || !closed_.empty())) gate_->checkpoint();
  for (ClosedPart& part : closed_) {
    if (Status closed = part.file.fd.close(part.file.path.string()); !closed) report_sync_failure(closed);
    on_closed_(part.name, SealJob{std::move(part.file.path), std::move(part.notes), std::move(part.stats)});
  }
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
