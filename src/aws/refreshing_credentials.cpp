#include "aws/refreshing_credentials.hpp"

#include <algorithm>
#include <ctime>
#include <utility>

#include <fmt/chrono.h>

#include "common/log.hpp"

namespace mc {
namespace {

constexpr const char* kNothingConfigured =
    "no AWS credentials configured: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_WEB_IDENTITY_TOKEN_FILE "
    "and AWS_ROLE_ARN, or keys in a shared credentials profile, or a container credentials URI, or run on EC2 "
    "with an instance profile and IMDS enabled";

std::string iso_time(SystemTime time) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(time)));
}

long long seconds_between(SystemTime from, SystemTime to) {
  return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

}  // namespace

SystemTime end_of_use(SystemTime fetched, SystemTime expiration, const RefreshOptions& options) {
  if (expiration <= fetched) return expiration;
  return expiration - std::min<SystemTime::duration>(options.expiry_skew, (expiration - fetched) / 2);
}

std::optional<SystemTime> next_refresh_time(SystemTime now, std::optional<SystemTime> expiration,
                                            const RefreshOptions& options) {
  if (!expiration) return std::nullopt;
  const SystemTime earliest = now + options.min_backoff;
  const SystemTime until = end_of_use(now, *expiration, options);
  if (until <= now) return earliest;
  const SystemTime before_margin = *expiration - options.refresh_margin;
  const SystemTime midpoint = now + (until - now) / 2;
  return std::max({before_margin, midpoint, earliest});
}

std::chrono::seconds refresh_backoff(int failures, const RefreshOptions& options) {
  constexpr int kMaxDoublings = 20;  // far past any cap; keeps the shift defined
  const int doublings = std::clamp(failures - 1, 0, kMaxDoublings);
  return std::min(options.min_backoff * (std::int64_t{1} << doublings), options.max_backoff);
}

RefreshingCredentials::RefreshingCredentials(std::unique_ptr<CredentialsProvider> provider, const Clock& clock,
                                             RefreshOptions options)
    : provider_(std::move(provider)), clock_(clock), options_(options), log_(make_logger("aws")),
      thread_([this](const std::stop_token& stop) { run(stop); }) {}

RefreshingCredentials::~RefreshingCredentials() {
  thread_.request_stop();
  thread_.join();
}

SystemTime RefreshingCredentials::system_now() const {
  return SystemTime(std::chrono::microseconds(clock_.system_now_us()));
}

bool RefreshingCredentials::usable_locked(SystemTime now) const {
  return cached_ && (!cached_until_ || now < *cached_until_);
}

Result<AwsCredentials> RefreshingCredentials::current() {
  std::unique_lock lock(mutex_);
  const auto deadline = clock_.steady_now() + options_.max_wait;
  while (true) {
    if (usable_locked(system_now())) return *cached_;
    if (!last_error_.is_ok() && last_error_.kind() == ErrorKind::kFatal) return last_error_;
    if (clock_.steady_now() >= deadline) {
      return Status::retryable("no valid AWS credentials after waiting " + std::to_string(options_.max_wait.count()) +
                               " s" + (last_error_.is_ok() ? "" : ": " + last_error_.message()));
    }
    changed_.wait_for(lock, options_.recheck_interval);
  }
}

void RefreshingCredentials::invalidate() {
  std::lock_guard lock(mutex_);
  // Without cached credentials a fetch is already under way or scheduled by the backoff.
  if (!cached_ || clock_.steady_now() - fetched_at_ < options_.invalidate_debounce) return;
  log_->info("credentials rejected by the server, fetching new ones: provider={} key={}", cached_->provider,
             redact_access_key(cached_->access_key_id));
  cached_.reset();
  cached_until_.reset();
  fetch_requested_ = true;
  changed_.notify_all();
}

void RefreshingCredentials::run(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    // The schedule counts from the start of the attempt, which a slow provider cannot push back.
    const SystemTime started = system_now();
    const bool due = fetch_requested_ || (next_fetch_ && started >= *next_fetch_);
    if (!due) {
      std::chrono::milliseconds wait = options_.recheck_interval;
      if (next_fetch_) wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(*next_fetch_ - started));
      idle_passes_.fetch_add(1, std::memory_order_relaxed);
      changed_.wait_for(lock, stop, wait, [this] { return fetch_requested_; });
      continue;
    }
    fetch_requested_ = false;
    lock.unlock();
    Result<std::optional<AwsCredentials>> result = provider_->fetch();
    lock.lock();
    record_locked(std::move(result), started);
    changed_.notify_all();
  }
}

void RefreshingCredentials::record_locked(Result<std::optional<AwsCredentials>> result, SystemTime now) {
  if (!result) return record_failure_locked(result.status(), now);
  if (!*result) return record_failure_locked(Status::fatal(kNothingConfigured), now);
  AwsCredentials& fresh = **result;
  if (fresh.expiration && *fresh.expiration <= now) {
    return record_failure_locked(Status::retryable(fresh.provider + " returned credentials that expired at " +
                                                   iso_time(*fresh.expiration) + " (is the clock right?)"),
                                 now);
  }

  next_fetch_ = next_refresh_time(now, fresh.expiration, options_);
  if (fresh.expiration) {
    log_->info("credentials fetched: provider={} key={} expires={} next_refresh_in={}s", fresh.provider,
               redact_access_key(fresh.access_key_id), iso_time(*fresh.expiration),
               seconds_between(now, *next_fetch_));
  } else {
    log_->info("credentials fetched: provider={} key={} expires=never", fresh.provider,
               redact_access_key(fresh.access_key_id));
  }
  cached_until_.reset();
  if (fresh.expiration) cached_until_ = end_of_use(now, *fresh.expiration, options_);
  cached_ = std::move(fresh);
  fetched_at_ = clock_.steady_now();
  failures_ = 0;
  last_error_ = Status::ok();
}

void RefreshingCredentials::record_failure_locked(Status error, SystemTime now) {
  ++failures_;
  SystemTime retry_at = now + refresh_backoff(failures_, options_);
  const bool usable = usable_locked(now);
  if (usable && cached_until_) retry_at = std::min(retry_at, *cached_until_);
  next_fetch_ = retry_at;
  if (usable) {
    log_->warn("credentials refresh failed, cached ones stay in use: error={} kind={} retry_in={}s "
               "cached_usable_for={}",
               error.message(), to_string(error.kind()), seconds_between(now, retry_at),
               cached_until_ ? std::to_string(seconds_between(now, *cached_until_)) + "s" : "ever");
  } else {
    log_->error("no valid AWS credentials: error={} kind={} retry_in={}s failures={}", error.message(),
                to_string(error.kind()), seconds_between(now, retry_at), failures_);
  }
  last_error_ = std::move(error);
}

}  // namespace mc
