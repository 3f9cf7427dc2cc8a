#pragma once
// The credentials the S3 store signs with: a cache in front of the provider chain, kept fresh by one
// background thread so uploaders never wait for the network while cached credentials are valid.
//
// The refresh rule. Temporary credentials fetched at F and expiring at E are used until
// E - min(expiry_skew, (E - F) / 2): 10 s before expiry, or closer for a set that arrives with under 20 s
// left (better than none; a request the server finds expired is retried after invalidate()). The next
// fetch is at the later of (E - refresh_margin) and the midpoint between F and that end of use, and never
// sooner than min_backoff after F. So an hour-long set is refreshed 5 min before it expires, a 6-min set
// after ~3 min, and a provider that keeps serving the same set until it rotates it (IMDS, the container
// agent) is asked again at halving intervals. Long-term keys are fetched once. A failed fetch is retried
// after 1 s, 2 s, 4 s ... 60 s (never later than the end of use of the cached set, which stays in use
// meanwhile). A set already expired on arrival counts as a failed fetch.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include <spdlog/logger.h>

#include "aws/credential_providers.hpp"
#include "aws/credentials.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"

namespace mc {

struct RefreshOptions {
  std::chrono::seconds refresh_margin{300};
  std::chrono::seconds expiry_skew{10};  // a request signed now must still be valid when it arrives
  std::chrono::seconds min_backoff{1};
  std::chrono::seconds max_backoff{60};
  std::chrono::seconds max_wait{10};  // the longest current() blocks when no valid credentials exist
  // invalidate() this soon after a successful fetch is ignored: uploaders that were rejected with the old
  // credentials report one after another, and the fresh set must not be thrown away for each.
  std::chrono::seconds invalidate_debounce{5};
  // Expirations are wall-clock times and the clock is injected, so waiting threads read it again at
  // least this often (a clock step or a suspended VM is noticed within it).
  std::chrono::milliseconds recheck_interval{1'000};
};

using SystemTime = std::chrono::system_clock::time_point;

// Until when credentials fetched at `fetched` and expiring at `expiration` are handed out (see the rule
// above).
SystemTime end_of_use(SystemTime fetched, SystemTime expiration, const RefreshOptions& options);

// When to fetch again after a fetch at `now` returned credentials expiring at `expiration` (see the rule
// above); nullopt for long-term credentials.
std::optional<SystemTime> next_refresh_time(SystemTime now, std::optional<SystemTime> expiration,
                                            const RefreshOptions& options);

// The wait after the `failures`-th failure in a row (1-based): min_backoff doubled, capped at max_backoff.
std::chrono::seconds refresh_backoff(int failures, const RefreshOptions& options);

class RefreshingCredentials final : public CredentialsSource {
 public:
  // Starts the refresh thread, which fetches at once. The clock must outlive this object.
  RefreshingCredentials(std::unique_ptr<CredentialsProvider> provider, const Clock& clock, RefreshOptions options = {});
  // Stops the thread; waits for a fetch in progress, which the HTTP timeouts bound.
  ~RefreshingCredentials() override;
  RefreshingCredentials(const RefreshingCredentials&) = delete;
  RefreshingCredentials& operator=(const RefreshingCredentials&) = delete;

  // Cached credentials while valid. Otherwise waits up to max_wait for a fetch: the last error at once
  // when it was kFatal (including "no provider configured"), kRetryable when the wait ran out.
  Result<AwsCredentials> current() override;
  // Drops the cached credentials and fetches now (see invalidate_debounce).
  void invalidate() override;

  // Times the refresh thread found no fetch due and went back to waiting. Once it moved twice past a
  // value read after the clock moved, the thread has seen that clock and fetched if a fetch was due,
  // so a test can tell "no fetch yet" without sleeping.
  std::uint64_t idle_passes() const { return idle_passes_.load(std::memory_order_relaxed); }

 private:
  void run(const std::stop_token& stop);
  void record_locked(Result<std::optional<AwsCredentials>> result, SystemTime now);
  void record_failure_locked(Status error, SystemTime now);
  bool usable_locked(SystemTime now) const;
  SystemTime system_now() const;

  std::unique_ptr<CredentialsProvider> provider_;
  const Clock& clock_;
  const RefreshOptions options_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex mutex_;
  std::condition_variable_any changed_;  // a fetch finished, or a refresh was requested
  std::optional<AwsCredentials> cached_;
  std::optional<SystemTime> cached_until_;  // nullopt: long-term
  std::chrono::steady_clock::time_point fetched_at_;
  std::optional<SystemTime> next_fetch_;  // nullopt: only when requested
  bool fetch_requested_ = true;
  int failures_ = 0;  // in a row
  Status last_error_;

  std::atomic<std::uint64_t> idle_passes_{0};

  std::jthread thread_;  // last: stopped and joined before the members it uses go away
};

}  // namespace mc
