#pragma once
// Sealing: an open part becomes a gzip part plus its manifest in sealed/, then the open file goes.
//
//   open/<open_key> --read, trim torn tail, scan, gzip, sha256--> sealed/<part_key>.tmp      (fdatasync)
//                                                             --> sealed/<manifest_key>.tmp  (fdatasync)
//                   --> rename the part, then the manifest; one fsync of sealed/
//                   --> hand_on(part)        the pair is durable: it can travel from here
//                   --> unlink open/<open_key>, fsync open/
//
// Every step can be repeated: a crash at any point leaves the open file in place, and sealing it
// again writes the same part bytes (libdeflate is deterministic) over whatever was there. Recovery
// removes temp files, re-seals any open file, and drops a manifest whose part is missing, so a
// crash between the renames and the fsync of sealed/ (on a file system that reorders them) only
// repeats the seal. docs/SPOOL.md says why one directory fsync is enough.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/gzip.hpp"
#include "common/status.hpp"
#include "spool/part_notes.hpp"
#include "spool/part_sequence.hpp"
#include "spool/part_stats.hpp"
#include "spool/spool_layout.hpp"

namespace mc {

using HandOn = std::function<void(const SealedPart&)>;

// Seals open parts one after another. It keeps its buffers from part to part (the open file's bytes,
// the gzip output, libdeflate's tables): a fresh 2 MiB buffer per part costs a page fault per page,
// which on a VM is more than reading the part. One per sealing thread.
class Sealer {
 public:
  // sequence numbers data parts (part_sequence.hpp); without one their manifests carry no number.
  Sealer(SpoolLayout layout, int gzip_level, const Clock& clock, PartSequence* sequence = nullptr);

  // The sealed part, or nullopt when there was nothing to seal: the open file held no complete line
  // (a crash right after it was created; it is removed) or it no longer exists (already sealed).
  // kCorrupt when the file's name is not an open part key: the caller moves it to rejected/.
  // kNoSpace when the disk is full; kFatal for a gzip level libdeflate does not have; other kinds as
  // the file system reports them.
  // notes go into the manifest as they are (start-up recovery has none). counted: the part's numbers
  // as its writer counted them; used when they match the file (its size, every line complete), else
  // the file is parsed for them.
  // hand_on, when set, gets the part as soon as the pair is durable, before the open file is removed,
  // so an upload need not wait for that unlink and its directory fsync. Once it was called the result
  // is the part even if removing the open file fails (logged; the next start seals it again, and the
  // store gets the same part bytes twice).
  Result<std::optional<SealedPart>> seal(const std::filesystem::path& open_file, const PartNotes& notes = {},
                                         const std::optional<PartStats>& counted = std::nullopt,
                                         const HandOn& hand_on = {});

 private:
  SpoolLayout layout_;
  int gzip_level_;
  const Clock& clock_;
  PartSequence* sequence_;
  std::string part_;                          // the last part read; its memory serves the next
  std::optional<GzipCompressor> compressor_;  // made at the first seal
};

}  // namespace mc
