#include "audit/s3_store_reader.hpp"

#include <algorithm>
#include <utility>

namespace mc {
namespace {

// Gives the borrowed reader back whichever way the call returns.
class Lease {
 public:
  Lease(std::unique_ptr<S3Reader> reader, std::function<void(std::unique_ptr<S3Reader>)> give_back)
      : reader_(std::move(reader)), give_back_(std::move(give_back)) {}
  ~Lease() { give_back_(std::move(reader_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  S3Reader& operator*() const { return *reader_; }

 private:
  std::unique_ptr<S3Reader> reader_;
  std::function<void(std::unique_ptr<S3Reader>)> give_back_;
};

}  // namespace

S3StoreReader::S3StoreReader(S3ReaderFactory make_reader) : make_reader_(std::move(make_reader)) {
  std::unique_ptr<S3Reader> first = make_reader_();
  description_ = first->describe();
  idle_.push_back(std::move(first));
}

std::unique_ptr<S3Reader> S3StoreReader::borrow() const {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<S3Reader> reader = std::move(idle_.back());
      idle_.pop_back();
      return reader;
    }
  }
  return make_reader_();
}

void S3StoreReader::give_back(std::unique_ptr<S3Reader> reader) const {
  const std::lock_guard lock(mutex_);
  idle_.push_back(std::move(reader));
}

Result<std::vector<StoredObject>> S3StoreReader::list(std::string_view prefix) const {
  const Lease reader(borrow(), [this](std::unique_ptr<S3Reader> r) { give_back(std::move(r)); });
  Result<std::vector<ObjectEntry>> entries = (*reader).list(prefix);
  if (!entries) return entries.status();
  std::vector<StoredObject> out;
  out.reserve(entries->size());
  for (ObjectEntry& entry : *entries) out.push_back({.key = std::move(entry.key), .size = entry.size});
  // ListObjectsV2 returns keys in UTF-8 binary order already; sorting keeps the interface's promise
  // for any S3-compatible server.
  std::sort(out.begin(), out.end(), [](const StoredObject& a, const StoredObject& b) { return a.key < b.key; });
  return out;
}

Result<std::vector<std::string>> S3StoreReader::list_folders(std::string_view prefix) const {
  const Lease reader(borrow(), [this](std::unique_ptr<S3Reader> r) { give_back(std::move(r)); });
  Result<std::vector<std::string>> folders = (*reader).list_folders(prefix);
  if (!folders) return folders.status();
  std::sort(folders->begin(), folders->end());
  return folders;
}

Result<std::string> S3StoreReader::get(std::string_view key) const {
  const Lease reader(borrow(), [this](std::unique_ptr<S3Reader> r) { give_back(std::move(r)); });
  return (*reader).get(key);
}

}  // namespace mc
