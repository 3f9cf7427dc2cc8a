#pragma once
// One collector per spool. Two processes on the same LOCAL_DIR would seal and upload each other's
// open files; the second one is refused at start-up instead.

#include <filesystem>

#include "common/status.hpp"

namespace mc {

class SpoolLock {
 public:
  // Takes an exclusive flock on <root>/.lock (created if missing) and writes the pid into it.
  // kFatal when another process holds it; the message names the directory and that process's pid.
  static Result<SpoolLock> acquire(const std::filesystem::path& root);

  SpoolLock(SpoolLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SpoolLock& operator=(SpoolLock&& other) noexcept;
  SpoolLock(const SpoolLock&) = delete;
  SpoolLock& operator=(const SpoolLock&) = delete;
  ~SpoolLock();  // the kernel releases the lock with the descriptor, also on a crash

 private:
  explicit SpoolLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace mc
