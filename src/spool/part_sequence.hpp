#pragma once
// Part numbers: each writer (instance, stream, symbol) numbers its data parts 1, 2, 3, ... across
// restarts, and each manifest names its number and the key of the part before it, so the audit can
// prove the loss of any part, the first and the last of a run included (docs/AUDIT.md).
//
// A number is taken only once the part that carries it is durable: the sealer leases the writer's
// next number, writes the pair, and commits. A seal that fails, or a crash before the pair is
// durable, leaves no hole. The lease also serialises the seals of one writer, so numbers follow the
// order in which its parts became durable.
//
// Nothing here is written to disk: the numbers are durable in what the spool already keeps. A
// writer's newest number is in its newest sealed manifest while the part waits for upload, and in
// its stored mark (stored_marks.hpp) once it left the spool; restore() reads both at start-up.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.hpp"
#include "keys/part_name.hpp"
#include "spool/spool_layout.hpp"

namespace mc {

struct PartNumber {
  std::uint64_t number = 0;   // 1 for a writer's first part
  std::string previous_key;   // the part key numbered number - 1; empty for the first, or when unknown
  friend bool operator==(const PartNumber&, const PartNumber&) = default;
};

class PartSequence {
 public:
  class Lease {
   public:
    const PartNumber& number() const { return number_; }
    // The part carrying number() is durable: the next lease of this writer gets the number after it.
    void commit();

   private:
    friend class PartSequence;
    struct Writer;
    Lease(Writer& writer, std::string part_key);
    Writer* writer_;
    std::unique_lock<std::mutex> lock_;
    std::string part_key_;
    PartNumber number_;
  };

  PartSequence();
  ~PartSequence();
  PartSequence(const PartSequence&) = delete;
  PartSequence& operator=(const PartSequence&) = delete;

  // The number for the part `name` names. Sealing the same part again (a restart after its pair was
  // durable but before its open file was removed) gets the number it had. Blocks while another seal
  // of the same writer holds a lease.
  Lease lease(const PartName& name);

  // Start-up: writer `writer_key` numbered `part_key` `number` (never lowers what is known).
  void raise(const std::string& writer_key, std::uint64_t number, const std::string& part_key);
  // Start-up, before anything is sealed: raises every writer to the numbers its stored mark and its
  // sealed manifests hold. Files that cannot be read are skipped (logged): their numbers are then
  // given again, which the audit shows as a number stored twice, never as a loss.
  Status restore(const SpoolLayout& layout);

  // The newest number of a writer; nullopt when it has none.
  std::optional<std::uint64_t> newest(const std::string& writer_key) const;

 private:
  Lease::Writer& writer(const std::string& writer_key);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Lease::Writer>, std::less<>> writers_;
};

// The "part_number" and "previous_part_key" of a manifest's "extra"; nullopt when it has none
// (quarantine parts, manifests of older collectors) or is not JSON.
std::optional<PartNumber> part_number_of_manifest(std::string_view manifest_text);

}  // namespace mc
