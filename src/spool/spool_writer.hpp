#pragma once
// The writer thread: drains the record queue into one RotatingWriter per route, flushes after every
// batch, makes the open parts durable every FSYNC_SECS and closes windows on time. The feed (and REST
// backfill) only ever see sink(), which never blocks.
//
// Durability is group-committed: each turn, the parts closed in it (and, when FSYNC_SECS is due,
// the open ones) are synced together before the checkpoint and the hand-off: an fdatasync per file
// and one fsync of open/ for any new names, or, from kGroupSyncFiles files on, one syncfs(2) for
// all of them. With 1,000 symbols a window's end closes 1,000 parts at once, and every second
// 1,000 open parts are due: one cache flush instead of a thousand.
//
// A window is closed by the timer only after the queue was drained at a time at or past the
// window's end, so records received before the end but still queued land in that window's part
// instead of opening a second part for the same window.
//
// An optional RecordGate (the trade ledger) sees every record before and after it is written. Closed
// parts go to on_closed on this thread, with the gate's notes, only after every writer was flushed and
// the gate had its checkpoint: a part never reaches the sealer (and so the store) before the gate's
// persisted state covers it.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "common/clock.hpp"
#include "common/log_limiter.hpp"
#include "spool/spool_metrics.hpp"
#include "common/record.hpp"
#include "spool/part_notes.hpp"
#include "spool/record_gate.hpp"
#include "spool/record_queue.hpp"
#include "spool/rotating_writer.hpp"
#include "spool/spool_layout.hpp"
#include "spool/writer_file.hpp"

namespace mc {

// Longest the thread sleeps without looking at the clock: bounds how late a window closes after
// the system clock stepped forward.
inline constexpr std::chrono::milliseconds kMaxWriterSleep{100};
// After a batch smaller than kLingerBelowBatch records the thread waits kBatchLinger before the next
// drain, so a fast feed is written in batches instead of one write(2) and one wake-up per message.
inline constexpr std::size_t kLingerBelowBatch = 256;
inline constexpr std::chrono::milliseconds kBatchLinger{10};
// From this many files to sync in one turn, one syncfs(2) replaces their fdatasyncs. Below it the
// files are synced one by one: a syncfs also writes whatever else is dirty on the file system.
inline constexpr std::size_t kGroupSyncFiles = 4;

struct SpoolWriterSettings {
  RotationSettings rotation;
  std::chrono::seconds fsync_interval{1};  // FSYNC_SECS; 0: after every batch
  std::size_t max_queued_bytes = kMaxQueuedBytes;
  // The window of a symbol's data parts where it is not rotation.rot_secs (ROT_SECS_OVERRIDES).
  // Quarantine parts always use rotation.rot_secs. Each route's writer keeps its own window, so the
  // per-record path looks nothing up.
  std::map<std::string, std::uint32_t, std::less<>> data_rot_secs;
};

// Receives each closed, non-empty part on the writer thread; must return quickly.
using ClosedPartHandler = std::function<void(const PartName& name, SealJob job)>;

class SpoolWriter {
 public:
  // Creates open/ if missing (a failure shows later as counted, logged write errors) and starts
  // the thread. Throws std::invalid_argument for rot_secs 0, like RotatingWriter.
  SpoolWriter(const SpoolLayout& layout, const RouteTable& routes, const SpoolWriterSettings& settings, const Clock& clock,
              WriterMetrics metrics, ClosedPartHandler on_closed, RecordGate* gate = nullptr,
              const FileOpener& opener = create_part_file);
  ~SpoolWriter();  // stop()
  SpoolWriter(const SpoolWriter&) = delete;
  SpoolWriter& operator=(const SpoolWriter&) = delete;

  // Where producers push. A refused push means the record is lost: the producer counts it.
  RecordSink& sink() { return queue_; }

  // Whether the spool's file system has the free space the writers keep (rotation.min_free_bytes):
  // a producer that can choose when to push (the REST backfill) waits while it has not. Any thread.
  bool has_room() const;

  // Turns of the thread's loop completed: each read the clock, wrote what was queued before, and
  // closed the windows that had ended by then. Once it moved twice past a value read after the clock
  // moved, the thread has acted on that clock, so a test can tell "nothing closed" without sleeping.
  std::uint64_t turns() const { return turns_.load(std::memory_order_relaxed); }

  // Refuses further records, writes what is queued, closes every open part (reason shutdown,
  // each reaching on_closed) and joins the thread. Idempotent.
  void stop();

  // SYMBOL=ALL, any thread: writers for a new listing's routes (RouteTable::add: its trade route with
  // data_rot_secs as its window, then its quarantine route), in place before the thread writes a record
  // pushed after this call.
  void add_symbol(const std::string& symbol, std::uint32_t data_rot_secs);
  // SYMBOL=ALL, any thread: the symbol was delisted. Its writers close their open parts (reason
  // "delisted") at the thread's next turn, which go to the sealer as any closed part, and a line
  // "writer ended" says so. A trade that was still on its way is written all the same, into a new part.
  void end_symbol(std::size_t symbol_index);

 private:
  struct ClosedPart {
    PartName name;
    ClosedPartFile file;
    PartNotes notes;  // the gate's, taken when the part closed
    std::optional<PartStats> stats;
  };

  void run();
  void write_batch(const RecordBatch& batch);
  // Makes the closed parts, and with open_parts_too the open ones, durable (see the top).
  void make_durable(bool open_parts_too);
  // Returns whether it worked; failures are counted and logged.
  bool sync_all_files();
  void sync_file_by_file(bool open_parts_too, bool names);
  void report_sync_failure(const Status& status);
  void hand_on_closed_parts(bool synced);
  std::chrono::microseconds sleep_time(std::int64_t now_us, std::chrono::steady_clock::time_point next_sync) const;

  const std::chrono::seconds fsync_interval_;
  const std::filesystem::path open_dir_;
  const std::uint64_t min_free_bytes_;
  const Clock& clock_;
  WriterMetrics metrics_;
  std::shared_ptr<spdlog::logger> log_;
  LogLimiter sync_failure_log_{kErrorLogInterval};
  RecordGate* const gate_;
  const ClosedPartHandler on_closed_;
  RecordQueue queue_;
  std::vector<ClosedPart> closed_;  // closed since the last hand-off; the writer thread's only
  std::vector<std::unique_ptr<RotatingWriter>> writers_;  // index = route
  std::atomic<std::uint64_t> turns_{0};

  // Run-time changes from other threads, applied by the thread at the start of each turn.
  struct AddedRoute {
    Route route;
    RotationSettings rotation;
  };
  void apply_symbol_changes();
  void add_writer(const Route& route, const RotationSettings& rotation);
  const SpoolLayout layout_;
  const FileOpener opener_;
  std::shared_ptr<FreeSpaceCheck> space_;
  const RotationSettings rotation_;  // quarantine routes' and the default data window
  std::mutex changes_mutex_;
  std::vector<AddedRoute> added_;         // guarded by changes_mutex_
  std::vector<std::size_t> ended_;        // symbol indexes; guarded by changes_mutex_
  std::atomic<bool> changes_{false};      // something in added_ or ended_: one load per turn otherwise

  std::jthread thread_;  // last: starts after everything it uses exists
};

}  // namespace mc
