#pragma once
// The trade ledger's durable state, LOCAL_DIR/state/ledger.json, written atomically (temp file,
// fsync, rename, fsync of the directory):
//
//   {"version":1,"symbols":{"BTCUSDT":{"last_written":3400123,"pending":[[3400001,3400010],..],
//                                       "given_up":[[3399001,3399002]]}}}
//
// last_written is the largest trade id written to the spool (and so, once stored, to the store);
// pending the ids found missing below it and not yet filled nor given up; given_up the ids the
// exchange proved absent, never written: should one arrive after all it is written, not dropped as a
// duplicate. given_up is optional (files written before it existed have none).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "common/id_ranges.hpp"
#include "common/status.hpp"

namespace mc {

inline constexpr int kLedgerStateVersion = 1;

struct SymbolLedger {
  std::int64_t last_written = -1;  // -1: nothing written yet
  IdSet pending;
  IdSet given_up;
  friend bool operator==(const SymbolLedger&, const SymbolLedger&) = default;
};

using LedgerState = std::map<std::string, SymbolLedger, std::less<>>;

std::string render_ledger_state(const LedgerState& state);
// kCorrupt naming what is wrong (and where) for anything but a document render_ledger_state wrote.
Result<LedgerState> parse_ledger_state(std::string_view text);

// A missing file is an empty state; an unreadable or corrupt one is an error naming the file.
Result<LedgerState> load_ledger_state(const std::filesystem::path& file);
Status save_ledger_state(const std::filesystem::path& file, const LedgerState& state);

}  // namespace mc
