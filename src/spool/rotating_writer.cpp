#include "spool/rotating_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "spool/stored_marks.hpp"
#include "spool/window.hpp"

namespace mc {
namespace {

// Bumps of epoch_ms while looking for a name no earlier part used; far more than any spool holds
// within a few seconds of one writer.
constexpr int kMaxNameAttempts = 1000;

const char* kind_name(PartKind kind) { return kind == PartKind::kData ? "data" : "quarantine"; }

bool path_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace

const char* to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::kWindow: return "window";
    case CloseReason::kSize: return "size";
    case CloseReason::kClockStep: return "clock_step";
    case CloseReason::kShutdown: return "shutdown";
    case CloseReason::kDelisted: return "delisted";
    case CloseReason::kWriteError: return "write_error";
  }
  return "unknown";
}

RotatingWriter::RotatingWriter(SpoolLayout layout, Route route, RotationSettings settings, const Clock& clock,
                               WriterMetrics metrics, PartClosedCallback on_closed, FileOpener opener,
                               std::shared_ptr<FreeSpaceCheck> space)
    : layout_(std::move(layout)),
      route_(std::move(route)),
      settings_(std::move(settings)),
      clock_(clock),
      metrics_(metrics),
      on_closed_(std::move(on_closed)),
      opener_(std::move(opener)),
      log_(make_logger("spool")),
      space_(space != nullptr ? std::move(space)
                              : std::make_shared<FreeSpaceCheck>(layout_.open_dir(), settings_.min_free_bytes, clock)) {
  if (settings_.rot_secs == 0) throw std::invalid_argument("ROT_SECS must be at least 1");
  // Parts of earlier runs that were stored and deleted are no longer in the spool to be checked
  // against: never name a part at or below what this writer already stored.
  last_epoch_ms_ = read_stored_mark(
      layout_.stored_mark(PartName{settings_.prefix, route_.kind, route_.stream, route_.symbol, settings_.instance_id}));
}

RotatingWriter::~RotatingWriter() { static_cast<void>(write_buffer()); }

Status RotatingWriter::append(std::int64_t recv_us, std::string_view line, const std::optional<TradeFacts>& trade) {
  const std::int64_t window = window_index(recv_us, settings_.rot_secs);
  if (part_ && window != part_->window) {
    // Failures while closing are counted and logged there; this line goes on regardless.
    static_cast<void>(close_part(window > part_->window ? CloseReason::kWindow : CloseReason::kClockStep));
  }
  if (!part_) {
    if (Status opened = open_new_part(recv_us, window); !opened) {
      report_failure(opened, 1);
      if (on_dropped_lines_) on_dropped_lines_(line.ends_with('\n') ? std::string(line) : std::string(line) + '\n');
      return opened;
    }
  }
  buffer_.append(line);
  std::uint64_t size = line.size();
  if (!line.ends_with('\n')) {
    buffer_ += '\n';
    ++size;
  }
  part_->bytes += size;
  ++part_->lines;
  if (route_.kind == PartKind::kData && !trade) part_->tally.reset();
  if (part_->tally) part_->tally->add_line(size, recv_us, trade);
  if (part_->bytes >= settings_.rot_bytes) return close_part(CloseReason::kSize);
  if (buffer_.size() >= kWriteBufferBytes) return flush();
  return Status::ok();
}

Status RotatingWriter::open_new_part(std::int64_t recv_us, std::int64_t window) {
  PartName name{settings_.prefix, route_.kind, route_.stream, route_.symbol, settings_.instance_id, recv_us / 1000};
  if (last_epoch_ms_ && name.epoch_ms <= *last_epoch_ms_) name.epoch_ms = *last_epoch_ms_ + 1;
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt, ++name.epoch_ms) {
    // A name still in the spool belongs to an earlier part (a restart with the clock behind).
    if (name_taken(name)) continue;
    std::filesystem::path path = layout_.open_file(name);
    Result<UniqueFd> fd = opener_(path);
    if (!fd) {
      if (path_exists(path)) continue;  // created by someone else between the check and the open
      return fd.status();
    }
    last_epoch_ms_ = name.epoch_ms;
    bump(metrics_.spool.parts_opened);
    log_->debug("part opened stream={} symbol={} kind={} epoch_ms={} file={}", name.stream, name.symbol,
                kind_name(name.kind), name.epoch_ms, path.string());
    part_ = OpenPart{.name = std::move(name), .path = std::move(path), .fd = std::move(*fd), .window = window,
                     .tally = PartTally(route_.kind)};
    return Status::ok();
  }
  return Status::retryable("no free part name near epoch_ms " + std::to_string(name.epoch_ms));
}

bool RotatingWriter::name_taken(const PartName& name) const {
  const SealedPart sealed = layout_.sealed(name);
  return path_exists(layout_.open_file(name)) || path_exists(sealed.part_file) || path_exists(sealed.manifest_file);
}

Status RotatingWriter::flush() {
  Status status = write_buffer();
  if (part_ && part_->torn) static_cast<void>(close_part(CloseReason::kWriteError));
  return status;
}

Status RotatingWriter::write_buffer() {
  if (!part_ || buffer_.empty()) return Status::ok();
  if (!space_->has_room()) return drop_unwritten(0, ENOSPC);
  std::size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::write(part_->fd.get(), buffer_.data() + written, buffer_.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      // write(2) returning 0 for a non-empty buffer makes no progress: treat it as an I/O error.
      return drop_unwritten(written, n < 0 ? errno : EIO);
    }
  }
  part_->file_bytes += written;
  bump(metrics_.spool.bytes_written, written);
  buffer_.clear();
  if (dropped_while_failing_ > 0) {
    log_->warn("writes resumed stream={} symbol={} kind={} dropped_lines={}", route_.stream, route_.symbol,
               kind_name(route_.kind), dropped_while_failing_);
    dropped_while_failing_ = 0;
  }
  return Status::ok();
}

Status RotatingWriter::drop_unwritten(std::size_t written, int error) {
  Status status = Status::from_errno(error, "write " + part_->path.string());
  // Keep whole lines only: the file is cut back to the end of the last line written completely.
  const std::size_t last_newline = std::string_view(buffer_.data(), written).rfind('\n');
  const std::size_t kept = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  if (kept < written && ::ftruncate(part_->fd.get(), static_cast<off_t>(part_->file_bytes + kept)) != 0) {
    report_failure(Status::from_errno(errno, "truncate torn line in " + part_->path.string()), 0);
    part_->torn = true;
  }
  const std::string_view dropped(buffer_.data() + kept, buffer_.size() - kept);
  const auto dropped_lines = static_cast<std::uint64_t>(std::count(dropped.begin(), dropped.end(), '\n'));
  part_->file_bytes += kept;
  part_->bytes -= buffer_.size() - kept;
  part_->lines -= dropped_lines;
  part_->tally.reset();  // it counted the dropped lines
  bump(metrics_.spool.bytes_written, kept);
  if (on_dropped_lines_ && !dropped.empty()) on_dropped_lines_(dropped);
  buffer_.clear();
  report_failure(status, dropped_lines);
  return status;
}

Status RotatingWriter::sync_data() {
  if (!needs_data_sync()) return Status::ok();
  Status status = sync_part_data(part_->fd, part_->path, metrics_.spool);
  if (!status) {
    report_failure(status, 0);
    return status;
  }
  part_->synced_bytes = part_->file_bytes;
  return status;
}

void RotatingWriter::data_made_durable() {
  if (part_) part_->synced_bytes = part_->file_bytes;
}

void RotatingWriter::name_made_durable() {
  if (part_) part_->directory_synced = true;
}

Status RotatingWriter::tick(std::int64_t now_us) {
  if (part_ && now_us >= window_end_us(part_->window, settings_.rot_secs)) return close_part(CloseReason::kWindow);
  return Status::ok();
}

Status RotatingWriter::close(CloseReason reason) { return close_part(reason); }

Status RotatingWriter::close_part(CloseReason reason) {
  if (!part_) return Status::ok();
  Status status = write_buffer();
  OpenPart part = std::move(*part_);
  part_.reset();

  if (part.file_bytes == 0) {
    // Every line was dropped (disk full): no empty parts.
    if (Status closed = part.fd.close(part.path.string()); !closed) report_failure(closed, 0);
    if (Status removed = remove_file(part.path); !removed) report_failure(removed, 0);
    log_->warn("part discarded, nothing could be written reason={} stream={} symbol={} kind={} file={}",
               to_string(reason), part.name.stream, part.name.symbol, kind_name(part.name.kind), part.path.string());
    return status;
  }
  log_->debug("part closed reason={} stream={} symbol={} kind={} epoch_ms={} lines={} bytes={} file={}",
              to_string(reason), part.name.stream, part.name.symbol, kind_name(part.name.kind), part.name.epoch_ms,
              part.lines, part.file_bytes, part.path.string());
  std::optional<PartStats> stats;
  if (part.tally) stats = std::move(*part.tally).finish();
  on_closed_(part.name,
             ClosedPartFile{.path = std::move(part.path),
                            .fd = std::move(part.fd),
                            .data_synced = part.synced_bytes == part.file_bytes,
                            .name_synced = part.directory_synced},
             std::move(stats));
  return status;
}

void RotatingWriter::report_failure(const Status& status, std::uint64_t dropped_lines) {
  bump(metrics_.spool.write_errors);
  count_drop(metrics_.records, DropReason::kWriteFailed, dropped_lines);
  dropped_while_failing_ += dropped_lines;
  const auto now = clock_.steady_now();
  if (last_error_log_ && now - *last_error_log_ < kErrorLogInterval) return;
  last_error_log_ = now;
  log_->error("{} stream={} symbol={} kind={} dropped_lines={} dropped_until_now={} error=\"{}\"",
              status.kind() == ErrorKind::kNoSpace ? "DISK FULL, records dropped" : "spool write failed",
              route_.stream, route_.symbol, kind_name(route_.kind), dropped_lines, dropped_while_failing_,
              status.message());
}

std::optional<PartName> RotatingWriter::open_part() const {
  if (!part_) return std::nullopt;
  return part_->name;
}

std::optional<std::int64_t> RotatingWriter::open_window_end_us() const {
  if (!part_) return std::nullopt;
  return window_end_us(part_->window, settings_.rot_secs);
}

}  // namespace mc
