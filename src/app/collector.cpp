#include "app/collector.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "app/fd_limit.hpp"
#include "app/feed_connections.hpp"
#include "app/heads_publisher.hpp"
#include "app/health.hpp"
#include "app/lifecycle.hpp"
#include "app/metrics_server.hpp"
#include "app/put_estimate.hpp"
#include "app/spool_monitor.hpp"
#include "app/startup_symbols.hpp"
#include "app/symbol_follower.hpp"
#include "app/status_reporter.hpp"
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

// How often the main thread measures the spool and reports to systemd (status line, watchdog): well
// under any sensible WatchdogSec / 2.
constexpr std::chrono::seconds kTickInterval{5};
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

// The object store the configuration names, with INSTANCE_ID resolved (IMDS on EC2), refused when a
// name it leads to is too long for S3 or the spool's file system: that would fail every record.
Result<ObjectStoreSetup> prepare_store(Config& config, const EnvLookup& env, const Clock& clock,
                                       const SpoolLayout& layout, const RouteTable& routes, spdlog::logger& log) {
  Result<ObjectStoreSetup> setup = make_object_store(config, env, clock);
  if (!setup) return setup.status();
  const Result<std::string> instance_note = resolve_instance_id(config, setup->imds.get());
  if (!instance_note) return instance_note.status();
  const std::array other_keys{head_key(config.s3_prefix, config.instance_id, kLongestEpochMs),
                              startup_probe_key(config.s3_prefix, config.instance_id, kLongestEpochMs)};
  const NameLimits limits{
      .file_name_bytes = file_name_limit(layout.root()),
      .store_name_bytes = config.raw_bucket.empty() ? file_name_limit(config.local_store_dir) : 0};
  if (Status fits = check_name_lengths(config.s3_prefix, config.instance_id, routes, other_keys, limits); !fits) {
    return fits;
  }
  log.info("starting version={} {} symbols={} store={} spool={} rot_bytes={} rot_secs={}", MC_VERSION, *instance_note,
           fmt::join(config.symbols, ","), setup->store->describe(), layout.root().string(), config.rot_bytes,
           config.rot_secs);
  return setup;
}

// Which symbols this shard keeps, and what the windows will cost in PUTs (docs/FLEET.md).
void log_fleet_settings(const Config& config, spdlog::logger& log) {
  if (config.shard.count > 1) {
    log.info("shard {}/{} keeps {} of {} symbols (rendezvous hashing, docs/FLEET.md)", config.shard.index,
             config.shard.count, config.symbols.size(), config.symbols_listed);
  }
  const SymbolWindows windows = config.rot_secs_overrides.secs_by_symbol(config.symbols, config.rot_secs);
  log.info("{}", describe(estimate_daily_puts(windows)));
}

// Null when METRICS_ADDR is empty, or when its address cannot be bound (logged: collecting matters more).
std::unique_ptr<MetricsServer> start_metrics_server(const Config& config, const Metrics& metrics,
                                                    const HealthMonitor& health, const Clock& clock,
                                                    spdlog::logger& log) {
  if (config.metrics_addr.empty()) return nullptr;
  auto server = std::make_unique<MetricsServer>(metrics, health, clock);
  if (Status started = server->start(config.metrics_addr); !started) {
    log.error("metrics endpoint disabled: {}", started.message());
    return nullptr;
  }
  return server;
}

SealerWorkerOptions sealer_options(const Config& config, PartSequence& sequence) {
  SealerWorkerOptions options;
  options.gzip_level = config.gzip_level;
  options.sequence = &sequence;
  options.threads = sealer_threads(config.symbols.size());
  options.backlog_alarm = seal_backlog_alarm(config.symbols.size(), kSealBacklogAlarm);
  return options;
}

// A sealed part that does not match its manifest is sealed again from its open file.
UploaderOptions uploader_options(const Config& config, SealerWorker& sealer) {
  UploaderOptions options{.threads = uploader_threads(config.symbols.size()),
                          .reseal = [&sealer](const std::filesystem::path& open_file) {
                            static_cast<void>(sealer.enqueue(SealJob{.open_file = open_file}));
                          }};
  options.retry.seed = std::random_device{}();
  return options;
}

SpoolWriterSettings writer_settings(const Config& config) {
  SpoolWriterSettings settings;
  settings.rotation.prefix = config.s3_prefix;
  settings.rotation.instance_id = config.instance_id;
  settings.rotation.rot_bytes = config.rot_bytes;
  settings.rotation.rot_secs = config.rot_secs;
  settings.data_rot_secs = config.rot_secs_overrides.secs_by_symbol(config.symbols, config.rot_secs);
  settings.rotation.min_free_bytes = 2 * config.rot_bytes + kSealHeadroomBytes;
  settings.fsync_interval = std::chrono::seconds(config.fsync_secs);
  return settings;
}

// The REST backfill of the ids the ledger finds missing, or nothing when BACKFILL_ENABLED=false.
std::unique_ptr<BackfillWorker> start_backfill(const Config& config, const RouteTable& routes, SpoolWriter& writer,
                                               TradeLedger& ledger, BackfillListener& give_up, const Clock& clock,
                                               Metrics& metrics, spdlog::logger& log) {
  if (!config.backfill_enabled) {
    log.warn("backfill disabled (BACKFILL_ENABLED=false): trade ids missing from the stream stay missing");
    ledger.start(nullptr);
    return nullptr;
  }
  BackfillOptions options = backfill_options(config);
  options.may_write = [&writer] { return writer.has_room(); };
  auto backfill = std::make_unique<BackfillWorker>(std::move(options), config.symbols, routes, writer.sink(),
                                                   HttpClientFactory{}, clock, metrics.backfill, metrics.records,
                                                   give_up);
  ledger.start([worker = backfill.get()](std::size_t symbol, IdRange missing) {
    worker->request(symbol, missing.first, missing.last);
  });
  return backfill;
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
  if (config_.all_symbols) {
    const std::unique_ptr<HttpClient> http = make_http_client(HttpClientOptions{.ca_file = config_.tls_ca_file});
    if (const std::optional<int> exit_code = read_startup_symbols(config_, *http, *log)) return *exit_code;
  }
  const RouteTable routes(config_.symbols);
  metrics_.feed.add_symbols(config_.symbols);
  metrics_.ledger.add_symbols(config_.symbols);

  // Before anything touches the spool: a second instance on it would seal our open files.
  Result<SpoolLock> lock = SpoolLock::acquire(layout.root());
  if (!lock) {
    log->critical("{}", lock.status().message());
    return lock.status().kind() == ErrorKind::kFatal ? kExitConfigError : 1;
  }
  Result<ObjectStoreSetup> setup = prepare_store(config_, env_, clock, layout, routes, *log);
  if (!setup) {
    log->critical("config error: {}", setup.status().message());
    return kExitConfigError;
  }
  ObjectStore& store = *setup->store;
  log_fleet_settings(config_, *log);
  raise_open_file_limit(*log, config_.symbols.size());
  // Off the start-up path: a slow or refusing store must not delay the first frame. The parts it would
  // refuse wait in the spool either way.
  std::jthread store_check;
  if (!config_.raw_bucket.empty()) {
    store_check = std::jthread([this, &store, &clock] { static_cast<void>(check_store_writable(store, config_, clock)); });
  }

  // Not live until the first report, once the feeds have started.
  HealthMonitor health({.tick_stale = kHealthTickStale, .feed_idle = std::chrono::seconds(config_.ws_idle_secs)},
                       metrics_.feed.ws_messages);
  const std::unique_ptr<MetricsServer> metrics_server = start_metrics_server(config_, metrics_, health, clock, *log);

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
  // Before the open files are sealed away: the ids they hold are written, whatever the saved state says.
  TradeLedger ledger(config_.symbols, layout.ledger_file(), metrics_.ledger, clock);
  if (Status restored = ledger.restore(plan->open_files); !restored) {
    log->critical("cannot read the trade ledger: {}", restored.message());
    return 1;
  }

  // Each service registers its stop as it starts: they stop in the reverse order.
  Lifecycle services;
  // Names the last stored part of every writer, so the audit can tell a lost last part.
  HeadsPublisher heads(store, layout, config_.s3_prefix, config_.instance_id, clock);
  services.on_stop("heads", [&heads](auto) { return static_cast<bool>(heads.stop()); });
  SealerWorker sealer(layout, sealer_options(config_, part_sequence), clock, metrics_.spool);
  Uploader uploader(store, layout, uploader_options(config_, sealer), clock, metrics_.upload);
  services.on_stop("uploader", [&uploader](auto deadline) {
    const bool drained = uploader.drain(deadline);
    uploader.stop();
    return drained;
  });
  for (SealedPart& part : plan->sealed_parts) uploader.enqueue(std::move(part));
  sealer.start([&uploader](SealedPart part) { uploader.enqueue(std::move(part)); });
  services.on_stop("sealer", [&sealer](auto deadline) { return sealer.drain(deadline); });
  for (const std::filesystem::path& open_file : plan->open_files) static_cast<void>(sealer.enqueue({open_file}));
  SpoolWriter writer(layout, routes, writer_settings(config_), clock, {metrics_.spool, metrics_.records},
                     [&sealer](const PartName&, SealJob job) { static_cast<void>(sealer.enqueue(std::move(job))); },
                     &ledger);
  services.on_stop("writer", [&writer](auto) {
    writer.stop();
    return true;
  });
  GiveUpInLedger give_up(ledger);
  const std::unique_ptr<BackfillWorker> backfill =
      start_backfill(config_, routes, writer, ledger, give_up, clock, metrics_, *log);
  // Whatever the backfill has not fetched stays pending in the ledger: the next start asks again.
  if (backfill) {
    services.on_stop("backfill", [&backfill](auto) {
      backfill->stop();
      return true;
    });
  }
  FeedConnections feeds(config_, routes, writer.sink(), clock, metrics_);
  // A DNS lookup in progress cannot be cancelled: it must not eat the drain budget. The queue refuses
  // records once the writer stopped; the threads are joined when this scope ends.
  services.on_stop("feeds", [&feeds, &log](auto) {
    if (const std::size_t stopping = feeds.stop(kFeedStopGrace); stopping > 0) {
      log->warn("{} of {} feed connections still stopping after {} ms; sealing without waiting for them", stopping,
                feeds.groups().size(), kFeedStopGrace.count());
    }
    return true;
  });
  log->info("feed connections={} streams_per_connection={} streams={}", feeds.groups().size(),
            config_.ws_streams_per_connection, fmt::join(feeds.group_sizes(), ","));
  // SYMBOL=ALL: listings and delistings from now on. Asked to stop first; joined when this scope
  // ends, before the stages it changes are destroyed.
  std::unique_ptr<SymbolFollower> follower;
  if (config_.all_symbols) {
    follower = std::make_unique<SymbolFollower>(
        config_, SymbolStages{metrics_.feed, ledger, writer, backfill.get(), feeds}, HttpClientFactory{});
    services.on_stop("symbols", [&follower](auto) {
      follower->request_stop();
      return true;
    });
  }

  SpoolMonitor spool(layout, config_.spool_max_bytes, metrics_.spool, *log);
  StatusReporter status(SystemdNotifier::from_environment(), feeds, health, metrics_, clock, *log);
  status.ready(spool.over_limit());
  const int signal_number = wait_for_stop_signal([&] {
    spool.measure();
    status.report(spool.over_limit());
  });

  const auto deadline = clock.steady_now() + std::chrono::seconds(config_.stop_timeout_secs);
  log->info("stopping signal={} timeout_secs={}", signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
            config_.stop_timeout_secs);
  status.stopping();
  const std::vector<std::string> unfinished = services.stop_all(deadline, *log);
  if (unfinished.empty()) {
    log->info("stopped: every part sealed and stored records={} parts={}", metrics_.records.records_routed.load(),
              metrics_.upload.uploads_ok.load());
  } else {
    log->warn("stopped at the deadline with work left in the spool (the next start finishes it) unfinished={}",
              fmt::join(unfinished, ","));
  }
  return 0;
}

}  // namespace mc
