#pragma once
// The audit's view of an S3 bucket: StoreReader over S3Reader (ListObjectsV2 + GetObject), signed with
// the reader's own credentials (the collector's role can neither list nor read).

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audit/store_reader.hpp"
#include "store/s3_reader.hpp"

namespace mc {

// Makes S3 readers that share credentials and options; each has its own HTTP client.
using S3ReaderFactory = std::function<std::unique_ptr<S3Reader>()>;

// Thread-safe, although S3Reader (one HTTP client) is not: each call borrows an idle reader, or makes
// one, and gives it back after. So there are as many readers (and open connections) as threads that
// ever called at once, and a connection is reused by the next call of any thread.
class S3StoreReader final : public StoreReader {
 public:
  explicit S3StoreReader(S3ReaderFactory make_reader);

  Result<std::vector<StoredObject>> list(std::string_view prefix) const override;
  Result<std::string> get(std::string_view key) const override;
  std::string describe() const override { return description_; }
  Result<std::vector<std::string>> list_folders(std::string_view prefix) const override;

 private:
  std::unique_ptr<S3Reader> borrow() const;
  void give_back(std::unique_ptr<S3Reader> reader) const;

  S3ReaderFactory make_reader_;
  std::string description_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<S3Reader>> idle_;  // guarded by mutex_; at most the callers at once
};

}  // namespace mc
