#include "spool/spool_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace mc {

Result<SpoolLock> SpoolLock::acquire(const std::filesystem::path& root) {
  const std::filesystem::path path = root / ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::from_errno(errno, "open " + path.string());
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) return Status::from_errno(err, "lock " + path.string());
    char holder[32] = {};
    const ssize_t n = ::pread(fd.get(), holder, sizeof holder - 1, 0);
    std::string pid = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Status::fatal("LOCAL_DIR=\"" + root.string() + "\" is in use by another market-collector (pid " + pid +
                         "); each instance needs its own spool");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return Status::from_errno(errno, "write " + path.string());
  }
  return SpoolLock(std::move(fd));
}

}  // namespace mc
