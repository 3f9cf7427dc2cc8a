#pragma once
// Where sealed parts and manifests end up. Implementations: the local directory (the embedded
// default) and S3. A put either stores the whole object under the key or fails; it never leaves a
// partial object visible under the key, and it never replaces an object already there (every key is
// written once): an identical object (same bytes) counts as stored, a different one is
// kAlreadyExists and stays as it is.
//
// Durability: by default an object is durable when put returns ok. A put with Durability::kAtSync
// may return before that (the local store: linked under its key, its directory not yet synced); such
// objects are durable once a later sync() returns ok. Either way the object is visible to readers
// whole or not at all as soon as put returns. Callers that need one object durable before another
// is put (a part before its manifest) call sync() between the two puts; that is how many objects
// share one flush instead of one each.

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

struct PutRequest {
  std::string key;            // the full object key, prefix included: "raw/exchange=binance/..."
  std::string_view body;      // the object's bytes; must outlive the call
  std::string content_type;   // "application/gzip" or "application/json"
  // SHA-256 of body, lower-case hex. The caller hashed the body once (the uploader, to check it against
  // the manifest): stores never hash the body again. S3 requires it (x-amz-content-sha256 and
  // x-amz-checksum-sha256, which S3 checks the body against); the local store does not read it.
  std::string sha256_hex;
  // A durable file (written and fsynced) that holds exactly body, or empty. A store on the same
  // file system may link it instead of writing and fsyncing the bytes again.
  std::filesystem::path source_file;
  enum class Durability { kOnReturn, kAtSync };
  Durability durability = Durability::kOnReturn;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // kRetryable: try again later; kFatal: retrying will not help (permissions, configuration);
  // kAlreadyExists: a different object holds the key (the caller picks another key).
  virtual Status put(const PutRequest& request) = 0;
  // Makes every object put with Durability::kAtSync before this call durable. Stores whose puts are
  // durable on return (S3 answers only once the object is stored redundantly) have nothing to do.
  virtual Status sync() { return Status::ok(); }
  // A short description for logs: "local:/var/lib/mc/store" or "s3://bucket".
  virtual std::string describe() const = 0;
};

}  // namespace mc
