#include "spool/uploader.hpp"

#include <algorithm>
#include <utility>
#include <system_error>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/sha256.hpp"
#include "common/thread_name.hpp"
#include "spool/rejected.hpp"
#include "spool/spool_recovery.hpp"
#include "spool/stored_marks.hpp"
#include "spool/uploader_manifest.hpp"
#include "spool/uploader_rekey.hpp"

namespace mc {

static_assert(static_cast<std::size_t>(ErrorKind::kAlreadyExists) + 1 == kErrorKinds, "kErrorKindNames follows ErrorKind");

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// After the quick tries, a part that keeps failing logs at most this often.
constexpr std::chrono::minutes kFailureLogInterval{1};
// Refusals come in floods when the queue is full; log the first and then one in this many.
constexpr std::uint64_t kRefusalLogEvery = 1000;

// A read failed because the file is gone (an operator removed it), not because reading failed.
bool vanished(const fs::path& path) {
  std::error_code ec;
  return !fs::exists(path, ec) && !ec;
}

// What the manifest vouches for, against the part's key and its bytes' SHA-256.
Status check_vouched(const SealedPart& part, std::string_view manifest, const std::string& part_sha256) {
  Result<VouchedPayload> payload = read_vouched_payload(manifest);
  if (!payload) return payload.status();
  if (payload->s3_key != part.name.part_key()) {
    return Status::corrupt("the manifest names another part: payload.s3_key " + payload->s3_key);
  }
  if (payload->sha256 != part_sha256) {
    return Status::corrupt("sha256 mismatch: the manifest vouches for " + payload->sha256 + ", the part's bytes have " +
                           part_sha256);
  }
  return Status::ok();
}

}  // namespace

milliseconds retry_delay(const RetryPolicy& policy, int failures, ErrorKind kind, double unit_random) {
  milliseconds delay = policy.max_delay;
  // A fatal error waits for an operator (permissions, configuration): no point trying quickly.
  if (kind != ErrorKind::kFatal) {
    delay = policy.quick_initial;
    for (int i = 1; i < failures && delay < policy.max_delay; ++i) delay *= 2;
    delay = std::min(delay, policy.max_delay);
  }
  const double fraction = std::clamp(policy.jitter, 0.0, 1.0) * std::clamp(unit_random, 0.0, 1.0);
  return delay - std::chrono::duration_cast<milliseconds>(delay * fraction);
}

Uploader::Uploader(ObjectStore& store, SpoolLayout spool, UploaderOptions options, const Clock& clock, UploadMetrics& metrics)
    : store_(store),
      spool_(std::move(spool)),
      clock_(clock),
      metrics_(metrics),
      policy_(options.retry),
      max_queued_(std::max<std::size_t>(options.max_queued_parts, 1)),
      threads_(std::max<std::size_t>(options.threads, 1)),
      reseal_(std::move(options.reseal)),
      log_(make_logger("store")),
      rng_(options.retry.seed) {
  workers_.reserve(threads_);
  for (std::size_t i = 0; i < threads_; ++i) {
    workers_.emplace_back([this, i](const std::stop_token& stop) {
      name_this_thread("mc-store-" + std::to_string(i + 1));
      run(stop);
    });
  }
}

Uploader::~Uploader() { stop(); }

void Uploader::enqueue(SealedPart part) {
  std::lock_guard lock(mutex_);
  static_cast<void>(enqueue_locked(std::move(part)));
}

bool Uploader::enqueue_locked(SealedPart part) {
  std::string file = part.part_file.string();
  if (known_.contains(file)) return true;
  if (stopped_) {
    ++refused_;
    log_->debug("upload refused after stop, left in the spool: key={}", part.name.part_key());
    return false;
  }
  if (queue_.size() >= max_queued_) {
    ++refused_;
    refused_in_sealed_ = true;
    bump(metrics_.upload_queue_refused);
    if ((refused_ - 1) % kRefusalLogEvery == 0) {
      log_->error("upload queue full, part left in sealed/ until the queue drains to half: key={} refused_total={} "
                  "queued={}",
                  part.name.part_key(), refused_, queue_.size());
    }
    return false;
  }
  known_.insert(std::move(file));
  push(Entry{.part = std::move(part), .not_before = clock_.steady_now()});
  return true;
}

void Uploader::take_back_refused(std::unique_lock<std::mutex>& lock) {
  listing_ = true;
  refused_in_sealed_ = false;
  lock.unlock();
  Result<std::vector<SealedPart>> pairs = list_sealed_pairs(spool_);
  lock.lock();
  listing_ = false;
  if (!pairs) {
    refused_in_sealed_ = true;  // the next part done tries again
    log_->error("cannot list sealed/ to take back refused parts: {}", pairs.status().message());
    return;
  }
  std::size_t taken = 0;
  for (SealedPart& part : *pairs) {
    if (known_.contains(part.part_file.string())) continue;
    if (!enqueue_locked(std::move(part))) break;  // full again: the refusal set the flag
    ++taken;
  }
  if (taken > 0) {
    log_->info("took back parts the full queue had left in sealed/: parts={} queued={}", taken, queue_.size());
  }
}

bool Uploader::drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  // Stopped workers make no progress: waiting for them would only run out the clock.
  const auto done = [this] { return idle() || stopped_; };
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    idle_cv_.wait(lock, done);
  } else {
    // The deadline is on the injected clock; the wait runs on the real one.
    idle_cv_.wait_for(lock, deadline - clock_.steady_now(), done);
  }
  return idle();
}

void Uploader::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  for (std::jthread& worker : workers_) worker.request_stop();
  for (std::jthread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  idle_cv_.notify_all();
}

std::uint64_t Uploader::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

void Uploader::push(Entry entry) {
  entry.sequence = next_sequence_++;
  queue_.push_back(std::move(entry));
  std::ranges::push_heap(queue_, DueLater{});
  ++generation_;
  // Every waiting worker re-reads the head: the new part may be due before the one it waits for.
  work_cv_.notify_all();
}

void Uploader::run(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (queue_.empty()) {
      work_cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      continue;
    }
    const auto wait = queue_.front().not_before - clock_.steady_now();
    if (wait > std::chrono::steady_clock::duration::zero()) {
      const std::uint64_t seen = generation_;
      work_cv_.wait_for(lock, stop, wait, [&] { return generation_ != seen; });
      continue;
    }
    std::vector<Try> group = take_group();
    in_flight_ += group.size();
    lock.unlock();
    upload(group);
    lock.lock();
    in_flight_ -= group.size();
    for (Try& attempt : group) {
      const Outcome outcome = attempt.outcome.value_or(Outcome::kUploaded);
      if (outcome == Outcome::kFailed) {
        reschedule(std::move(attempt.entry), attempt.failure);
      } else if (outcome == Outcome::kRekeyed) {
        known_.erase(attempt.queued_as);
        known_.insert(attempt.entry.part.part_file.string());
        attempt.entry.not_before = clock_.steady_now();
        push(std::move(attempt.entry));
      } else {
        known_.erase(attempt.queued_as);
      }
    }
    if (refused_in_sealed_ && !listing_ && !stopped_ && queue_.size() <= max_queued_ / 2) take_back_refused(lock);
    if (idle()) idle_cv_.notify_all();
  }
}

std::vector<Uploader::Try> Uploader::take_group() {
  // A thread's share of what is queued: the other threads take the rest, so a window's end is stored
  // by all of them at once (with S3 each PUT is a round trip, and a group's PUTs run one by one).
  const std::size_t share = (queue_.size() + threads_ - 1) / threads_;
  const std::size_t limit = std::clamp<std::size_t>(share, 1, kMaxStoreGroup);
  const auto now = clock_.steady_now();
  std::vector<Try> group;
  while (!queue_.empty() && group.size() < limit && queue_.front().not_before <= now) {
    std::ranges::pop_heap(queue_, DueLater{});
    std::string queued_as = queue_.back().part.part_file.string();
    group.push_back(Try{.entry = std::move(queue_.back()), .queued_as = std::move(queued_as)});
    queue_.pop_back();
  }
  return group;
}

void Uploader::upload(std::vector<Try>& group) {
  // One part alone keeps the store's own flush per object (an fsync of one directory), which costs
  // less than a sync of the whole file system.
  const auto durability = group.size() > 1 ? PutRequest::Durability::kAtSync : PutRequest::Durability::kOnReturn;
  for (Try& attempt : group) put_part(attempt, durability);
  sync_store(group, durability, true);
  for (Try& attempt : group) {
    if (!attempt.outcome) put_manifest(attempt, durability);
  }
  sync_store(group, durability, false);
  raise_marks(group);
  remove_files(group);
}

void Uploader::put_part(Try& attempt, PutRequest::Durability durability) {
  Entry& entry = attempt.entry;
  const SealedPart& part = entry.part;
  const std::string part_key = part.name.part_key();
  const std::string manifest_key = part.name.manifest_key();
  const auto fail = [&attempt](std::string key, Status status) {
    attempt.failure = {std::move(key), std::move(status)};
    attempt.outcome = Outcome::kFailed;
  };
  // Looked at before the part is read: a seal renames its pair before it removes the open file, so
  // with the open file gone now, the bytes read below are the last the sealer will write there.
  const bool open_file_present = !vanished(spool_.open_file(part.name));

  // Both files are read before the first PUT, so a part whose manifest is gone is not stored alone.
  Result<std::string> part_bytes = std::string();
  if (!entry.part_stored) {
    part_bytes = read_file(part.part_file);
    if (!part_bytes) {
      if (vanished(part.part_file)) {
        log_->warn("part file vanished from the spool, dropped from the upload queue: key={} file={}", part_key,
                   part.part_file.string());
        attempt.outcome = Outcome::kVanished;
        return;
      }
      return fail(part_key, part_bytes.status());
    }
  }
  Result<std::string> manifest_bytes = read_file(part.manifest_file);
  if (!manifest_bytes) {
    if (vanished(part.manifest_file)) {
      log_->warn("manifest file vanished from the spool, part dropped from the upload queue: key={} file={}",
                 manifest_key, part.manifest_file.string());
      attempt.outcome = Outcome::kVanished;
      return;
    }
    return fail(manifest_key, manifest_bytes.status());
  }
  attempt.manifest = std::move(manifest_bytes).value();
  if (entry.part_stored) return;  // a later try only needs the manifest: the part is not sent twice

  // The one SHA-256 of the part per try: checked against the manifest, then sent with the PUT.
  Result<std::string> sha = sha256_hex(*part_bytes);
  if (!sha) return fail(part_key, sha.status());
  if (Status vouched = check_vouched(part, attempt.manifest, *sha); !vouched) {
    attempt.outcome = unvouched(part, vouched, open_file_present, attempt.failure);
    return;
  }
  Status stored = store_.put(PutRequest{.key = part_key, .body = *part_bytes, .content_type = "application/gzip",
                                        .sha256_hex = *sha, .source_file = part.part_file, .durability = durability});
  if (!stored) {
    attempt.failure = {part_key, stored.with_context(store_.describe())};
    attempt.outcome =
        stored.kind() == ErrorKind::kAlreadyExists ? rekey(entry, attempt.manifest, attempt.failure) : Outcome::kFailed;
    return;
  }
  bump(metrics_.bytes_uploaded, part_bytes->size());
  attempt.put_now = true;
}

void Uploader::put_manifest(Try& attempt, PutRequest::Durability durability) {
  const SealedPart& part = attempt.entry.part;
  const std::string manifest_key = part.name.manifest_key();
  Result<std::string> sha = sha256_hex(attempt.manifest);
  if (!sha) {
    attempt.failure = {manifest_key, sha.status()};
    attempt.outcome = Outcome::kFailed;
    return;
  }
  Status stored =
      store_.put(PutRequest{.key = manifest_key, .body = attempt.manifest, .content_type = "application/json",
                            .sha256_hex = *sha, .source_file = part.manifest_file, .durability = durability});
  if (stored) {
    bump(metrics_.bytes_uploaded, attempt.manifest.size());
    attempt.put_now = true;
    return;
  }
  if (stored.kind() != ErrorKind::kAlreadyExists) {
    attempt.failure = {manifest_key, stored.with_context(store_.describe())};
    attempt.outcome = Outcome::kFailed;
    return;
  }
  // The part under its key is this one (its PUT succeeded), so this part was sealed twice: a crash
  // after the first seal's pair was stored and before its open file was removed. The manifest there
  // is the first seal's, for the same bytes (and with the writer's notes, which a second seal by
  // start-up recovery lacks): it stays, and storing the part again under a new key would only
  // store its records twice.
  log_->warn("manifest key already holds a manifest for this part (sealed twice); the stored one is kept: key={} "
             "error=\"{}\"",
             manifest_key, stored.message());
}

void Uploader::sync_store(std::vector<Try>& group, PutRequest::Durability durability, bool parts) {
  const bool deferred =
      durability == PutRequest::Durability::kAtSync && std::ranges::any_of(group, &Try::put_now);
  const Status synced = deferred ? store_.sync() : Status::ok();
  for (Try& attempt : group) {
    if (!std::exchange(attempt.put_now, false)) continue;
    if (synced) {
      // The part is durable in the store: a later try only needs the manifest.
      if (parts) attempt.entry.part_stored = true;
      continue;
    }
    const SealedPart& part = attempt.entry.part;
    attempt.failure = {parts ? part.name.part_key() : part.name.manifest_key(), synced};
    attempt.outcome = Outcome::kFailed;
  }
}

void Uploader::raise_marks(std::vector<Try>& group) {
  std::vector<Try*> stored;
  std::vector<StoredPart> marks;
  for (Try& attempt : group) {
    if (attempt.outcome) continue;
    bump(metrics_.uploads_ok);
    stored.push_back(&attempt);
    marks.push_back({&attempt.entry.part, attempt.manifest});
  }
  if (stored.empty()) return;
  metrics_.last_upload_unix_seconds.store(clock_.system_now_us() / 1'000'000, std::memory_order_relaxed);
  // The marks first: once the files are gone, they are all that keeps a later part from these keys.
  std::vector<Status> marked;
  {
    const std::lock_guard mark_lock(marks_mutex_);
    marked = raise_stored_marks(marks);
  }
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (marked[i]) continue;
    stored[i]->failure = {stored[i]->entry.part.name.part_key(), marked[i].with_context("raise the stored mark")};
    stored[i]->outcome = Outcome::kFailed;
  }
}

void Uploader::remove_files(std::vector<Try>& group) {
  // Parts first, made durable before the manifests go: a manifest left without its part means
  // "already uploaded" to the next start, while a part left alone would be rejected as broken.
  std::vector<Try*> removed;
  for (Try& attempt : group) {
    if (attempt.outcome) continue;
    const SealedPart& part = attempt.entry.part;
    if (Status gone = remove_file(part.part_file); !gone) {
      log_->error("uploaded but could not delete the part file; it will be uploaded again next start: key={} "
                  "error={} message={}",
                  part.name.part_key(), to_string(gone.kind()), gone.message());
      continue;
    }
    removed.push_back(&attempt);
  }
  if (removed.empty()) return;
  // Every pair lives in sealed/ (a rekey renames it there): one fsync makes all the unlinks durable.
  if (Status synced = fsync_directory(spool_.sealed_dir()); !synced) {
    log_->error("uploaded but could not sync the deletion of part files; they may be uploaded again next start: "
                "parts={} error={} message={}",
                removed.size(), to_string(synced.kind()), synced.message());
    return;
  }
  for (const Try* attempt : removed) {
    const SealedPart& part = attempt->entry.part;
    if (Status gone = remove_file(part.manifest_file); !gone) {
      log_->error("uploaded but could not delete the manifest file: key={} error={} message={}",
                  part.name.manifest_key(), to_string(gone.kind()), gone.message());
    }
  }
}

Uploader::Outcome Uploader::unvouched(const SealedPart& part, const Status& why, bool open_file_present,
                                      Failure& failure) {
  bump(metrics_.upload_sha256_mismatches);
  const std::string part_key = part.name.part_key();
  if (open_file_present) {
    // The open file still holds the records: sealing it again writes a part its manifest vouches for.
    const std::filesystem::path open_file = spool_.open_file(part.name);
    log_->error("SEALED PART DOES NOT MATCH ITS MANIFEST, not uploaded; sealing its open file again: key={} file={} "
                "error=\"{}\"",
                part_key, open_file.string(), why.message());
    if (reseal_) reseal_(open_file);
    failure = {part_key, why, false};
    return Outcome::kFailed;
  }
  Result<std::filesystem::path> part_to = move_to_rejected(spool_, part.part_file);
  Result<std::filesystem::path> manifest_to =
      part_to ? move_to_rejected(spool_, part.manifest_file) : Result<std::filesystem::path>(part_to.status());
  if (!manifest_to) {
    failure = {part_key, manifest_to.status().with_context("move a part that does not match its manifest to rejected/")};
    return Outcome::kFailed;
  }
  bump(metrics_.parts_rejected);
  log_->error("SEALED PART DOES NOT MATCH ITS MANIFEST, not uploaded; no open file to seal it from, moved to "
              "rejected/ with its manifest: key={} part={} manifest={} error=\"{}\"",
              part_key, part_to->string(), manifest_to->string(), why.message());
  return Outcome::kRejected;
}

Uploader::Outcome Uploader::rekey(Entry& entry, std::string_view manifest, Failure& failure) {
  bump(metrics_.store_key_conflicts);
  const std::string taken_key = failure.key;
  Result<SealedPart> moved = move_to_free_epoch(spool_, entry.part, manifest);
  if (!moved) {
    log_->error("KEY HOLDS A DIFFERENT OBJECT, not overwritten; the pair could not be moved to a free epoch_ms and is "
                "retried: key={} error=\"{}\" move_error=\"{}\"",
                taken_key, failure.status.message(), moved.status().message());
    failure.status = moved.status();
    return Outcome::kFailed;
  }
  log_->error("KEY HOLDS A DIFFERENT OBJECT, not overwritten; both are kept, this part is stored under a new "
              "epoch_ms: key={} new_part_key={} error=\"{}\"",
              taken_key, moved->name.part_key(), failure.status.message());
  entry.part = std::move(moved).value();
  entry.part_stored = false;
  return Outcome::kRekeyed;
}

void Uploader::reschedule(Entry entry, const Failure& failure) {
  ++entry.failures;
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  const milliseconds delay = retry_delay(policy_, entry.failures, failure.status.kind(), unit);
  entry.not_before = clock_.steady_now() + delay;
  log_failure(entry, failure, delay);
  push(std::move(entry));
  // Last, so an observer that sees the count also sees the part queued again.
  if (failure.store_error) {
    bump(metrics_.store_errors_by_class[static_cast<std::size_t>(failure.status.kind())]);
    bump(metrics_.upload_failures);
  }
}

void Uploader::log_failure(Entry& entry, const Failure& failure, milliseconds delay) {
  const auto now = clock_.steady_now();
  const bool quick = entry.failures <= policy_.quick_tries;
  if (!quick && now - entry.last_logged < kFailureLogInterval) {
    ++entry.suppressed_logs;
    return;
  }
  // Permission and configuration errors need an operator; transient ones need one only if they last.
  const auto level = quick && failure.status.kind() != ErrorKind::kFatal ? spdlog::level::warn : spdlog::level::err;
  log_->log(level, "upload failed: key={} attempt={} error={} next_retry_ms={} suppressed={} message={}", failure.key,
            entry.failures, to_string(failure.status.kind()), delay.count(), entry.suppressed_logs,
            failure.status.message());
  entry.last_logged = now;
  entry.suppressed_logs = 0;
}

}  // namespace mc
