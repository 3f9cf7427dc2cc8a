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
//
// Parts sealed together (seal_group: the parts of one window's end, with many symbols) go through
// the same steps side by side and share the syncs: one syncfs(2) for all their temporary files
// instead of an fdatasync each, one fsync of sealed/ after all the renames, one fsync of open/
// after all the unlinks. Each part passes through exactly the states it would alone.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/gzip.hpp"
#include "common/status.hpp"
#include "spool/part_notes.hpp"
#include "spool/part_sequence.hpp"
#include "spool/part_stats.hpp"
#include "spool/spool_layout.hpp"

namespace mc {

using HandOn = std::function<void(const SealedPart&)>;

// From this many temporary files on (two a part), a group's data is made durable by one syncfs(2)
// of the spool's file system instead of an fdatasync per file: a syncfs also writes whatever else
// is dirty there, which only pays off for several files.
inline constexpr std::size_t kGroupSealFiles = 4;

// Seals open parts one after another. It keeps its buffers from part to part (the open file's bytes,
// the gzip output, libdeflate's tables): a fresh 2 MiB buffer per part costs a page fault per page,
// which on a VM is more than reading the part. One per sealing thread.
// The writer whose part numbers an open file takes (PartName::writer_key); for a name that is not
// an open part's, the path itself, which no other file shares.
std::string writer_of_open_file(const std::filesystem::path& open_file);

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

  // Seals several open files together, sharing their syncs (see the top); one result per job, in
  // order, each as seal() gives it: a part that fails does not hold back the others, except that a
  // failed fsync of sealed/ fails every part renamed before it (each is sealed again on retry, under
  // the number it had). At most one job per writer: a writer's parts take their numbers in turns,
  // so a second one would wait for the first forever; it fails (kFatal) instead.
  std::vector<Result<std::optional<SealedPart>>> seal_group(std::span<const SealJob> jobs, const HandOn& hand_on = {});

 private:
  struct Prepared;
  // Reads, counts, compresses, hashes and numbers one part and writes its pair under temporary
  // names, fdatasynced when data_sync. nullopt when there is nothing to seal.
  Result<std::optional<Prepared>> prepare(const SealJob& job, std::size_t index, bool data_sync);

  SpoolLayout layout_;
  int gzip_level_;
  const Clock& clock_;
  PartSequence* sequence_;
  std::string part_;                          // the last part read; its memory serves the next
  std::optional<GzipCompressor> compressor_;  // made at the first seal
};

}  // namespace mc
