#pragma once
// Remembers, per writer, the newest epoch_ms already stored (SpoolLayout::stored_mark), so that a
// new part can never take the name, and so the object key, of a part that already left the spool:
// after a restart with the system clock behind the last run, the writer starts above the mark
// instead of overwriting a stored object. The uploader raises the mark before it deletes a part's
// local files.

#include <cstdint>
#include <filesystem>
#include <optional>

#include "common/status.hpp"

namespace mc {

// The mark in mark_file; nullopt when there is none or it cannot be read (names are then still
// checked against the spool's files).
std::optional<std::int64_t> read_stored_mark(const std::filesystem::path& mark_file);

// Raises the mark to epoch_ms (never lowers it), durably. The caller serialises calls for one file.
Status raise_stored_mark(const std::filesystem::path& mark_file, std::int64_t epoch_ms);

}  // namespace mc
