#pragma once
// LOCAL_DIR/rejected/: files the spool cannot process (a name that is not a key we wrote, a part
// whose manifest can no longer be made). They are kept for an operator, never deleted.

#include <filesystem>

#include "common/status.hpp"
#include "spool/spool_layout.hpp"

namespace mc {

// Enough for any operator's patience; a name taken this often means something loops.
inline constexpr int kMaxRejectedNameSuffix = 1000;

std::filesystem::path rejected_dir(const SpoolLayout& layout);

// Moves file into rejected/ under its own name (plus ".1", ".2", ... if that name is taken there),
// durably. Returns where it went.
Result<std::filesystem::path> move_to_rejected(const SpoolLayout& layout, const std::filesystem::path& file);

}  // namespace mc
