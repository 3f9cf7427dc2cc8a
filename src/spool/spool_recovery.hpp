#pragma once
// Start-up: read the spool's state from its directories and say what is left to do. What an
// earlier run left behind goes through the same sealer and uploader as live data.
//
//   *.tmp in open/ or sealed/                  an interrupted atomic write: removed
//   open/<open_key>                            to be sealed (oldest epoch first)
//   sealed/ part + manifest                    to be uploaded (oldest epoch first)
//   sealed/ manifest alone                     uploaded already (the part is deleted first): removed
//   sealed/ part, its open file still present  an interrupted seal: sealing the open file redoes it
//   sealed/ part alone, no open file           should not happen: moved to rejected/, logged
//   a name that is not a key this spool wrote  moved to rejected/, logged
//
// No data file is ever deleted here.

#include <cstddef>
#include <filesystem>
#include <vector>

#include "common/status.hpp"
#include "spool/spool_layout.hpp"

namespace mc {

struct RecoveryCounts {
  std::size_t temp_removed = 0;
  std::size_t open_files = 0;
  std::size_t sealed_parts = 0;
  std::size_t uploaded_manifests_removed = 0;
  std::size_t rejected = 0;
};

struct RecoveryPlan {
  std::vector<std::filesystem::path> open_files;  // for the sealer
  std::vector<SealedPart> sealed_parts;           // for the uploader
  RecoveryCounts counts;
};

// Creates open/ and sealed/ when missing, tidies the spool as above and logs one summary line.
// Fails only when a directory cannot be read or a file cannot be removed or moved.
Result<RecoveryPlan> recover_spool(const SpoolLayout& layout);

// While running: the complete pairs in sealed/ whose open file is gone (a pair next to its open file
// is the sealer's to hand on), oldest first. Reads only: temp files and foreign names are skipped, not
// touched, since the sealer may be writing next to it. For the uploader, to take back parts its full
// queue refused.
Result<std::vector<SealedPart>> list_sealed_pairs(const SpoolLayout& layout);

}  // namespace mc
