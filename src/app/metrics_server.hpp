#pragma once
// Serves the collector's counters in the Prometheus text format on METRICS_ADDR (GET /metrics), and
// its health (GET /healthz: the loops are turning; GET /readyz: data is flowing, see health.hpp) as
// 200 or 503 with a one-line reason. No client can hold it: each connection has a deadline, at most
// a few are open at once (a new one evicts the oldest), and running out of descriptors pauses the
// accepts instead of spinning. Asio stays inside metrics_server.cpp.

#include <cstdint>
#include <memory>
#include <string>

#include "app/health.hpp"
#include "common/clock.hpp"

#include "app/metrics.hpp"
#include "app/process_metrics.hpp"
#include "common/status.hpp"

namespace mc {

// The Prometheus exposition of every counter in Metrics.
std::string render_prometheus(const Metrics& metrics);

class MetricsServer {
 public:
  // health answers /healthz and /readyz at clock.steady_now(); /metrics adds the process_* series
  // read from procfs.
  MetricsServer(const Metrics& metrics, const HealthMonitor& health, const Clock& clock, ProcfsPaths procfs = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds "host:port" and serves on its own thread until destruction. A bind failure is returned
  // (the caller decides whether it is fatal); port 0 picks a free port, see port().
  Status start(const std::string& address);
  unsigned short port() const;
  // accept() failures for lack of descriptors or memory, each followed by a pause.
  std::uint64_t accept_backoffs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc
