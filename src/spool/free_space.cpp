#include "spool/free_space.hpp"

#include "common/file_util.hpp"

namespace mc {

bool FreeSpaceCheck::has_room() {
  if (min_free_bytes_ == 0) return true;
  const auto now = clock_.steady_now();
  if (now < next_check_) return has_room_;
  next_check_ = now + kFreeSpaceCheckInterval;
  has_room_ = has_free_space(dir_, min_free_bytes_);
  return has_room_;
}

}  // namespace mc
