#include "common/file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "common/unique_fd.hpp"

namespace mc {
namespace {

// What read_file reads at first when the size is not known (a pipe, a /proc file).
constexpr std::size_t kReadChunk = std::size_t{1} << 16;

}  // namespace

Status write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::from_errno(errno, "write " + path.string());
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

Status fsync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::from_errno(errno, "open directory " + dir.string());
  if (::fsync(fd.get()) != 0) return Status::from_errno(errno, "fsync directory " + dir.string());
  return Status::ok();
}

Status sync_file_system(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::from_errno(errno, "open " + path.string());
  if (::syncfs(fd.get()) != 0) return Status::from_errno(errno, "syncfs " + path.string());
  return Status::ok();
}

std::filesystem::path temp_path_of(const std::filesystem::path& path) {
  std::filesystem::path temp = path;
  temp += kTempSuffix;
  return temp;
}

namespace {

Status write_new_file(const std::filesystem::path& path, std::string_view bytes, bool data_sync) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::from_errno(errno, "create " + path.string());
  Status written = write_all(fd.get(), bytes, path);
  // fdatasync, not fsync: it still flushes the size a reader needs, only not the times.
  if (written && data_sync && ::fdatasync(fd.get()) != 0) {
    written = Status::from_errno(errno, "fdatasync " + path.string());
  }
  if (written) written = fd.close(path.string());
  if (!written) ::unlink(path.c_str());
  return written;
}

}  // namespace

Status write_synced_file(const std::filesystem::path& path, std::string_view bytes) {
  return write_new_file(path, bytes, /*data_sync=*/true);
}

Status write_unsynced_file(const std::filesystem::path& path, std::string_view bytes) {
  return write_new_file(path, bytes, /*data_sync=*/false);
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temp = temp_path_of(path);
  if (Status written = write_synced_file(temp, bytes); !written) return written;
  return rename_durable(temp, path);
}

Status rename_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::from_errno(errno, "rename " + from.string() + " -> " + to.string());
  }
  return Status::ok();
}

Status rename_durable(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (Status renamed = rename_file(from, to); !renamed) return renamed;
  return fsync_directory(to.has_parent_path() ? to.parent_path() : std::filesystem::path("."));
}

Status remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::from_errno(errno, "unlink " + path.string());
  return Status::ok();
}

Result<std::string_view> read_file_into(const std::filesystem::path& path, std::string& buffer) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::from_errno(errno, "open " + path.string());
  // Straight into a buffer of at least the file's size (plus a byte, so the end is seen without
  // growing it): growing a string read by read would copy a 2 MiB part twice over, and each fresh
  // buffer costs a page fault per page, which on this project's VMs is most of a part's read.
  struct stat info {};
  const bool sized = ::fstat(fd.get(), &info) == 0 && S_ISREG(info.st_mode);
  const std::size_t wanted = sized ? static_cast<std::size_t>(info.st_size) + 1 : kReadChunk;
  if (buffer.size() < wanted) buffer.resize(wanted);
  std::size_t filled = 0;
  while (true) {
    if (filled == buffer.size()) buffer.resize(buffer.size() + std::max(buffer.size(), kReadChunk));  // it grew
    const ssize_t n = ::read(fd.get(), buffer.data() + filled, buffer.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::from_errno(errno, "read " + path.string());
    }
    if (n == 0) return std::string_view(buffer.data(), filled);
    filled += static_cast<std::size_t>(n);
  }
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::string out;
  Result<std::string_view> read = read_file_into(path, out);
  if (!read) return read.status();
  out.resize(read->size());
  return out;
}

Status ensure_writable_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::from_errno(ec.value(), "create directory " + dir.string());
  const std::filesystem::path probe = dir / ".write-probe";
  UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::from_errno(errno, "create a file in " + dir.string());
  Status written = write_all(fd.get(), "probe", probe);
  if (written) written = fd.close(probe.string());
  ::unlink(probe.c_str());
  return written;
}

bool has_free_space(const std::filesystem::path& dir, std::uint64_t min_free_bytes) {
  struct statvfs fs {};
  return ::statvfs(dir.c_str(), &fs) != 0 || static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize >= min_free_bytes;
}

Result<FileSystemSpace> file_system_space(const std::filesystem::path& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return Status::from_errno(errno, "statvfs " + path.string());
  return FileSystemSpace{.size_bytes = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize,
                         .available_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize};
}

}  // namespace mc
