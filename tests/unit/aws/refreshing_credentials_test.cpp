#include "aws/refreshing_credentials.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <future>
#include <sstream>
#include <thread>

#include "support/eventually.hpp"
#include "support/fake_clock.hpp"

namespace mc {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using FetchResult = Result<std::optional<AwsCredentials>>;

SystemTime system_time(const Clock& clock) { return SystemTime(std::chrono::microseconds(clock.system_now_us())); }


// A provider whose answers the test sets, counting fetches, with a gate to hold a fetch in progress.
class FakeProvider final : public CredentialsProvider {
 public:
  using Answer = std::function<FetchResult(int fetch_number)>;

  std::string_view name() const override { return "fake"; }

  FetchResult fetch() override {
    std::unique_lock lock(mutex_);
    const int number = ++fetches_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return gate_open_; });
    const Answer answer = answer_;
    lock.unlock();
    return answer(number);
  }

  void set_answer(Answer answer) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }
  int fetches() {
    std::lock_guard lock(mutex_);
    return fetches_;
  }
  void set_gate(bool open) {
    std::lock_guard lock(mutex_);
    gate_open_ = open;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  Answer answer_;
  int fetches_ = 0;
  bool gate_open_ = true;
};

class RefreshingCredentialsTest : public ::testing::Test {
 protected:
  // Temporary credentials numbered by fetch, valid for `lifetime` from the (fake) time of the fetch.
  FakeProvider::Answer temporary(std::chrono::seconds lifetime) {
    return [this, lifetime](int n) -> FetchResult {
      return std::optional<AwsCredentials>(AwsCredentials{
          .access_key_id = "ASIATEMPORARYKEY" + std::to_string(1000 + n),
          .secret_access_key = "secret-number-" + std::to_string(n),
          .session_token = "session-token-" + std::to_string(n),
          .expiration = system_time(clock_) + lifetime,
          .provider = "fake",
      });
    };
  }
  static FakeProvider::Answer failing(const Status& status) {
    return [status](int) -> FetchResult { return status; };
  }

  // Waits until the refresh thread looked at the (moved) clock after this call and found nothing due:
  // one pass may have read the clock before the call, the second did not.
  void let_thread_run() {
    const std::uint64_t passes = source_->idle_passes();
    ASSERT_TRUE(eventually([&] { return source_->idle_passes() >= passes + 2; }));
  }

  void start(FakeProvider::Answer answer) {
    auto provider = std::make_unique<FakeProvider>();
    provider->set_answer(std::move(answer));
    provider_ = provider.get();
    source_ = std::make_unique<RefreshingCredentials>(std::move(provider), clock_, options_);
  }

  std::string current_key() {
    Result<AwsCredentials> credentials = source_->current();
    EXPECT_TRUE(credentials) << credentials.status().message();
    return credentials ? credentials->access_key_id : "";
  }

  testing::FakeClock clock_;
  RefreshOptions options_{.recheck_interval = 1ms};
  FakeProvider* provider_ = nullptr;
  std::unique_ptr<RefreshingCredentials> source_;
};

TEST(RefreshScheduleTest, FollowsTheStatedRule) {
  const RefreshOptions options;
  const SystemTime now = SystemTime(std::chrono::hours(500'000));
  EXPECT_EQ(next_refresh_time(now, std::nullopt, options), std::nullopt);
  // An hour-long set: 5 min before expiry.
  EXPECT_EQ(next_refresh_time(now, now + 1h, options), now + 55min);
  // A 6-min set: halfway to its end of use (expiry - 10 s).
  EXPECT_EQ(next_refresh_time(now, now + 6min, options), now + 175s);
  // The same set asked for again 5 min before expiry: halfway again, not at once.
  EXPECT_EQ(next_refresh_time(now, now + 5min, options), now + 145s);
  // Short sets: the skew shrinks to half the lifetime, the refresh comes halfway to the end of use.
  EXPECT_EQ(next_refresh_time(now, now + 20s, options), now + 5s);
  EXPECT_EQ(next_refresh_time(now, now + 11s, options), now + 2750ms);
  // Almost or already expired: no sooner than min_backoff.
  EXPECT_EQ(next_refresh_time(now, now + 3s, options), now + 1s);
  EXPECT_EQ(next_refresh_time(now, now - 1h, options), now + 1s);
}

TEST(RefreshScheduleTest, EndOfUseIsTenSecondsBeforeExpiryOrHalfTheLifetime) {
  const RefreshOptions options;
  const SystemTime now = SystemTime(std::chrono::hours(500'000));
  EXPECT_EQ(end_of_use(now, now + 1h, options), now + 1h - 10s);
  EXPECT_EQ(end_of_use(now, now + 20s, options), now + 10s);
  EXPECT_EQ(end_of_use(now, now + 6s, options), now + 3s);
  EXPECT_EQ(end_of_use(now, now - 1s, options), now - 1s);
}

// IMDS and the integration tests' fake serve one set until it expires, then mint the next: walking the
// schedule against such a provider, credentials must be usable nearly all the time.
TEST(RefreshScheduleTest, AProviderThatRotatesOnlyAtExpiryLeavesGapsUnderASecond) {
  const RefreshOptions options;
  const auto lifetime = 15s;
  SystemTime now = SystemTime(std::chrono::hours(500'000));
  SystemTime expiration = now + lifetime;
  SystemTime usable_until = now;
  std::chrono::milliseconds longest_gap{0};
  int fetches = 0;
  const SystemTime stop = now + 5min;
  while (now < stop) {
    if (now >= expiration) expiration = now + lifetime;  // the provider mints a new set
    ++fetches;
    if (now > usable_until) {
      longest_gap = std::max(longest_gap, std::chrono::duration_cast<std::chrono::milliseconds>(now - usable_until));
    }
    usable_until = end_of_use(now, expiration, options);
    now = *next_refresh_time(now, expiration, options);
  }
  EXPECT_LT(longest_gap, 1s);
  EXPECT_LT(fetches, 5 * 60);  // about ten per set, not one per second
}

TEST(RefreshScheduleTest, BackoffDoublesUpToTheCap) {
  const RefreshOptions options;
  std::vector<long> waits;
  for (int failures = 1; failures <= 9; ++failures) waits.push_back(refresh_backoff(failures, options).count());
  EXPECT_EQ(waits, (std::vector<long>{1, 2, 4, 8, 16, 32, 60, 60, 60}));
  EXPECT_EQ(refresh_backoff(1000, options), 60s);
}

TEST_F(RefreshingCredentialsTest, LongTermCredentialsAreFetchedOnceAndServedFromTheCache) {
  start([](int) -> FetchResult {
    return std::optional<AwsCredentials>(
        AwsCredentials{.access_key_id = "AKIALONGTERMKEY1", .secret_access_key = "s", .provider = "environment"});
  });
  for (int i = 0; i < 100; ++i) EXPECT_EQ(current_key(), "AKIALONGTERMKEY1");
  clock_.advance(24h * 30);
  let_thread_run();
  EXPECT_EQ(current_key(), "AKIALONGTERMKEY1");
  EXPECT_EQ(provider_->fetches(), 1);
}

TEST_F(RefreshingCredentialsTest, RefreshesFiveMinutesBeforeExpiry) {
  start(temporary(1h));
  EXPECT_EQ(current_key(), "ASIATEMPORARYKEY1001");
  clock_.advance(54min);
  let_thread_run();
  EXPECT_EQ(provider_->fetches(), 1);
  clock_.advance(1min);
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 2; }));
  ASSERT_TRUE(eventually([&] { return current_key() == "ASIATEMPORARYKEY1002"; }));
}

TEST_F(RefreshingCredentialsTest, SeveralExpiriesInARowKeepProducingFreshCredentials) {
  start(temporary(15min));  // STS's shortest session
  ASSERT_EQ(current_key(), "ASIATEMPORARYKEY1001");
  // Each step jumps past the refresh point; valid credentials must be served after every one. The
  // next jump waits for the refresh to be stored: the fake mints after counting the fetch, and a
  // jump in between would date the credentials ten minutes after the attempt that asked for them.
  for (int step = 1; step <= 12; ++step) {
    clock_.advance(10min);
    const std::string fetched = "ASIATEMPORARYKEY" + std::to_string(1001 + step);
    ASSERT_TRUE(eventually([&] { return current_key() == fetched; })) << step << ": " << current_key();
    Result<AwsCredentials> credentials = source_->current();
    ASSERT_TRUE(credentials) << credentials.status().message();
    EXPECT_GT(*credentials->expiration, system_time(clock_) + 4min);
  }
  EXPECT_EQ(provider_->fetches(), 13);
}

TEST_F(RefreshingCredentialsTest, CurrentDoesNotWaitForARefreshInProgress) {
  start(temporary(1h));
  ASSERT_EQ(current_key(), "ASIATEMPORARYKEY1001");
  provider_->set_gate(false);
  clock_.advance(56min);
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 2; }));
  // The refresh thread is now stuck inside fetch(); an uploader still gets the cached set at once.
  EXPECT_EQ(current_key(), "ASIATEMPORARYKEY1001");
  provider_->set_gate(true);
  ASSERT_TRUE(eventually([&] { return current_key() == "ASIATEMPORARYKEY1002"; }));
}

TEST_F(RefreshingCredentialsTest, FailuresKeepTheOldCredentialsUntilExpiryWithCappedBackoff) {
  start(temporary(1h));
  ASSERT_EQ(current_key(), "ASIATEMPORARYKEY1001");
  provider_->set_answer(failing(Status::retryable("imds: connect timeout")));

  clock_.advance(55min);  // the refresh is due and fails
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 2; }));
  EXPECT_EQ(current_key(), "ASIATEMPORARYKEY1001");
  // Retries after 1 s, then 2 s, then 4 s.
  clock_.advance(1s);
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 3; }));
  clock_.advance(1s);
  let_thread_run();
  EXPECT_EQ(provider_->fetches(), 3);
  clock_.advance(1s);
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 4; }));
  clock_.advance(4s);
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 5; }));
  EXPECT_EQ(current_key(), "ASIATEMPORARYKEY1001");

  // Past the end of use of the old set: current() waits up to max_wait, then says why.
  clock_.advance(5min);
  auto waiting = std::async(std::launch::async, [&] { return source_->current(); });
  EXPECT_EQ(waiting.wait_for(50ms), std::future_status::timeout);
  clock_.advance(11s);
  const Result<AwsCredentials> none = waiting.get();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().kind(), ErrorKind::kRetryable);
  EXPECT_NE(none.status().message().find("imds: connect timeout"), std::string::npos) << none.status().message();

  // The provider recovers: the next retry (at most 60 s away) brings fresh credentials.
  provider_->set_answer(temporary(1h));
  clock_.advance(60s);
  ASSERT_TRUE(eventually([&] {
    Result<AwsCredentials> credentials = source_->current();
    return credentials && credentials->access_key_id != "ASIATEMPORARYKEY1001";
  }));
}

TEST_F(RefreshingCredentialsTest, InvalidateFetchesAtOnceButNotTwiceInARow) {
  start(temporary(1h));
  ASSERT_EQ(current_key(), "ASIATEMPORARYKEY1001");
  clock_.advance(10s);
  source_->invalidate();
  EXPECT_EQ(current_key(), "ASIATEMPORARYKEY1002");  // not the rejected set, even though it has not expired
  EXPECT_EQ(provider_->fetches(), 2);

  // Other uploaders rejected with the old set report too: the fresh set is kept.
  source_->invalidate();
  source_->invalidate();
  let_thread_run();
  EXPECT_EQ(provider_->fetches(), 2);
  EXPECT_EQ(current_key(), "ASIATEMPORARYKEY1002");
}

TEST_F(RefreshingCredentialsTest, AlreadyExpiredCredentialsAreNotServed) {
  start(temporary(-5s));
  auto waiting = std::async(std::launch::async, [&] { return source_->current(); });
  ASSERT_TRUE(eventually([&] { return provider_->fetches() >= 1; }));
  let_thread_run();  // the refused set is recorded as the last error
  clock_.advance(11s);
  const Result<AwsCredentials> result = waiting.get();
  ASSERT_FALSE(result);
  EXPECT_NE(result.status().message().find("fake returned credentials that expired at"), std::string::npos)
      << result.status().message();
}

TEST_F(RefreshingCredentialsTest, FatalErrorsAreReturnedWithoutWaiting) {
  start(failing(Status::fatal("environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")));
  const Result<AwsCredentials> result = source_->current();  // no fake time passes: must not need max_wait
  ASSERT_FALSE(result);
  EXPECT_EQ(result.status().kind(), ErrorKind::kFatal);
  EXPECT_EQ(result.status().message(), "environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

TEST_F(RefreshingCredentialsTest, NothingConfiguredIsFatal) {
  start([](int) -> FetchResult { return std::optional<AwsCredentials>(); });
  const Result<AwsCredentials> result = source_->current();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(result.status().message().find("no AWS credentials configured"), std::string::npos);
}

TEST_F(RefreshingCredentialsTest, StopsPromptlyWhileWaitingOrBackingOff) {
  start(failing(Status::retryable("down")));
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 1; }));
  const auto before = std::chrono::steady_clock::now();
  source_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 500ms);

  options_.recheck_interval = 1s;  // the production slice: stopping must not wait for it
  start(temporary(1h));
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 1; }));
  const auto again = std::chrono::steady_clock::now();
  source_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - again, 500ms);
}

TEST_F(RefreshingCredentialsTest, LogsNameProviderRedactedKeyAndExpiryButNoSecret) {
  auto stream = std::make_shared<std::ostringstream>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream);
  const std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  // make_logger clones the default logger when it has this name, so the component logger shares the sink.
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("market-collector", sink));
  spdlog::default_logger()->set_level(spdlog::level::trace);

  start(temporary(1h));
  ASSERT_EQ(current_key(), "ASIATEMPORARYKEY1001");
  clock_.advance(10s);
  source_->invalidate();
  ASSERT_EQ(current_key(), "ASIATEMPORARYKEY1002");
  provider_->set_answer(failing(Status::retryable("sts: throttled")));
  clock_.advance(56min);
  ASSERT_TRUE(eventually([&] { return provider_->fetches() == 3; }));
  source_.reset();
  spdlog::set_default_logger(previous);

  const std::string logs = stream->str();
  EXPECT_NE(logs.find("provider=fake key=ASIA…1001"), std::string::npos) << logs;
  EXPECT_NE(logs.find("provider=fake key=ASIA…1002"), std::string::npos) << logs;
  EXPECT_NE(logs.find("expires=2025-02-09T23:43:50Z"), std::string::npos) << logs;
  EXPECT_NE(logs.find("sts: throttled"), std::string::npos) << logs;
  for (const char* secret : {"secret-number", "session-token", "ASIATEMPORARYKEY"}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << secret << " leaked into:\n" << logs;
  }
}

}  // namespace
}  // namespace mc
