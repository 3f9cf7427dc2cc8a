#include "app/heads_publisher.hpp"

#include <algorithm>
#include <utility>

#include "common/log.hpp"
#include "common/sha256.hpp"
#include "common/thread_name.hpp"
#include "spool/stored_marks.hpp"

namespace mc {

HeadsPublisher::HeadsPublisher(ObjectStore& store, SpoolLayout layout, std::string prefix, std::string instance_id,
                               const Clock& clock, std::chrono::steady_clock::duration interval)
    : store_(store),
      layout_(std::move(layout)),
      prefix_(std::move(prefix)),
      instance_id_(std::move(instance_id)),
      clock_(clock),
      interval_(interval),
      log_(make_logger("heads")) {
  thread_ = std::jthread([this](const std::stop_token& stop) {
    name_this_thread("mc-heads");
    run(stop);
  });
}

HeadsPublisher::~HeadsPublisher() { static_cast<void>(stop()); }

void HeadsPublisher::run(const std::stop_token& stop) {
  while (true) {
    {
      std::unique_lock lock(wait_mutex_);
      wake_.wait_for(lock, stop, interval_, [] { return false; });
    }
    if (stop.stop_requested()) return;
    if (Status published = publish("periodic", false); !published) {
      log_->warn("head object not stored, trying again in a minute: {}", published.message());
    }
  }
}

Status HeadsPublisher::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  {
    const std::lock_guard lock(publish_mutex_);
    if (stopped_) return Status::ok();
    stopped_ = true;
  }
  Status published = publish("stop", true);
  if (!published) log_->error("last head object not stored at stop: {}", published.message());
  return published;
}

Status HeadsPublisher::publish(const char* reason, bool force) {
  const std::lock_guard lock(publish_mutex_);
  std::vector<HeadWriter> writers = stored_writers(layout_, prefix_, instance_id_);
  if (!force && writers == last_stored_) return Status::ok();
  if (writers.empty()) return Status::ok();  // nothing numbered stored yet: no head to give
  // Every head is a new key, later than the last even when the clock stepped back.
  const std::int64_t epoch_ms = std::max(clock_.system_now_us() / 1000, last_epoch_ms_ + 1);
  const Head head{.instance_id = instance_id_, .created_at_ms = epoch_ms, .reason = reason, .writers = writers};
  const std::string body = render_head(head);
  Result<std::string> digest = sha256_hex(body);
  if (!digest) return digest.status();
  const std::string key = head_key(prefix_, instance_id_, epoch_ms);
  if (Status put = store_.put({.key = key, .body = body, .content_type = "application/json", .sha256_hex = *digest});
      !put) {
    return put.with_context("storing " + key);
  }
  last_epoch_ms_ = epoch_ms;
  last_stored_ = std::move(writers);
  log_->info("head stored key={} writers={} reason={}", key, last_stored_.size(), reason);
  return Status::ok();
}

}  // namespace mc
