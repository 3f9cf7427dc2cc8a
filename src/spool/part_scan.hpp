#pragma once
// Reading a part's numbers from its uncompressed lines, for parts the writer could not count (start-up
// recovery, dropped lines) and for the trade ledger's look at lines a full disk dropped.

#include <simdjson.h>

#include "common/id_ranges.hpp"
#include "spool/part_stats.hpp"

namespace mc {

// Scans the lines of an open (uncompressed) part. content is the whole file; bytes after its last
// '\n' are a torn line: counted in trimmed_bytes and left out of every other number, so the part
// is content's first `bytes` bytes. Never fails: lines that do not parse are counted in bad_lines.
PartStats scan_part(const simdjson::padded_string& content, PartKind kind);

// The exact set of data.t over the complete data lines of content (lines that do not parse add none).
IdSet scan_trade_ids(const simdjson::padded_string& content);

}  // namespace mc
