#pragma once
// One writer per route (symbol × stream, or a quarantine): appends lines to at most one open part
// file, LOCAL_DIR/open/<open_key>, and closes it when the rotation rule says so (docs/S3_LAYOUT.md
// "Rotation"):
//   - a record from another window (later, or earlier after the clock stepped back) closes the part
//     before it is appended, so a part never holds two windows;
//   - the line that takes the part to ROT_BYTES or beyond is its last (a part exceeds ROT_BYTES by
//     less than one line; a line longer than ROT_BYTES makes a one-line part);
//   - tick() closes the part once the clock passed its window end, traffic or not.
// A part file is created only with its first line, so there are no empty parts. A closed part is
// flushed and handed to on_closed with its descriptor still open: making it durable is the owner's
// job (SpoolWriter), which can then do it for many parts at once.
//
// Write errors never throw and never stop the process: the lines that could not be written are
// dropped, counted (records_dropped, write_errors) and logged, the part stays open and the next
// flush tries again, so writing resumes by itself when a full disk gets space back. The file only
// ever holds whole lines: a write cut short is truncated back to the last complete line.
//
// Not thread-safe: the writer thread owns it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "common/clock.hpp"
#include "spool/spool_metrics.hpp"
#include "common/record.hpp"
#include "common/status.hpp"
#include "spool/free_space.hpp"
#include "keys/part_name.hpp"
#include "spool/part_stats.hpp"
#include "spool/spool_layout.hpp"
#include "spool/writer_file.hpp"

namespace mc {

enum class CloseReason { kWindow, kSize, kClockStep, kShutdown, kWriteError, kDelisted };
const char* to_string(CloseReason reason);

// A closed part's file in open/: every line written, not necessarily synced.
struct ClosedPartFile {
  std::filesystem::path path;
  UniqueFd fd;               // still open, for the owner's fdatasync
  bool data_synced = false;  // every byte was fdatasynced already
  bool name_synced = false;  // open/ was fsynced since the file was created
};

// Receives every closed, non-empty part: its name, its file and what the writer counted of its lines
// (nullopt when that is not exact: lines were dropped, or a data line came without its trade's facts;
// the sealer then scans the file). Runs on the writer thread, so it must return quickly (queue the
// part, do not seal it here); the part must be made durable before anything relies on its lines.
using PartClosedCallback =
    std::function<void(const PartName& name, ClosedPartFile file, std::optional<PartStats> stats)>;

struct RotationSettings {
  std::string prefix = "raw/";     // S3_PREFIX
  std::string instance_id;         // INSTANCE_ID
  std::uint64_t rot_bytes = 2097152;  // ROT_BYTES
  std::uint32_t rot_secs = 5;      // the route's window: ROT_SECS or its ROT_SECS_OVERRIDES entry; at least 1
  // Free space the writers leave in the spool's file system (0: no check). Sealing writes the gzip
  // part before it deletes the open file: if the writers filled the disk, nothing could be sealed
  // and the spool would stay full for good.
  std::uint64_t min_free_bytes = 0;
};

// Lines are buffered up to this size between flushes, so one big batch does not double in memory.
inline constexpr std::size_t kWriteBufferBytes = std::size_t{1} << 20;
// At most one error log line per writer per interval while writes keep failing.
inline constexpr std::chrono::seconds kErrorLogInterval{10};

class RotatingWriter {
 public:
  // Throws std::invalid_argument when rot_secs is 0 (a start-up configuration error). space: the
  // free-space check shared with the other writers of the thread; null: the writer makes its own
  // from settings.min_free_bytes.
  RotatingWriter(SpoolLayout layout, Route route, RotationSettings settings, const Clock& clock, WriterMetrics metrics,
                 PartClosedCallback on_closed, FileOpener opener = create_part_file,
                 std::shared_ptr<FreeSpaceCheck> space = nullptr);
  // Writes what is buffered and leaves an open part in open/ for recovery; owners close() first.
  ~RotatingWriter();
  RotatingWriter(const RotatingWriter&) = delete;
  RotatingWriter& operator=(const RotatingWriter&) = delete;

  // Appends one line ('\n' added if missing) received at recv_us (UTC epoch µs), opening and
  // closing parts as the rotation rule says. An error means the line was dropped and counted. A
  // trade line's facts let the part's manifest numbers be counted here instead of parsed at sealing.
  Status append(std::int64_t recv_us, std::string_view line, const std::optional<TradeFacts>& trade = std::nullopt);
  // write(2)s the buffered lines.
  Status flush();
  // Called with every line dropped after append() was called with it (no part could be opened, or
  // its write failed), each '\n'-terminated, so whoever counted them as written can count them as
  // missing again.
  void on_dropped_lines(std::function<void(std::string_view lines)> handler) { on_dropped_lines_ = std::move(handler); }
  // fdatasync of the open part's unsynced lines (counted in writer_fdatasyncs).
  Status sync_data();
  bool needs_data_sync() const { return part_ && part_->synced_bytes != part_->file_bytes; }
  // Whether open/ needs an fsync for the open part's name to survive a power loss.
  bool needs_name_sync() const { return part_ && !part_->directory_synced; }
  // What the owner made durable for the open part: every line written so far (syncfs), its name.
  void data_made_durable();
  void name_made_durable();
  // Closes the open part if now_us is at or past its window end.
  Status tick(std::int64_t now_us);
  // Closes the open part, if any: flush, then on_closed.
  Status close(CloseReason reason);

  std::optional<PartName> open_part() const;
  const Route& route() const { return route_; }
  std::optional<std::int64_t> open_window_end_us() const;  // end of the open part's window

 private:
  struct OpenPart {
    PartName name;
    std::filesystem::path path;
    UniqueFd fd;
    std::int64_t window = 0;
    std::uint64_t bytes = 0;         // lines appended and not dropped: the part's uncompressed size
    std::uint64_t lines = 0;
    std::uint64_t file_bytes = 0;    // whole lines written to the file
    std::uint64_t synced_bytes = 0;  // of which fdatasynced
    bool directory_synced = false;
    bool torn = false;  // a torn line could not be truncated away: the part must end here
    // What the writer counted of the part's lines; gone once it cannot describe the file exactly
    // (a line dropped, a data line without its trade's facts): the sealer then parses the file.
    std::optional<PartTally> tally;
  };

  Status open_new_part(std::int64_t recv_us, std::int64_t window);
  bool name_taken(const PartName& name) const;
  Status write_buffer();
  Status drop_unwritten(std::size_t written, int error);
  Status close_part(CloseReason reason);
  void report_failure(const Status& status, std::uint64_t dropped_lines);

  SpoolLayout layout_;
  Route route_;
  RotationSettings settings_;
  const Clock& clock_;
  WriterMetrics metrics_;
  PartClosedCallback on_closed_;
  std::function<void(std::string_view lines)> on_dropped_lines_;
  FileOpener opener_;
  std::shared_ptr<spdlog::logger> log_;

  std::optional<OpenPart> part_;
  std::shared_ptr<FreeSpaceCheck> space_;
  std::string buffer_;
  std::optional<std::int64_t> last_epoch_ms_;  // of this writer's previous part: names strictly increase

  // Error logs are rate limited; the drop count runs until writes succeed again.
  std::uint64_t dropped_while_failing_ = 0;
  std::optional<std::chrono::steady_clock::time_point> last_error_log_;
};

}  // namespace mc
