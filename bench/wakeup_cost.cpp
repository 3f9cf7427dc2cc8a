// What a wake-up costs on this machine, apart from any collector: the floor under the network
// thread's CPU at a steady rate.
//
//   mc_wakeup_cost [wakeups]        prints one JSON object
//
// A sender thread writes 2,600 bytes (one 1 ms batch of 3 MB/s of trades) every millisecond into a
// Unix socket; the reader waits in epoll (edge-triggered, as Asio does) and reads until EAGAIN, the
// same system calls as the feed's read minus TLS and parsing. Reports the reader's CPU per wake-up
// and, for scale, the CPU of one trivial system call.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <fmt/core.h>

namespace {

constexpr std::size_t kBatchBytes = 2600;
constexpr int kTrivialCalls = 1'000'000;

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const long batches = argc > 1 ? std::atol(argv[1]) : 3000;
  if (batches < 1) {
    fmt::print(stderr, "usage: mc_wakeup_cost [wakeups]\n");
    return 2;
  }

  double started = thread_cpu_seconds();
  for (int i = 0; i < kTrivialCalls; ++i) ::syscall(SYS_getppid);
  const double syscall_us = (thread_cpu_seconds() - started) / kTrivialCalls * 1e6;

  std::array<int, 2> pair{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
    std::perror("socketpair");
    return 1;
  }
  const int reader = pair[1];
  const int writer = pair[0];
  const int poll = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event interest{};
  interest.events = EPOLLIN | EPOLLET;
  interest.data.fd = reader;
  if (poll < 0 || ::fcntl(reader, F_SETFL, O_NONBLOCK) != 0 || ::epoll_ctl(poll, EPOLL_CTL_ADD, reader, &interest) != 0) {
    std::perror("epoll");
    return 1;
  }
  std::thread sender([&] {
    const std::array<char, kBatchBytes> batch{};
    for (long i = 0; i < batches; ++i) {
      if (::write(writer, batch.data(), batch.size()) < 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::close(writer);
  });

  std::array<char, std::size_t{17} * 1024> buffer{};  // a TLS record's worth, as Asio's SSL stream reads
  long wakeups = 0;
  bool done = false;
  started = thread_cpu_seconds();
  while (!done) {
    epoll_event ready{};
    if (::epoll_wait(poll, &ready, 1, -1) < 1) continue;
    ++wakeups;
    for (;;) {
      const ssize_t n = ::recv(reader, buffer.data(), buffer.size(), 0);
      if (n == 0) done = true;
      if (n <= 0) break;
    }
  }
  const double per_wakeup_us = (thread_cpu_seconds() - started) / static_cast<double>(wakeups) * 1e6;
  sender.join();
  fmt::print("{{\"trivial_syscall_us\": {:.2f}, \"wakeups\": {}, \"cpu_us_per_wakeup\": {:.1f}, "
             "\"share_of_a_core_at_1000_per_second\": {:.4f}}}\n",
             syscall_us, wakeups, per_wakeup_us, per_wakeup_us * 1000 / 1e6);
  return 0;
}
