#pragma once
// The function that creates an open part's file. It is injectable so tests can hand the writer a
// file that fails like a full disk (/dev/full) without root.

#include <filesystem>
#include <functional>

#include "spool/spool_metrics.hpp"
#include "common/status.hpp"
#include "common/unique_fd.hpp"

namespace mc {

// Creates the file for appending; fails if it already exists.
using FileOpener = std::function<Result<UniqueFd>(const std::filesystem::path&)>;

// The production opener: O_WRONLY|O_CREAT|O_EXCL|O_APPEND, mode 0644. O_APPEND keeps writes at the
// end after the writer truncates a torn line away.
Result<UniqueFd> create_part_file(const std::filesystem::path& path);

// fdatasync of a part file, counted in writer_fdatasyncs when it worked; path names it in the error.
Status sync_part_data(const UniqueFd& fd, const std::filesystem::path& path, SpoolMetrics& metrics);

}  // namespace mc
