#pragma once
// A store that fails on command in front of a real one, and records every put it saw: the key, the
// time, whether it succeeded, and which files were in the spool directory at that moment; and every
// put and sync in the order they came.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/object_store.hpp"

namespace mc::testing {

class FlakyStore final : public ObjectStore {
 public:
  struct Put {
    std::string key;
    bool ok = false;
    std::chrono::steady_clock::time_point at;
    std::vector<std::string> spool_files;  // file names in the watched directory, sorted
    bool deferred = false;                 // durable only at the next sync
  };

  FlakyStore(ObjectStore& inner, std::filesystem::path watched_dir)
      : inner_(inner), watched_dir_(std::move(watched_dir)) {}

  // The next n puts fail with `kind`.
  void fail_next(int n, ErrorKind kind = ErrorKind::kRetryable) {
    std::lock_guard lock(mutex_);
    fail_next_ = n;
    fail_kind_ = kind;
  }
  // The next put of this key fails as retryable.
  void fail_key(std::string key) {
    std::lock_guard lock(mutex_);
    fail_keys_.push_back(std::move(key));
  }
  // The next n puts of manifests fail; parts go through.
  void fail_next_manifests(int n) {
    std::lock_guard lock(mutex_);
    fail_manifests_ = n;
  }
  // The next n syncs fail as retryable, before the inner store syncs.
  void fail_next_syncs(int n) {
    std::lock_guard lock(mutex_);
    fail_syncs_ = n;
  }
  // While down, every put fails as retryable.
  void set_down(bool down) {
    std::lock_guard lock(mutex_);
    down_ = down;
  }
  // While held, puts wait (after being recorded) until released.
  void hold(bool held) {
    {
      std::lock_guard lock(mutex_);
      held_ = held;
    }
    released_.notify_all();
  }

  Status put(const PutRequest& request) override {
    std::unique_lock lock(mutex_);
    Put record{request.key, false, std::chrono::steady_clock::now(), spool_files(),
               request.durability == PutRequest::Durability::kAtSync};
    const bool manifest = request.key.find("/manifest-") != std::string::npos;
    Status status = Status::ok();
    if (down_) {
      status = Status::retryable("store is down");
    } else if (fail_next_ > 0) {
      --fail_next_;
      status = fail_kind_ == ErrorKind::kFatal ? Status::fatal("injected") : Status::retryable("injected");
    } else if (const auto failing = std::ranges::find(fail_keys_, request.key); failing != fail_keys_.end()) {
      fail_keys_.erase(failing);
      status = Status::retryable("injected failure of this key");
    } else if (manifest && fail_manifests_ > 0) {
      --fail_manifests_;
      status = Status::retryable("injected manifest failure");
    }
    puts_.push_back(record);
    events_.push_back("put " + request.key);
    const std::size_t index = puts_.size() - 1;
    released_.wait(lock, [this] { return !held_; });
    if (!status) return status;
    lock.unlock();
    status = inner_.put(request);
    lock.lock();
    puts_[index].ok = status.is_ok();
    return status;
  }
  Status sync() override {
    {
      std::lock_guard lock(mutex_);
      ++syncs_;
      events_.emplace_back("sync");
      if (fail_syncs_ > 0) {
        --fail_syncs_;
        return Status::retryable("injected sync failure");
      }
    }
    return inner_.sync();
  }
  std::string describe() const override { return "flaky(" + inner_.describe() + ")"; }

  // "put <key>" and "sync", in the order they came.
  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  int syncs() const {
    std::lock_guard lock(mutex_);
    return syncs_;
  }
  std::vector<Put> puts() const {
    std::lock_guard lock(mutex_);
    return puts_;
  }
  std::vector<Put> puts_of(const std::string& key) const {
    std::vector<Put> out;
    for (const Put& put : puts()) {
      if (put.key == key) out.push_back(put);
    }
    return out;
  }
  // How many puts of each key succeeded.
  std::map<std::string, int> stored_counts() const {
    std::map<std::string, int> counts;
    for (const Put& put : puts()) counts[put.key] += put.ok ? 1 : 0;
    return counts;
  }

 private:
  std::vector<std::string> spool_files() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(watched_dir_, ec)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  ObjectStore& inner_;
  const std::filesystem::path watched_dir_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::vector<Put> puts_;
  std::vector<std::string> events_;
  int fail_next_ = 0;
  ErrorKind fail_kind_ = ErrorKind::kRetryable;
  int fail_manifests_ = 0;
  int fail_syncs_ = 0;
  std::vector<std::string> fail_keys_;
  int syncs_ = 0;
  bool down_ = false;
  bool held_ = false;
};

}  // namespace mc::testing
