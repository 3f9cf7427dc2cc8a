#pragma once
// The embedded object store: a directory that mirrors the bucket's keys (LOCAL_STORE_DIR).
// A put links the part's durable spool file under the key, or writes the body to
// ".incoming/put-XXXXXX" under the root, fsyncs it and links that, so a reader sees either no object
// or the whole object. link(2) refuses a name that exists: an object is never replaced. An identical
// one (same bytes) counts as stored, a different one is kAlreadyExists. Then the key's directory is
// fsynced, and so are the parents of directories the put created, so a stored object survives a power
// loss; a put with Durability::kAtSync leaves all of that to sync(), one syncfs(2) of the root's file
// system for every put before it. The root and everything under it are on one file system.

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "store/object_store.hpp"

namespace mc {

// Checks a key maps to a path inside the store: non-empty, relative, no empty, "." or ".."
// segments, no NUL, no segment too long for a file name once the temp suffix is added.
// A bad key is kFatal: retrying the same key cannot succeed.
Status validate_object_key(std::string_view key);

// Under the root, where puts write before they rename into place; not a valid first key segment.
inline constexpr std::string_view kIncomingDir = ".incoming";

class LocalStore final : public ObjectStore {
 public:
  // The root is made absolute now, so a later change of the working directory does not move it.
  // It is created on the first put if missing. Temporary files a crash left in kIncomingDir more
  // than an hour ago are removed.
  explicit LocalStore(const std::filesystem::path& root);

  // kAlreadyExists when a different object holds the key; kNoSpace on a full disk; kFatal for a bad
  // key, permission denied or a read-only file system; kRetryable otherwise.
  Status put(const PutRequest& request) override;
  Status sync() override;
  std::string describe() const override;  // "local:<absolute root>"

  const std::filesystem::path& root() const { return root_; }
  // Where the object of a valid key lives.
  std::filesystem::path path_of(std::string_view key) const { return root_ / std::filesystem::path(key); }

 private:
  std::filesystem::path root_;
};

}  // namespace mc
