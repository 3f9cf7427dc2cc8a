#pragma once
// Moves sealed parts from the spool to the object store: PUT the part, then PUT its manifest, and
// only when both succeeded delete the part file, then the manifest file (spool_layout.hpp).
//
// Only what the manifest vouches for leaves: the part's bytes are hashed once per try, and that
// SHA-256 is compared with the manifest's payload.sha256 before the PUT and then sent with it
// (store/object_store.hpp). A part that does not match is never stored: when its open file is still in
// open/ it is sealed again (UploaderOptions::reseal) and the pair retried, otherwise the pair moves to
// rejected/. A part key that holds a different object in the store (the store never overwrites) moves
// the pair to a free epoch_ms (uploader_rekey.hpp), and it is stored there, beside the other object. A
// manifest key that holds another manifest while the part key holds this part means the part was sealed
// twice: the stored manifest is kept.
//
// Parts due together are stored together (at most kMaxStoreGroup, and no more than the queue's share
// of one thread, so the threads split a window's parts): every part's PUT, one store sync(), every
// manifest's PUT, one sync(), the stored marks raised with one flush, the part files deleted with one
// fsync of sealed/, then the manifest files. Each part passes through the states and order it has
// when stored alone (docs/SPOOL.md, "Uploading"); what one part's failure stops is that part's way on.
//
// Failures are retried forever: a few quick tries with exponential backoff (the seed's "3 retries"),
// then the same doubling capped at RetryPolicy::max_delay. A part that failed goes back into the
// queue with a "not before" time, so the parts behind it keep moving. Until both PUTs succeeded the
// files stay in the spool, so whatever is still queued at stop() is found again by the next start.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/clock.hpp"
#include "spool/spool_metrics.hpp"
#include "common/status.hpp"
#include "spool/spool_layout.hpp"
#include "store/object_store.hpp"

namespace spdlog {
class logger;
}

namespace mc {

// Parts waiting for upload, including those waiting out a backoff. Only paths are held, so the
// bound is about memory, not data: a refused part stays in sealed/, and once the queue has drained to
// half the bound the uploader lists sealed/ and takes back what it refused.
inline constexpr std::size_t kMaxQueuedParts = 100000;
// Parts one uploader thread stores together: a window's end of 1,000 symbols is 1,000 parts due at
// once, and a group shares its flushes.
inline constexpr std::size_t kMaxStoreGroup = 64;

struct RetryPolicy {
  int quick_tries = 3;  // failures logged one by one; after these, one log line per part per minute
  std::chrono::milliseconds quick_initial{200};  // delay after the first failure; doubles per failure
  std::chrono::milliseconds max_delay{60000};    // cap; also the delay after a kFatal error
  double jitter = 0.2;  // each delay is shortened by a random fraction in [0, jitter)
  std::uint64_t seed = 0;  // seeds the jitter; give each process its own so instances do not retry in step
};

// The delay before the next try after `failures` consecutive failures (1 for the first) of kind
// `kind`; `unit_random` in [0, 1) picks the jitter.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int failures, ErrorKind kind, double unit_random);

struct UploaderOptions {
  std::size_t threads = 1;  // at least one
  RetryPolicy retry;
  std::size_t max_queued_parts = kMaxQueuedParts;
  // Asked to seal this open file again: its sealed part does not match its manifest. Called on an
  // uploader thread, so it must only queue the work; the pair is retried after its backoff.
  std::function<void(const std::filesystem::path& open_file)> reseal;
};

class Uploader {
 public:
  // Starts the workers. store, clock and metrics must outlive the uploader.
  Uploader(ObjectStore& store, SpoolLayout spool, UploaderOptions options, const Clock& clock, UploadMetrics& metrics);
  ~Uploader();  // stop()
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Queues a part for upload now. A part already queued or in flight is ignored (start-up recovery
  // and the sealer may both report it). Refused after stop() or beyond max_queued_parts: counted,
  // logged, and left in the spool; a part refused for the bound is taken back as the queue drains.
  void enqueue(SealedPart part);

  // Waits until nothing is queued or in flight, or until the deadline on the clock's steady time.
  // Returns true when every queued part was uploaded (or dropped because its files vanished).
  bool drain(std::chrono::steady_clock::time_point deadline);

  // Wakes and joins the workers; a PUT in progress is finished first. Queued parts stay on disk.
  void stop();

  // Parts refused by enqueue() since construction.
  std::uint64_t refused() const;

 private:
  struct Entry {
    SealedPart part;
    std::chrono::steady_clock::time_point not_before{};
    std::uint64_t sequence = 0;  // FIFO among parts due at the same time
    int failures = 0;            // consecutive failed tries
    bool part_stored = false;    // the part's PUT succeeded; only the manifest is left
    std::chrono::steady_clock::time_point last_logged{};
    int suppressed_logs = 0;
  };
  struct DueLater {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.not_before != b.not_before ? a.not_before > b.not_before : a.sequence > b.sequence;
    }
  };
  enum class Outcome {
    kUploaded,
    kVanished,  // its files are gone
    kRejected,  // the part does not match its manifest: moved to rejected/
    kRekeyed,   // its key holds a different object: the pair has a new name, upload it now
    kFailed,    // try again after the backoff
  };
  struct Failure {
    std::string key;  // the object (or, for a spool read, the part) the failed step was about
    Status status;
    bool store_error = true;  // counted in upload_failures; false while a part waits to be sealed again
  };
  // One part's try within a group.
  struct Try {
    Entry entry;
    std::string queued_as;  // the part file it is known by (a rekey renames the pair)
    std::optional<Outcome> outcome;  // decided: the part goes no further in this group
    Failure failure;
    std::string manifest;  // the manifest file's bytes
    bool put_now = false;  // an object was put in the step running, not yet synced
  };

  bool enqueue_locked(SealedPart part);
  void push(Entry entry);
  // Under the lock, which it releases while it lists sealed/: queues the pairs refused earlier.
  void take_back_refused(std::unique_lock<std::mutex>& lock);
  void run(const std::stop_token& stop);
  // Under the lock: the parts due now that this thread stores together, first due first.
  std::vector<Try> take_group();
  // Run without the lock, each step for every part still on its way (docs/SPOOL.md, "Uploading").
  void upload(std::vector<Try>& group);
  // Reads the pair and checks it, PUTs the part.
  void put_part(Try& attempt, PutRequest::Durability durability);
  void put_manifest(Try& attempt, PutRequest::Durability durability);
  // The objects put in the step just done with `durability` become durable, or their parts fail.
  void sync_store(std::vector<Try>& group, PutRequest::Durability durability, bool parts);
  void raise_marks(std::vector<Try>& group);
  void remove_files(std::vector<Try>& group);
  // The part's bytes do not match what its manifest vouches for (`why`).
  Outcome unvouched(const SealedPart& part, const Status& why, bool open_file_present, Failure& failure);
  // A different object holds `failure.key`: moves the pair to a free name.
  Outcome rekey(Entry& entry, std::string_view manifest, Failure& failure);
  // Under the lock: counts the failure, logs it and queues the part again after its backoff.
  void reschedule(Entry entry, const Failure& failure);
  void log_failure(Entry& entry, const Failure& failure, std::chrono::milliseconds delay);
  // A listing of sealed/ counts as work: it may queue the parts the bound refused.
  bool idle() const { return queue_.empty() && in_flight_ == 0 && !listing_; }

  ObjectStore& store_;
  const SpoolLayout spool_;
  const Clock& clock_;
  UploadMetrics& metrics_;
  const RetryPolicy policy_;
  const std::size_t max_queued_;
  const std::size_t threads_;
  const std::function<void(const std::filesystem::path&)> reseal_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex marks_mutex_;  // serialises raising stored marks (two workers may finish parts of one writer)
  mutable std::mutex mutex_;
  std::condition_variable_any work_cv_;  // a part was queued, or stop
  std::condition_variable idle_cv_;      // the queue became empty with nothing in flight
  std::vector<Entry> queue_;  // a heap ordered by DueLater: the front is the part due first
  std::unordered_set<std::string> known_;  // part files queued or in flight
  std::size_t in_flight_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t generation_ = 0;  // bumped on every push so a waiting worker re-reads the queue's head
  std::uint64_t refused_ = 0;
  bool refused_in_sealed_ = false;  // the bound refused a part since sealed/ was last listed
  bool listing_ = false;            // a worker is listing sealed/
  bool stopped_ = false;
  std::mt19937_64 rng_;

  std::vector<std::jthread> workers_;  // last: joined before the members they use are destroyed
};

}  // namespace mc
