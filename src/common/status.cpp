#include "common/status.hpp"

#include <cerrno>
#include <cstring>

namespace mc {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kRetryable: return "retryable";
    case ErrorKind::kFatal: return "fatal";
    case ErrorKind::kCorrupt: return "corrupt";
    case ErrorKind::kNoSpace: return "no_space";
    case ErrorKind::kAlreadyExists: return "already_exists";
  }
  return "unknown";
}

Status Status::from_errno(int err, std::string_view what) {
  // strerror is not thread-safe; the GNU strerror_r returns the text (in buf or a static string).
  char buf[128];
  std::string message = std::string(what) + ": " + strerror_r(err, buf, sizeof buf);
  switch (err) {
    case ENOSPC:
    case EDQUOT: return no_space(std::move(message));
    case EACCES:
    case EPERM:
    case EROFS: return fatal(std::move(message));
    default: return retryable(std::move(message));
  }
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  return {kind_, std::string(context) + ": " + message_};
}

}  // namespace mc
