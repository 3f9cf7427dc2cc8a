#include "app/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>

namespace mc {

Result<FdLimit> raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return Status::from_errno(errno, "getrlimit(RLIMIT_NOFILE)");
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) return Status::from_errno(errno, "setrlimit(RLIMIT_NOFILE)");
    limit = raised;
  }
  return FdLimit{.soft = limit.rlim_cur, .hard = limit.rlim_max};
}

}  // namespace mc
