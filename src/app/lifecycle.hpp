#pragma once
// The collector's services stop in the reverse of the order they started. Each registers its stop
// the moment it starts, so a service always stops before the ones it feeds were stopped: the feeds
// before the writer, the writer before the sealer, the sealer before the uploader, the uploader
// before the last head, with no shutdown order written out by hand.

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace spdlog {
class logger;
}

namespace mc {

class Lifecycle {
 public:
  // Stops one service: finishes its work until deadline where it has any. False when work is left
  // (it stays in the spool for the next start).
  using Stop = std::function<bool(std::chrono::steady_clock::time_point deadline)>;

  // Registers the stop of a service that just started.
  void on_stop(std::string name, Stop stop) { stops_.emplace_back(std::move(name), std::move(stop)); }

  // Runs every registered stop once, the last registered first, and forgets them; logs each service
  // that stopped with work left. Returns their names, empty when everything was finished.
  std::vector<std::string> stop_all(std::chrono::steady_clock::time_point deadline, spdlog::logger& log);

 private:
  std::vector<std::pair<std::string, Stop>> stops_;
};

}  // namespace mc
