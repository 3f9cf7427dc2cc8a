#include "common/unique_fd.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace mc {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

void UniqueFd::reset() {
  // Nothing to report here: callers that care about the result use close().
  if (fd_ >= 0) static_cast<void>(::close(release()));
}

Status UniqueFd::close(std::string_view what) {
  if (fd_ < 0) return Status::ok();
  // Linux releases the descriptor even when close fails, so it must not be retried.
  if (::close(release()) != 0) return Status::from_errno(errno, "close " + std::string(what));
  return Status::ok();
}

}  // namespace mc
