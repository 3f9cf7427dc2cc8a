#pragma once
// The collector keeps one open part file per active symbol (and its quarantine's, rarely), the
// sealer reads and writes two more, plus sockets: the soft RLIMIT_NOFILE of 1024 most shells and
// services start with is too low for a thousand symbols. At start-up the soft limit is raised to the
// hard one, which only the service manager (LimitNOFILE=) or root can raise.

#include <cstddef>
#include <cstdint>

#include "common/status.hpp"

namespace mc {

struct FdLimit {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

// What `symbols` symbols need: two per symbol (its open part, and a part being sealed or a
// quarantine part) plus 64 for sockets, the spool lock, logs and the sealer's files.
constexpr std::uint64_t fds_needed(std::size_t symbols) { return 2 * std::uint64_t{symbols} + 64; }

// Raises the soft RLIMIT_NOFILE to the hard limit (no change when it is there already); returns
// the limits in force afterwards.
Result<FdLimit> raise_fd_limit();

}  // namespace mc
