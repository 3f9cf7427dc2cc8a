#pragma once
// Reading a store back, for the audit: list the objects under a key prefix, fetch one. The local
// directory store implements it here; an S3 reader (ListObjectsV2 + GetObject) plugs in the same way.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

struct StoredObject {
  std::string key;
  std::uint64_t size = 0;
  friend bool operator==(const StoredObject&, const StoredObject&) = default;
};

// Thread-safe: the audit lists and reads from several threads at once (AuditRequest::jobs).
class StoreReader {
 public:
  virtual ~StoreReader() = default;
  // Every object whose key starts with prefix, sorted by key. A prefix nothing lives under is an
  // empty list, not an error.
  virtual Result<std::vector<StoredObject>> list(std::string_view prefix) const = 0;
  virtual Result<std::string> get(std::string_view key) const = 0;
  virtual std::string describe() const = 0;
  // The folders right below prefix (which ends in '/'): each the whole key prefix up to and
  // including the next '/', sorted. This one derives them from list(prefix); stores override it
  // with a cheaper way (a directory read, S3's delimiter).
  virtual Result<std::vector<std::string>> list_folders(std::string_view prefix) const;
};

// LOCAL_STORE_DIR: keys are paths under the root. The store's private ".incoming/" is never listed.
// Thread-safe: every call opens its own files.
class LocalStoreReader final : public StoreReader {
 public:
  explicit LocalStoreReader(const std::filesystem::path& root);

  Result<std::vector<StoredObject>> list(std::string_view prefix) const override;
  // kFatal for a key that is not a valid object key; kCorrupt when the object is missing (the
  // audit only asks for keys it has listed, so a vanished object is a finding, not a transient).
  Result<std::string> get(std::string_view key) const override;
  std::string describe() const override;  // "local:<absolute root>"
  Result<std::vector<std::string>> list_folders(std::string_view prefix) const override;

 private:
  std::filesystem::path root_;
};

}  // namespace mc
