#pragma once
// The file handle of an open part and the function that creates it. The function is injectable so
// tests can hand the writer a file that fails like a full disk (/dev/full) without root.

#include <filesystem>
#include <functional>

#include "common/status.hpp"

namespace mc {

// Owns a file descriptor; move-only, closes once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now and reports the error: close(2) can carry a failed write-back.
  Status close(std::string_view what);

 private:
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

  int fd_ = -1;
};

// Creates the file for appending; fails if it already exists.
using FileOpener = std::function<Result<UniqueFd>(const std::filesystem::path&)>;

// The production opener: O_WRONLY|O_CREAT|O_EXCL|O_APPEND, mode 0644. O_APPEND keeps writes at the
// end after the writer truncates a torn line away.
Result<UniqueFd> create_part_file(const std::filesystem::path& path);

}  // namespace mc
