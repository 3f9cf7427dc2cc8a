#pragma once
// The audit's view of an S3 bucket: StoreReader over S3Reader (ListObjectsV2 + GetObject), signed with
// the reader's own credentials (the collector's role can neither list nor read).

#include <memory>

#include "audit/store_reader.hpp"
#include "store/s3_reader.hpp"

namespace mc {

class S3StoreReader final : public StoreReader {
 public:
  explicit S3StoreReader(std::unique_ptr<S3Reader> reader) : reader_(std::move(reader)) {}

  Result<std::vector<StoredObject>> list(std::string_view prefix) const override;
  Result<std::string> get(std::string_view key) const override;
  std::string describe() const override { return reader_->describe(); }

 private:
  // S3Reader keeps one HTTP client and is used from one thread: the audit reads one object at a time.
  std::unique_ptr<S3Reader> reader_;
};

}  // namespace mc
