#include "app/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace mc {

SystemdNotifier::SystemdNotifier(std::string socket_path, std::optional<std::chrono::microseconds> watchdog_interval)
    : socket_path_(std::move(socket_path)), watchdog_interval_(watchdog_interval) {}

SystemdNotifier SystemdNotifier::from_environment() {
  // Read once at start-up, before any thread exists.
  const char* socket = std::getenv("NOTIFY_SOCKET");  // NOLINT(concurrency-mt-unsafe)
  const char* usec = std::getenv("WATCHDOG_USEC");    // NOLINT(concurrency-mt-unsafe)
  std::optional<std::chrono::microseconds> interval;
  if (usec != nullptr) {
    std::int64_t value = 0;
    const char* end = usec + std::strlen(usec);
    if (const auto [ptr, ec] = std::from_chars(usec, end, value); ec == std::errc{} && ptr == end && value > 0) {
      interval = std::chrono::microseconds(value);
    }
  }
  return {socket != nullptr ? socket : "", interval};
}

Status SystemdNotifier::send(const std::string& message) {
  if (!enabled()) return Status::ok();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof address.sun_path) return Status::fatal("NOTIFY_SOCKET path too long");
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // an abstract socket
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  if (!fd_.valid()) {
    fd_ = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd_.valid()) return Status::from_errno(errno, "socket for NOTIFY_SOCKET");
  }
  if (::sendto(fd_.get(), message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address),
               length) < 0) {
    return Status::from_errno(errno, "notify systemd at " + socket_path_);
  }
  return Status::ok();
}

}  // namespace mc
