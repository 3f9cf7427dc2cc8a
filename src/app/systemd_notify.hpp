#pragma once
// The sd_notify protocol, without libsystemd: datagrams to $NOTIFY_SOCKET telling systemd the
// service is ready, what it is doing, and (under WatchdogSec=) that its loops are alive.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "common/unique_fd.hpp"

namespace mc {

class SystemdNotifier {
 public:
  // socket_path: $NOTIFY_SOCKET ("/run/..." or "@abstract"); empty disables every call.
  // watchdog_usec: $WATCHDOG_USEC, the interval systemd expects pings within (nullopt: no watchdog).
  SystemdNotifier(std::string socket_path, std::optional<std::chrono::microseconds> watchdog_interval);
  static SystemdNotifier from_environment();

  bool enabled() const { return !socket_path_.empty(); }
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_interval_; }

  Status ready() { return send("READY=1"); }
  Status stopping() { return send("STOPPING=1"); }
  Status watchdog() { return send("WATCHDOG=1"); }
  // One line for `systemctl status`.
  Status status(std::string_view line) { return send("STATUS=" + std::string(line)); }

 private:
  Status send(const std::string& message);

  std::string socket_path_;
  std::optional<std::chrono::microseconds> watchdog_interval_;
  UniqueFd fd_;
};

}  // namespace mc
