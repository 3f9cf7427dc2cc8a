#pragma once
// Remembers, per writer, what it already stored (SpoolLayout::stored_mark): the newest epoch_ms, so
// that a new part can never take the name, and so the object key, of a part that already left the
// spool (after a restart with the system clock behind the last run, the writer starts above the
// mark instead of overwriting a stored object); and the newest part number with its key, so that
// numbering continues across restarts (part_sequence.hpp) and the heads name what is stored. The
// uploader raises the mark before it deletes a part's local files.
//
// The file holds one line: "<epoch_ms>" or "<epoch_ms> <part_number> <part_key>".

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "keys/head_object.hpp"
#include "spool/spool_layout.hpp"

namespace mc {

struct StoredMark {
  std::int64_t epoch_ms = 0;
  std::uint64_t part_number = 0;  // 0: none numbered yet
  std::string part_key;           // the part numbered part_number
  friend bool operator==(const StoredMark&, const StoredMark&) = default;
};

// The mark in mark_file; nullopt when there is none or it cannot be read (names are then still
// checked against the spool's files).
std::optional<StoredMark> read_stored_mark_file(const std::filesystem::path& mark_file);
// Its epoch_ms alone.
std::optional<std::int64_t> read_stored_mark(const std::filesystem::path& mark_file);

// Raises the mark's epoch_ms (never lowers it), durably. The caller serialises calls for one file.
Status raise_stored_mark(const std::filesystem::path& mark_file, std::int64_t epoch_ms);
// A part about to leave the spool and its manifest's text (as the uploader just stored it).
struct StoredPart {
  const SealedPart* part = nullptr;
  std::string_view manifest;
};
// Raises each part's mark by its epoch_ms and the number its manifest gives it, when above the
// mark's: the parts of one writer together, every mark at most once. All the changed marks are made
// durable by one flush: each is written to a temporary file, the spool's file system is synced (an
// fdatasync when only one mark changes), they are renamed into place and stored/ is fsynced once.
// The result has one status per part, in order: ok once its mark is durable. The caller serialises
// calls that may touch the same marks.
std::vector<Status> raise_stored_marks(std::span<const StoredPart> parts);

// The numbered data writers of `instance_id` in the stored marks, sorted: what a head object lists.
std::vector<HeadWriter> stored_writers(const SpoolLayout& layout, std::string_view prefix,
                                       std::string_view instance_id);

}  // namespace mc
