#pragma once
// One collector per spool. Two processes on the same LOCAL_DIR would seal and upload each other's
// open files; the second one is refused at start-up instead.

#include <filesystem>

#include "common/status.hpp"
#include "common/unique_fd.hpp"

namespace mc {

class SpoolLock {
 public:
  // Takes an exclusive flock on <root>/.lock (created if missing) and writes the pid into it.
  // kFatal when another process holds it; the message names the directory and that process's pid.
  static Result<SpoolLock> acquire(const std::filesystem::path& root);

  // The kernel releases the lock when the descriptor closes, also on a crash.

 private:
  explicit SpoolLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace mc
