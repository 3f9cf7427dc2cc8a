#include "store/local_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <optional>
#include <cstdlib>
#include <string>
#include <system_error>

#include "common/file_util.hpp"
#include "common/unique_fd.hpp"

namespace mc {
namespace {

namespace fs = std::filesystem;

// mkostemp replaces the six X with random characters and creates the file exclusively.
constexpr std::string_view kTempTemplate = "-XXXXXX";
// Temporary files left by a crash older than this are removed when a store is opened; younger ones
// may belong to another collector sharing the directory.
constexpr auto kStaleIncomingAge = std::chrono::hours(1);
constexpr std::size_t kMaxSegment = NAME_MAX - kTempTemplate.size();

// Creates each missing directory between root and the key's file. With sync_each, the parent of every
// directory it creates is fsynced so the new entry is durable before the object is linked into it;
// without, the caller's later sync of the whole file system covers them.
Status create_key_directories(const fs::path& root, std::string_view key, bool sync_each) {
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
      if (!sync_each) continue;
      if (Status synced = fsync_directory(parent); !synced) return synced;
    } else if (errno != EEXIST) {
      return Status::from_errno(errno, "create directory " + dir.string());
    }
  }
  return Status::ok();
}

// How a put gave its object the key's name.
enum class Placed { kNew, kNameTaken };

// Writes the body to a fresh temporary file in the incoming directory, fsyncs it and links it under
// target: link(2), unlike rename(2), refuses a name that exists, so an object in place is never
// replaced. A reader listing the store never sees a temporary file, even after a crash.
Result<Placed> write_then_link(const fs::path& incoming, const fs::path& target, std::string_view body) {
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
  Placed placed = Placed::kNew;
  if (written && ::link(temp.c_str(), target.c_str()) != 0) {
    if (errno == EEXIST) {
      placed = Placed::kNameTaken;
    } else {
      written = Status::from_errno(errno, "link " + temp + " to " + target.string());
    }
  }
  ::unlink(temp.c_str());  // the object has its own name now, or the put failed; best effort either way
  if (!written) return written;
  return placed;
}

// Links source (a durable file holding the object's bytes) under target: no bytes written, no data
// fsync, no new inode. nullopt when the link is refused for another reason than a taken name (another
// file system, a file system without hard links, the file gone): the caller writes the bytes instead.
std::optional<Placed> link_source(const fs::path& source, const fs::path& target) {
  if (::link(source.c_str(), target.c_str()) == 0) return Placed::kNew;
  if (errno == EEXIST) return Placed::kNameTaken;
  return std::nullopt;
}

// The object already under target against the one being put: the same bytes mean it is stored (a
// retried put whose first try was not confirmed); a mismatch in length is found without reading.
Status compare_existing(const fs::path& target, std::string_view body) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(target, ec);
  if (ec) return Status::from_errno(ec.value(), "stat " + target.string());
  if (size == body.size()) {
    const Result<std::string> existing = read_file(target);
    if (!existing) return existing.status();
    if (*existing == body) return Status::ok();
  }
  return Status::already_exists("a different object holds the key (" + std::to_string(size) + " bytes stored, " +
                                std::to_string(body.size()) + " bytes put)");
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
  const std::string context = "put " + request.key;
  const bool sync_now = request.durability == PutRequest::Durability::kOnReturn;
  if (Status created = create_key_directories(root_, request.key, sync_now); !created) {
    return created.with_context(context);
  }
  const fs::path target = path_of(request.key);
  std::optional<Placed> placed;
  if (!request.source_file.empty()) placed = link_source(request.source_file, target);
  if (!placed) {
    Result<Placed> written = write_then_link(root_ / kIncomingDir, target, request.body);
    if (!written) return written.status().with_context(context);
    placed = *written;
  }
  if (*placed == Placed::kNameTaken) {
    // The object in place may be an earlier try's whose directory was never synced (a crash, or a
    // sync that failed): it counts as stored only once it is as durable as a new one.
    if (Status same = compare_existing(target, request.body); !same) return same.with_context(context);
  }
  if (!sync_now) return Status::ok();
  return fsync_directory(target.parent_path()).with_context(context);
}

// syncfs covers the key directories created, the links and, for bodies written in .incoming, their
// names: everything a deferred put left to a sync, on the one file system that holds the root.
Status LocalStore::sync() { return sync_file_system(root_).with_context("sync " + describe()); }

std::string LocalStore::describe() const { return "local:" + root_.string(); }

}  // namespace mc
