#include "spool/writer_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace mc {

Result<UniqueFd> create_part_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::from_errno(errno, "create " + path.string());
  return UniqueFd(fd);
}

Status sync_part_data(const UniqueFd& fd, const std::filesystem::path& path, SpoolMetrics& metrics) {
  if (::fdatasync(fd.get()) != 0) return Status::from_errno(errno, "fdatasync " + path.string());
  bump(metrics.writer_fdatasyncs);
  return Status::ok();
}

}  // namespace mc
