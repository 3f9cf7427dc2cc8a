#pragma once
// A file descriptor in a move-only RAII type.

#include <string_view>

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

}  // namespace mc
