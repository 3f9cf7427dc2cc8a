#pragma once
// The longest names a configuration makes, checked at start-up against the limits they must fit.
// A key over S3's limit is refused by every PUT and a file name over the file system's limit fails
// every open: found only at the first record, either would drop data for as long as the collector
// runs. At start-up it is a configuration error instead.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "common/record.hpp"
#include "common/status.hpp"

namespace mc {

inline constexpr std::size_t kMaxObjectKeyBytes = 1024;  // S3's limit on a key, in UTF-8 bytes
inline constexpr std::size_t kDefaultFileNameBytes = 255;  // NAME_MAX of ext4, xfs, btrfs, tmpfs, overlayfs

// The longest epoch_ms a name can hold: 13 digits (until the year 2286).
inline constexpr std::int64_t kLongestEpochMs = 9'999'999'999'999;

struct NameLimits {
  std::size_t object_key_bytes = kMaxObjectKeyBytes;
  std::size_t file_name_bytes = kDefaultFileNameBytes;  // of the spool's file system
  // Of the local store's file system, where each '/'-separated piece of a key is a file or directory
  // name; 0 for S3, which has no such limit.
  std::size_t store_name_bytes = 0;
};

// NAME_MAX of the file system that holds dir; kDefaultFileNameBytes when it cannot be asked.
std::size_t file_name_limit(const std::filesystem::path& dir);

// Every key and spool file name of every route — part, manifest and open file, the stored mark, with
// the longest suffix the spool appends to a file name — at kLongestEpochMs, and other_keys (keys
// outside the part layout, made at kLongestEpochMs by the caller). Fatal when any is over its limit,
// naming the longest such names, their lengths and the limit.
Status check_name_lengths(std::string_view prefix, std::string_view instance_id, const RouteTable& routes,
                          std::span<const std::string> other_keys, const NameLimits& limits);

}  // namespace mc
