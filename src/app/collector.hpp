#pragma once
// Wires the pipeline together and owns its threads (docs/ARCHITECTURE.md):
//   feed threads (one per WebSocket connection) -> RecordQueue <- backfill thread (REST)
//   -> writer thread (trade ledger, rotating writers, spool/open)
//   -> sealer threads (gzip, SHA-256, manifest, spool/sealed) -> uploader threads -> object store,
//   and beside them the heads publisher, the metrics server and the main thread's tick.
// Each service registers its stop as it starts (lifecycle.hpp), so shutdown runs in the reverse of
// the start order: stop the feeds and the backfill, close every open part, seal, upload until the
// deadline, then store a last head.

#include "aws/aws_env.hpp"
#include "app/metrics.hpp"
#include "config/config.hpp"

namespace mc {

// Exit code for anything the operator must fix before a restart can help (systemd's
// RestartPreventExitStatus): a bad setting, a spool already in use.
inline constexpr int kExitConfigError = 2;

class Collector {
 public:
  // env is where the AWS credential chain and region lookup read their variables.
  Collector(Config config, EnvLookup env) : config_(std::move(config)), env_(std::move(env)) {}

  // Collects until SIGTERM or SIGINT, then drains within STOP_TIMEOUT_SECS. The two signals must be
  // blocked in every thread before the call (block_stop_signals). Returns the process exit code:
  // 0 after a stop, kExitConfigError when the spool is in use by another process, 1 when it is unreadable.
  int run();

 private:
  Config config_;
  EnvLookup env_;
  Metrics metrics_;
};

// Blocks SIGTERM and SIGINT in the calling thread (and so in every thread it starts afterwards), so
// that Collector::run can wait for them synchronously; ignores SIGPIPE.
void block_stop_signals();

}  // namespace mc
