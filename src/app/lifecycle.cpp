#include "app/lifecycle.hpp"

#include <spdlog/spdlog.h>

namespace mc {

std::vector<std::string> Lifecycle::stop_all(std::chrono::steady_clock::time_point deadline, spdlog::logger& log) {
  std::vector<std::string> unfinished;
  // Taken out first: a stop that registered another (it must not) would not be run twice.
  std::vector<std::pair<std::string, Stop>> stops = std::move(stops_);
  stops_.clear();
  for (auto it = stops.rbegin(); it != stops.rend(); ++it) {
    log.debug("stopping service={}", it->first);
    if (!it->second(deadline)) {
      log.warn("service stopped with work left service={}", it->first);
      unfinished.push_back(it->first);
    }
  }
  return unfinished;
}

}  // namespace mc
