#pragma once
// Serves the collector's counters in the Prometheus text format on METRICS_ADDR (GET /metrics).
// Asio stays inside metrics_server.cpp.

#include <memory>
#include <string>

#include "common/metrics.hpp"
#include "common/status.hpp"

namespace mc {

// The Prometheus exposition of every counter in Metrics.
std::string render_prometheus(const Metrics& metrics);

class MetricsServer {
 public:
  MetricsServer(const Metrics& metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds "host:port" and serves on its own thread until destruction. A bind failure is returned
  // (the caller decides whether it is fatal); port 0 picks a free port, see port().
  Status start(const std::string& address);
  unsigned short port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc
