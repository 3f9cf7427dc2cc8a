#include "store/local_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include "common/file_util.hpp"
#include "common/unique_fd.hpp"
#include "common/sha256.hpp"

namespace mc {
namespace {

namespace fs = std::filesystem;

// mkostemp replaces the six X with random characters and creates the file exclusively.
constexpr std::string_view kTempTemplate = "-XXXXXX";
// Temporary files left by a crash older than this are removed when a store is opened; younger ones
// may belong to another collector sharing the directory.
constexpr auto kStaleIncomingAge = std::chrono::hours(1);
constexpr std::size_t kMaxSegment = NAME_MAX - kTempTemplate.size();
// Taken link names in a row before a put writes the bytes instead: only a crash's leftovers from a
// process with the same pid can hold them.
constexpr int kMaxLinkNameTries = 100;

// Creates each missing directory between root and the key's file, fsyncing the parent of every
// directory it creates so the new entry is durable before the object is renamed into it.
Status create_key_directories(const fs::path& root, std::string_view key) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::from_errno(ec.value(), "create directory " + root.string());
  fs::path dir = root;
  std::size_t start = 0;
  for (std::size_t slash = key.find('/'); slash != std::string_view::npos; slash = key.find('/', start)) {
    const fs::path parent = dir;
    dir /= key.substr(start, slash - start);
    start = slash + 1;
    if (::mkdir(dir.c_str(), 0755) == 0) {
      if (Status synced = fsync_directory(parent); !synced) return synced;
    } else if (errno != EEXIST) {
      return Status::from_errno(errno, "create directory " + dir.string());
    }
  }
  return Status::ok();
}

// Writes the body to a fresh temporary file in the incoming directory and renames it over target,
// so a reader listing the store never sees a temporary file, even after a crash.
Status write_then_rename(const fs::path& incoming, const fs::path& target, std::string_view body) {
  std::error_code ec;
  fs::create_directories(incoming, ec);
  if (ec) return Status::from_errno(ec.value(), "create directory " + incoming.string());
  std::string temp = (incoming / "put").string();
  temp += kTempTemplate;
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) return Status::from_errno(errno, "create " + temp);
  // mkostemp creates 0600; stored objects are readable like any other file the service writes.
  Status written = Status::ok();
  if (::fchmod(fd.get(), 0644) != 0) written = Status::from_errno(errno, "chmod " + temp);
  if (written) written = write_all(fd.get(), body, temp);
  if (written && ::fsync(fd.get()) != 0) written = Status::from_errno(errno, "fsync " + temp);
  if (written) written = fd.close(temp);
  if (written) written = rename_durable(temp, target);
  if (!written) ::unlink(temp.c_str());  // best effort: the error being returned is the one that matters
  return written;
}

// Links source (a durable file holding the object's bytes) under a temporary name and renames that
// over target: no bytes written, no data fsync, no new inode. False when the link is refused (another
// file system, a file system without hard links, the file gone): the caller writes the bytes instead.
// next_link numbers the temporary names. They are not reserved with mkstemp: that created and
// deleted an inode per object, two a part, and ext4's inode allocator slows down with every recent
// deletion (1,000 symbols seal 200 parts a second). link() refuses a name that exists, so a name
// another process holds only costs the next number.
bool link_then_rename(const fs::path& incoming, const fs::path& source, const fs::path& target,
                      std::atomic<std::uint64_t>& next_link, Status& result) {
  std::error_code ec;
  fs::create_directories(incoming, ec);
  if (ec) return false;
  const std::string prefix = (incoming / "link-").string() + std::to_string(::getpid()) + "-";
  std::string temp;
  for (int tries = 0;; ++tries) {
    temp = prefix + std::to_string(next_link.fetch_add(1, std::memory_order_relaxed));
    if (::link(source.c_str(), temp.c_str()) == 0) break;
    if (errno != EEXIST || tries == kMaxLinkNameTries) return false;
  }
  result = rename_durable(temp, target);
  if (!result) ::unlink(temp.c_str());
  return true;
}

// Best effort: a file that cannot be removed now is tried again at the next start.
void remove_stale_incoming(const fs::path& incoming) {
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - kStaleIncomingAge;
  for (auto it = fs::directory_iterator(incoming, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (it->is_regular_file(entry_ec) && it->last_write_time(entry_ec) < cutoff && !entry_ec) {
      fs::remove(it->path(), entry_ec);
    }
  }
}

}  // namespace

Status validate_object_key(std::string_view key) {
  if (key.empty()) return Status::fatal("empty object key");
  if (key.find('\0') != std::string_view::npos) return Status::fatal("object key contains NUL");
  if (key.substr(0, key.find('/')) == kIncomingDir) return Status::fatal("object key in the store's own directory: " + std::string(key));
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = key.find('/', start);
    const std::string_view segment = key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    if (segment.empty()) return Status::fatal("object key has an empty segment: " + std::string(key));
    if (segment == "." || segment == "..") {
      return Status::fatal("object key has a '.' or '..' segment: " + std::string(key));
    }
    if (segment.size() > kMaxSegment) return Status::fatal("object key has a segment too long: " + std::string(key));
    if (slash == std::string_view::npos) return Status::ok();
    start = slash + 1;
  }
}

LocalStore::LocalStore(const fs::path& root) {
  std::error_code ec;
  fs::path absolute = fs::absolute(root, ec);
  // absolute() fails only when the working directory is gone; the relative path still works then.
  root_ = (ec ? root : absolute).lexically_normal();
  // "dir/" normalises to "dir/" with an empty last component; describe() should not show it.
  if (!root_.has_filename() && root_.has_parent_path() && root_ != root_.root_path()) root_ = root_.parent_path();
  remove_stale_incoming(root_ / kIncomingDir);
}

Status LocalStore::put(const PutRequest& request) {
  if (Status valid = validate_object_key(request.key); !valid) return valid;
  if (!request.sha256_hex.empty()) {
    const Result<std::string> actual = sha256_hex(request.body);
    if (!actual) return actual.status().with_context("put " + request.key);
    if (*actual != request.sha256_hex) {
      return Status::corrupt("sha256 mismatch for " + request.key + ": expected " + request.sha256_hex + ", body has " +
                             *actual);
    }
  }
  if (Status created = create_key_directories(root_, request.key); !created) {
    return created.with_context("put " + request.key);
  }
  if (!request.source_file.empty()) {
    Status linked = Status::ok();
    if (link_then_rename(root_ / kIncomingDir, request.source_file, path_of(request.key), next_link_, linked)) {
      return linked.with_context("put " + request.key);
    }
  }
  return write_then_rename(root_ / kIncomingDir, path_of(request.key), request.body).with_context("put " + request.key);
}

std::string LocalStore::describe() const { return "local:" + root_.string(); }

}  // namespace mc
