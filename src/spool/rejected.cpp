#include "spool/rejected.hpp"

#include <system_error>

#include <fmt/format.h>

#include "common/file_util.hpp"

namespace mc {

std::filesystem::path rejected_dir(const SpoolLayout& layout) { return layout.root() / "rejected"; }

Result<std::filesystem::path> move_to_rejected(const SpoolLayout& layout, const std::filesystem::path& file) {
  const std::filesystem::path dir = rejected_dir(layout);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::from_errno(ec.value(), "create directory " + dir.string());

  std::filesystem::path target = dir / file.filename();
  for (int suffix = 1; std::filesystem::exists(target, ec); ++suffix) {
    if (suffix > kMaxRejectedNameSuffix) return Status::fatal(fmt::format("no free name in {} for {}", dir.string(), file.string()));
    target = dir / fmt::format("{}.{}", file.filename().string(), suffix);
  }
  if (ec) return Status::from_errno(ec.value(), "stat " + target.string());
  if (Status moved = rename_durable(file, target); !moved) return moved;
  if (Status synced = fsync_directory(file.parent_path()); !synced) return synced;
  return target;
}

}  // namespace mc
