#pragma once
// The writer thread's checkpoint between the record queue and the files: which records are written
// (a trade id already written is a duplicate from an overlapping connection or a repeated backfill),
// what the written ones mean for completeness, and what each part's manifest should say about it.
// The trade ledger implements it; SpoolWriter calls it, always on the writer thread.

#include <cstdint>
#include <string_view>

#include "common/record.hpp"
#include "spool/part_notes.hpp"

namespace mc {

class RecordGate {
 public:
  virtual ~RecordGate() = default;
  // Before a record is appended: false drops it (the gate counts it); true counts it as written. A
  // line the writer then drops comes back through unwritten().
  virtual bool admit(const RecordMeta& record) = 0;
  // Lines of a route that were admitted but then could not be written (disk full): complete lines,
  // each '\n'-terminated. What they held is missing again.
  virtual void unwritten(std::uint32_t route, std::string_view lines) = 0;
  // When the route's part closes: the notes for its manifest, handed over once.
  virtual PartNotes take_notes(std::uint32_t route) = 0;
  // Called by the writer thread at least every kMaxWriterSleep, traffic or not.
  virtual void tick() = 0;
  // Everything written so far is flushed to the kernel (at every sync, and before a closed part is
  // handed on): the gate may persist its state now.
  virtual void checkpoint() = 0;
};

}  // namespace mc
