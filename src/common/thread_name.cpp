#include "common/thread_name.hpp"

#include <pthread.h>

namespace mc {

namespace {
constexpr std::size_t kMaxThreadName = 15;  // TASK_COMM_LEN less the terminating NUL
}  // namespace

// A name is a debugging aid: failing to set one is not worth an error.
void name_this_thread(const std::string& name) {
  static_cast<void>(::pthread_setname_np(::pthread_self(), name.substr(0, kMaxThreadName).c_str()));
}

}  // namespace mc
