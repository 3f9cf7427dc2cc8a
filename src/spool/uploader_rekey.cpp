#include "spool/uploader_rekey.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "common/file_util.hpp"
#include "spool/uploader_manifest.hpp"

namespace mc {
namespace {

namespace fs = std::filesystem;

// Lower names tried before giving up; each taken one is a part of this writer still in the spool.
constexpr int kMaxEpochTries = 1000;

bool present(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec) || ec;  // an unreadable entry counts as taken
}

// link(2) refuses a name that exists. True when linked; false when the name is taken.
Result<bool> link_new(const fs::path& from, const fs::path& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return true;
  if (errno == EEXIST) return false;
  return Status::from_errno(errno, "link " + from.string() + " to " + to.string());
}

// Gives the pair the name of `to`; false (nothing left behind) when a file holds one of its names.
Result<bool> place_pair(const SealedPart& from, const SealedPart& to, std::string_view manifest) {
  const fs::path manifest_temp = temp_path_of(to.manifest_file);
  if (Status written = write_synced_file(manifest_temp, manifest); !written) return written;
  Result<bool> part = link_new(from.part_file, to.part_file);
  Result<bool> manifest_placed = part && *part ? link_new(manifest_temp, to.manifest_file) : Result<bool>(false);
  static_cast<void>(remove_file(manifest_temp));  // linked or not needed; recovery removes a leftover
  if (part && *part && !(manifest_placed && *manifest_placed)) static_cast<void>(remove_file(to.part_file));
  if (!part) return part.status();
  if (!manifest_placed) return manifest_placed.status();
  return *part && *manifest_placed;
}

}  // namespace

Result<SealedPart> move_to_free_epoch(const SpoolLayout& layout, const SealedPart& part, std::string_view manifest) {
  const std::string context = "move " + part.name.part_key() + " to a free epoch_ms";
  PartName name = part.name;
  for (int tries = 0; tries < kMaxEpochTries; ++tries) {
    --name.epoch_ms;
    const SealedPart next = layout.sealed(name);
    if (present(layout.open_file(name)) || present(next.part_file) || present(next.manifest_file)) continue;
    Result<std::string> rewritten = manifest_with_s3_key(manifest, name.part_key());
    if (!rewritten) return rewritten.status().with_context(context);
    Result<bool> placed = place_pair(part, next, *rewritten);
    if (!placed) return placed.status().with_context(context);
    if (!*placed) continue;
    if (Status synced = fsync_directory(layout.sealed_dir()); !synced) return synced.with_context(context);
    // The pair is durable under its new name; the old names only repeat it. Should a removal fail, the
    // next start stores that copy once more under yet another name: a duplicate, never a loss.
    if (remove_file(part.part_file) && fsync_directory(layout.sealed_dir())) {
      static_cast<void>(remove_file(part.manifest_file));
    }
    return next;
  }
  return Status::retryable(context + ": every epoch_ms below it tried is taken in the spool");
}

}  // namespace mc
