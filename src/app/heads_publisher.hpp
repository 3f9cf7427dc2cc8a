#pragma once
// Publishes this instance's head objects (keys/head_object.hpp): on a thread of its own, at most one
// a minute and only when a writer's stored part number moved, and one at every clean stop. A head
// that cannot be stored is tried again a minute later; it is only a summary of the stored marks, so
// nothing waits for it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "keys/head_object.hpp"
#include "spool/spool_layout.hpp"
#include "store/object_store.hpp"

namespace spdlog {
class logger;
}

namespace mc {

class HeadsPublisher {
 public:
  // Starts the thread; store, clock and layout's files must outlive it.
  HeadsPublisher(ObjectStore& store, SpoolLayout layout, std::string prefix, std::string instance_id,
                 const Clock& clock, std::chrono::steady_clock::duration interval = kHeadInterval);
  ~HeadsPublisher();
  HeadsPublisher(const HeadsPublisher&) = delete;
  HeadsPublisher& operator=(const HeadsPublisher&) = delete;

  // Stops the thread, then stores a last head (reason "stop") naming what is stored now. Call after
  // the uploads drained. Idempotent: the last head is written once.
  Status stop();

 private:
  void run(const std::stop_token& stop);
  // Stores a head when force or the writers changed since the last stored head.
  Status publish(const char* reason, bool force);

  ObjectStore& store_;
  const SpoolLayout layout_;
  const std::string prefix_;
  const std::string instance_id_;
  const Clock& clock_;
  const std::chrono::steady_clock::duration interval_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex publish_mutex_;             // one publish at a time (the thread, then stop())
  std::vector<HeadWriter> last_stored_;  // guarded by publish_mutex_
  std::int64_t last_epoch_ms_ = 0;       // guarded by publish_mutex_
  bool stopped_ = false;                 // guarded by publish_mutex_

  std::mutex wait_mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: starts after everything above exists
};

}  // namespace mc
