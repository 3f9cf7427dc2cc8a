#include "app/collector.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "app/fd_limit.hpp"
#include "app/feed_connections.hpp"
#include "app/heads_publisher.hpp"
#include "app/health.hpp"
#include "app/metrics_server.hpp"
#include "app/put_estimate.hpp"
#include "app/seal_backlog.hpp"
#include "app/systemd_notify.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/record.hpp"
#include "backfill/backfill_worker.hpp"
#include "ledger/trade_ledger.hpp"
#include "keys/head_object.hpp"
#include "spool/name_limits.hpp"
#include "spool/sealer_worker.hpp"
#include "spool/spool_layout.hpp"
#include "spool/spool_lock.hpp"
#include "spool/part_sequence.hpp"
#include "spool/spool_recovery.hpp"
#include "spool/spool_writer.hpp"
#include "spool/uploader.hpp"
#include "app/object_store_setup.hpp"
#include "app/worker_counts.hpp"

namespace mc {
namespace {

BackfillOptions backfill_options(const Config& config) {
  return {.base_url = config.binance_rest_url,
          .api_key = config.binance_api_key,
          .ca_file = config.tls_ca_file,
          .weight_per_minute = config.backfill_weight_per_min,
          .alarm_after = std::chrono::seconds(config.backfill_alarm_secs)};
}

// The backfill gives up on ids only when the exchange says they do not exist; the ledger stops
// waiting for them and the next manifest says so.
class GiveUpInLedger final : public BackfillListener {
 public:
  explicit GiveUpInLedger(TradeLedger& ledger) : ledger_(ledger) {}
  void on_unrecoverable(std::size_t symbol_index, std::int64_t from, std::int64_t to) override {
    ledger_.give_up(symbol_index, {from, to});
  }

 private:
  TradeLedger& ledger_;
};

// Beyond two parts' worth, the free space the writers leave for the sealer and for manifests.
constexpr std::uint64_t kSealHeadroomBytes = 1U << 20U;

// How long the shutdown waits for the feed threads before it seals anyway.
constexpr std::chrono::milliseconds kFeedStopGrace{2000};
// How often the shutdown offers the seal backlog again while the sealer's queue is full.
constexpr std::chrono::milliseconds kBacklogRetryAtStop{50};

// How often the main thread measures the spool against SPOOL_MAX_BYTES, retries the seal backlog
// and reports to systemd (status line, watchdog): well under any sensible WatchdogSec / 2.
constexpr std::chrono::seconds kTickInterval{5};
// A feed event loop counts as wedged when its once-a-second heartbeat is older than this.
constexpr std::chrono::seconds kFeedHeartbeatStale{15};
// /healthz fails when the main loop missed this many ticks' worth of health samples.
constexpr std::chrono::seconds kHealthTickStale{3 * kTickInterval};

// Raises the open-file limit for the symbol count (fd_limit.hpp) and says what it is.
void raise_open_file_limit(spdlog::logger& log, std::size_t symbols) {
  const Result<FdLimit> limit = raise_fd_limit();
  if (!limit) {
    log.error("cannot raise the open-file limit: {}", limit.status().message());
    return;
  }
  const std::uint64_t needed = fds_needed(symbols);
  log.info("open-file limit soft={} hard={} needed={}", limit->soft, limit->hard, needed);
  if (limit->hard < needed) {
    log.error("OPEN-FILE LIMIT TOO LOW: hard limit {} is below the {} that {} symbols need (2 per symbol + 64); "
              "raise LimitNOFILE= in the systemd unit (or ulimit -Hn), or part files will fail to open",
              limit->hard, needed, symbols);
  }
}

struct SpoolUsage {
  std::uint64_t bytes = 0;  // every file under the spool (parts, manifests, rejected files, state)
  std::uint64_t files = 0;  // parts and manifests in open/ and sealed/: the work not yet stored
  std::optional<std::filesystem::file_time_type> oldest;  // of those
};

SpoolUsage spool_usage(const SpoolLayout& layout) {
  SpoolUsage usage;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(layout.root(), ec); !ec && it != decltype(it){};
       it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec)) continue;
    usage.bytes += it->file_size(entry_ec);
    const std::filesystem::path parent = it->path().parent_path();
    if (parent != layout.open_dir() && parent != layout.sealed_dir()) continue;
    ++usage.files;
    const auto written = it->last_write_time(entry_ec);
    if (!entry_ec && (!usage.oldest || written < *usage.oldest)) usage.oldest = written;
  }
  return usage;
}

// Waits for SIGTERM or SIGINT; every kTickInterval meanwhile, calls on_tick.
template <typename OnTick>
int wait_for_stop_signal(const OnTick& on_tick) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  const timespec timeout{kTickInterval.count(), 0};
  while (true) {
    const int signal_number = sigtimedwait(&set, nullptr, &timeout);
    if (signal_number > 0) return signal_number;
    if (errno == EAGAIN) on_tick();
  }
}

}  // namespace

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Writes to a peer that went away must come back as EPIPE, not end the process.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  if (sigaction(SIGPIPE, &ignore, nullptr) != 0) std::perror("sigaction(SIGPIPE)");
}

int Collector::run() {
  const auto log = make_logger("app");
  const SystemClock clock;
  const SpoolLayout layout(config_.local_dir);
  const RouteTable routes(config_.symbols);
  metrics_.add_symbols(config_.symbols);

  // Before anything touches the spool: a second instance on it would seal our open files.
  Result<SpoolLock> lock = SpoolLock::acquire(layout.root());
  if (!lock) {
    log->critical("{}", lock.status().message());
    return lock.status().kind() == ErrorKind::kFatal ? kExitConfigError : 1;
  }

  Result<ObjectStoreSetup> setup = make_object_store(config_, env_, clock);
  if (!setup) {
    log->critical("config error: {}", setup.status().message());
    return kExitConfigError;
  }
  ObjectStore& store = *setup->store;
  const Result<std::string> instance_note = resolve_instance_id(config_, setup->imds.get());
  if (!instance_note) {
    log->critical("config error: {}", instance_note.status().message());
    return kExitConfigError;
  }
  // Before anything is written: a name too long for S3 or the spool would fail every record.
  const std::array other_keys{head_key(config_.s3_prefix, config_.instance_id, kLongestEpochMs),
                              startup_probe_key(config_.s3_prefix, config_.instance_id, kLongestEpochMs)};
  const NameLimits limits{
      .file_name_bytes = file_name_limit(layout.root()),
      .store_name_bytes = config_.raw_bucket.empty() ? file_name_limit(config_.local_store_dir) : 0};
  if (Status fits = check_name_lengths(config_.s3_prefix, config_.instance_id, routes, other_keys, limits); !fits) {
    log->critical("config error: {}", fits.message());
    return kExitConfigError;
  }

  log->info("starting version={} {} symbols={} store={} spool={} rot_bytes={} rot_secs={}", MC_VERSION,
            *instance_note, fmt::join(config_.symbols, ","), store.describe(), layout.root().string(),
            config_.rot_bytes, config_.rot_secs);
  if (config_.shard.count > 1) {
    log->info("shard {}/{} keeps {} of {} symbols (rendezvous hashing, docs/FLEET.md)", config_.shard.index,
              config_.shard.count, config_.symbols.size(), config_.symbols_listed);
  }
  const SymbolWindows windows = config_.rot_secs_overrides.secs_by_symbol(config_.symbols, config_.rot_secs);
  log->info("{}", describe(estimate_daily_puts(windows)));
  raise_open_file_limit(*log, config_.symbols.size());
  // Off the start-up path: a slow or refusing store must not delay the first frame. The parts it would
  // refuse wait in the spool either way.
  std::jthread store_check;
  if (!config_.raw_bucket.empty()) {
    store_check = std::jthread([this, &store, &clock] { static_cast<void>(check_store_writable(store, config_, clock)); });
  }

  // Not live until the first sample below, taken once the feeds have started.
  HealthMonitor health({.tick_stale = kHealthTickStale, .feed_idle = std::chrono::seconds(config_.ws_idle_secs)});
  std::optional<MetricsServer> metrics_server;
  if (!config_.metrics_addr.empty()) {
    metrics_server.emplace(metrics_, health, clock);
    if (Status started = metrics_server->start(config_.metrics_addr); !started) {
      log->error("metrics endpoint disabled: {}", started.message());
      metrics_server.reset();
    }
  }

  // What earlier runs left is backlog: it goes first, through the same sealer and uploader.
  Result<RecoveryPlan> plan = recover_spool(layout);
  if (!plan) {
    log->critical("cannot read the spool: {}", plan.status().message());
    return 1;
  }

  // Numbering continues from what the spool holds: sealed manifests and the stored marks.
  PartSequence part_sequence;
  if (Status restored = part_sequence.restore(layout); !restored) {
    log->critical("cannot read the spool's part numbers: {}", restored.message());
    return 1;
  }

  // Open files for the sealer that its queue refused, and those the uploader asks to seal again (their
  // sealed part does not match its manifest); offered to the sealer on every tick.
  SealBacklog backlog;
  UploaderOptions upload_options{.threads = uploader_threads(config_.symbols.size()),
                                 .reseal = [&backlog](const std::filesystem::path& open_file) {
                                   backlog.add(SealJob{.open_file = open_file});
                                 }};
  upload_options.retry.seed = std::random_device{}();
  Uploader uploader(store, layout, std::move(upload_options), clock, metrics_);
  for (SealedPart& part : plan->sealed_parts) uploader.enqueue(std::move(part));
  HeadsPublisher heads(store, layout, config_.s3_prefix, config_.instance_id, clock);

  SealerWorkerOptions sealer_options;
  sealer_options.gzip_level = config_.gzip_level;
  sealer_options.sequence = &part_sequence;
  sealer_options.threads = sealer_threads(config_.symbols.size());
  sealer_options.queue_capacity = seal_queue_capacity(config_.symbols.size(), kSealQueueCapacity);
  SealerWorker sealer(layout, sealer_options, clock, metrics_,
                      [&uploader](SealedPart part) { uploader.enqueue(std::move(part)); });
  const auto enqueue = [&sealer](const SealJob& job) { return sealer.enqueue(job); };
  const auto seal = [&enqueue, &backlog](SealJob job) {
    if (!enqueue(job)) backlog.add(std::move(job));
  };
  const auto retry_backlog = [&enqueue, &backlog] { backlog.retry(enqueue); };

  // Before the open files are sealed away: the ids they hold are written, whatever the saved state says.
  TradeLedger ledger(config_.symbols, layout.ledger_file(), metrics_, clock);
  if (Status restored = ledger.restore(plan->open_files); !restored) {
    log->critical("cannot read the trade ledger: {}", restored.message());
    return 1;
  }
  for (const std::filesystem::path& open_file : plan->open_files) seal({open_file});

  SpoolWriterSettings writer_settings;
  writer_settings.rotation.prefix = config_.s3_prefix;
  writer_settings.rotation.instance_id = config_.instance_id;
  writer_settings.rotation.rot_bytes = config_.rot_bytes;
  writer_settings.rotation.rot_secs = config_.rot_secs;
  writer_settings.data_rot_secs = windows;
  writer_settings.rotation.min_free_bytes = 2 * config_.rot_bytes + kSealHeadroomBytes;
  writer_settings.fsync_interval = std::chrono::seconds(config_.fsync_secs);
  SpoolWriter writer(layout, routes, writer_settings, clock, metrics_,
                     [&seal](const PartName&, SealJob job) { seal(std::move(job)); }, &ledger);
  GiveUpInLedger give_up(ledger);
  std::optional<BackfillWorker> backfill;
  if (config_.backfill_enabled) {
    BackfillOptions options = backfill_options(config_);
    options.may_write = [&writer] { return writer.has_room(); };
    backfill.emplace(std::move(options), config_.symbols, routes, writer.sink(), HttpClientFactory{}, clock, metrics_,
                     give_up);
    ledger.start([&backfill](std::size_t symbol, IdRange missing) { backfill->request(symbol, missing.first, missing.last); });
  } else {
    log->warn("backfill disabled (BACKFILL_ENABLED=false): trade ids missing from the stream stay missing");
    ledger.start(nullptr);
  }

  FeedConnections feeds(config_, routes, writer.sink(), clock, metrics_);
  std::vector<std::size_t> group_sizes;
  for (const SymbolGroup& group : feeds.groups()) group_sizes.push_back(group.count);
  log->info("feed connections={} streams_per_connection={} streams={}", feeds.groups().size(),
            config_.ws_streams_per_connection, fmt::join(group_sizes, ","));

  SystemdNotifier systemd = SystemdNotifier::from_environment();
  const auto report_to_systemd = [&] {
    if (!systemd.enabled()) return;
    // No ping while any event loop is wedged: systemd then restarts the service (WatchdogSec=).
    if (const std::optional<std::size_t> wedged = feeds.wedged(clock.steady_now(), kFeedHeartbeatStale)) {
      log->error("feed connection {} of {} is wedged (no heartbeat for {} s): withholding the watchdog ping",
                 *wedged + 1, feeds.groups().size(), kFeedHeartbeatStale.count());
    } else if (systemd.watchdog_interval()) {
      static_cast<void>(systemd.watchdog());
    }
    // Up to one more than the groups while a connection is being replaced.
    const std::uint64_t up = metrics_.ws_connects.load() - std::min(metrics_.ws_connects.load(), metrics_.ws_disconnects.load());
    static_cast<void>(systemd.status(fmt::format(
        "connections={}/{} messages={} parts_stored={} spool_bytes={} dropped={} gaps={}", up, feeds.groups().size(),
        metrics_.ws_messages.load(), metrics_.uploads_ok.load(), metrics_.spool_bytes.load(),
        metrics_.records_dropped.load(), metrics_.trade_id_gaps.load())));
  };
  bool spool_alarm = false;
  const auto observe_health = [&] {
    const auto now = clock.steady_now();
    health.observe({.at = now,
                    .feeds_alive = !feeds.wedged(now, kFeedHeartbeatStale),
                    .ws_messages = metrics_.ws_messages.load(),
                    .uploads_ok = metrics_.uploads_ok.load(),
                    .spool_over_limit = spool_alarm});
  };
  if (Status ready = systemd.ready(); !ready) log->warn("systemd notification failed: {}", ready.message());
  report_to_systemd();
  observe_health();

  const int signal_number = wait_for_stop_signal([&] {
    report_to_systemd();
    retry_backlog();
    const SpoolUsage usage = spool_usage(layout);
    const std::uint64_t bytes = usage.bytes;
    metrics_.spool_bytes.store(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
    metrics_.spool_files.store(static_cast<std::int64_t>(usage.files), std::memory_order_relaxed);
    const auto age = usage.oldest ? std::filesystem::file_time_type::clock::now() - *usage.oldest
                                  : std::filesystem::file_time_type::duration::zero();
    metrics_.spool_oldest_age_seconds.store(
        std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(age).count()),
        std::memory_order_relaxed);
    // The spool grows when the store is unreachable or the sealer is stuck; nothing is deleted to
    // make room, so the operator must know before the disk fills.
    if (bytes > config_.spool_max_bytes) {
      log->error("SPOOL OVER LIMIT: spool_bytes={} spool_max_bytes={} (the store is not keeping up)", bytes,
                 config_.spool_max_bytes);
      spool_alarm = true;
    } else if (spool_alarm) {
      log->info("spool back under its limit spool_bytes={} spool_max_bytes={}", bytes, config_.spool_max_bytes);
      spool_alarm = false;
    }
    observe_health();
  });
  const auto deadline = clock.steady_now() + std::chrono::seconds(config_.stop_timeout_secs);
  log->info("stopping signal={} timeout_secs={}", signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
            config_.stop_timeout_secs);

  // Shutdown order: no new data, then every open part closed, sealed and uploaded.
  static_cast<void>(systemd.stopping());
  // A DNS lookup in progress cannot be cancelled; do not let it eat the drain budget. The queue
  // refuses records once the writer stopped, and the threads are joined when this scope ends.
  if (const std::size_t stopping = feeds.stop(kFeedStopGrace); stopping > 0) {
    log->warn("{} of {} feed connections still stopping after {} ms; sealing without waiting for them", stopping,
              feeds.groups().size(), kFeedStopGrace.count());
  }
  // Whatever the backfill has not fetched stays pending in the ledger: the next start asks again.
  if (backfill) backfill->stop();
  writer.stop();
  // The drain refuses new files: whatever waits in the backlog goes in first, as the queue frees up.
  static_cast<void>(backlog.retry_until_empty(enqueue, clock, deadline, kBacklogRetryAtStop));
  const bool sealed_all = sealer.drain(deadline) && backlog.size() == 0;
  const bool uploaded_all = uploader.drain(deadline);
  uploader.stop();
  // Names the last stored part of every writer, so the audit can tell a lost last part (logged there).
  static_cast<void>(heads.stop());

  if (sealed_all && uploaded_all) {
    log->info("stopped: every part sealed and stored records={} parts={}", metrics_.records_routed.load(),
              metrics_.uploads_ok.load());
  } else {
    log->warn("stopped at the deadline with work left in the spool (the next start finishes it) sealed_all={} "
              "uploaded_all={}",
              sealed_all, uploaded_all);
  }
  return 0;
}

}  // namespace mc
