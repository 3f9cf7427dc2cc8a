#include "audit/s3_store_reader.hpp"

#include <algorithm>

namespace mc {

Result<std::vector<StoredObject>> S3StoreReader::list(std::string_view prefix) const {
  Result<std::vector<ObjectEntry>> entries = reader_->list(prefix);
  if (!entries) return entries.status();
  std::vector<StoredObject> out;
  out.reserve(entries->size());
  for (ObjectEntry& entry : *entries) out.push_back({.key = std::move(entry.key), .size = entry.size});
  // ListObjectsV2 returns keys in UTF-8 binary order already; sorting keeps the interface's promise
  // for any S3-compatible server.
  std::sort(out.begin(), out.end(), [](const StoredObject& a, const StoredObject& b) { return a.key < b.key; });
  return out;
}

Result<std::string> S3StoreReader::get(std::string_view key) const { return reader_->get(key); }

}  // namespace mc
