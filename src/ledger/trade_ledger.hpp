#pragma once
// The trade ledger: per symbol, the largest trade id written and the ids found missing below it.
// It sits on the writer thread as the spool's RecordGate, so it judges what is actually written,
// live or backfilled, whichever connection it came from:
//
//   t > last + 1        a suspected gap [last+1, t-1]; t is written. Ids still missing kGapGrace
//                       later are a gap: logged, counted, noted for the part's manifest, handed to
//                       the gap handler (the REST backfill). The grace lets late live messages fill
//                       it first: a replacement connection can run ahead of the one it replaces,
//                       and an exchange may deliver a pair of trades swapped
//   t == last + 1       written
//   t <= last, missing  fills (part of) a gap: written
//   t <= last, given up the exchange had proved it absent, yet here it is: written, counted as late
//   t <= last, else     a duplicate (overlapping connections, repeated backfill): not written, counted
//                       and sampled in a debug line
//   t < last - kIdResetDistance, not missing
//                       the exchange's id sequence restarted (or BINANCE_WS_URL now points at another
//                       exchange): logged as an error, the symbol's ledger starts again at t
//
// The state survives restarts (ledger_state.hpp): saved at every checkpoint, and at start-up raised
// by the ids in the open parts the previous run left, so a restart sees the downtime as a gap.
// Thread-safe: the writer thread drives it, the backfill thread reports ids given up.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "common/clock.hpp"
#include "common/id_ranges.hpp"
#include "common/log_limiter.hpp"
#include "ledger/ledger_metrics.hpp"
#include "ledger/ledger_state.hpp"
#include "spool/record_gate.hpp"

namespace mc {

// A duplicate this far below the last id is no overlap (those are seconds old): the sequence restarted.
inline constexpr std::int64_t kIdResetDistance = 10'000'000;
// How long a jump may wait for the skipped ids to arrive live before they are a gap.
inline constexpr std::chrono::seconds kGapGrace{3};
// Given-up ranges kept per symbol, newest first kept: an id given up long ago does not come back.
inline constexpr std::size_t kMaxGivenUpRanges = 1000;

// Receives each gap once; called without the ledger's lock held, must not block.
using GapHandler = std::function<void(std::size_t symbol_index, IdRange missing)>;

class TradeLedger final : public RecordGate {
 public:
  // symbols as configured (upper case); symbol i's trades use data route 2*i (RouteTable).
  TradeLedger(std::vector<std::string> symbols, std::filesystem::path state_file, LedgerMetrics& metrics,
              const Clock& clock);

  // Start-up, before the writer runs: loads the state file and raises it by the ids in the open
  // parts the previous run left (before they are sealed). A corrupt state file is moved aside and the
  // ledger starts empty (the error names the file); other errors are returned. Saves the result before
  // returning, so the open parts may be sealed and stored right after.
  Status restore(const std::vector<std::filesystem::path>& open_files);
  // Sets where gaps go and hands it every gap restored as pending.
  void start(GapHandler on_gap);

  bool admit(const RecordMeta& record) override;
  // The ids in lines a full disk dropped after admit() counted them: missing again, handed to the backfill.
  void unwritten(std::uint32_t route, std::string_view lines) override;
  PartNotes take_notes(std::uint32_t route) override;
  void checkpoint() override;
  // Turns suspected gaps whose grace ended into gaps.
  void tick() override;

  // The exchange says these ids do not exist: no longer pending, noted in the next manifest, and kept
  // as given up, so that one arriving after all is written rather than dropped as a duplicate.
  void give_up(std::size_t symbol_index, IdRange missing);

  SymbolLedger symbol_state(std::size_t symbol_index) const;

  // SYMBOL=ALL, any thread, before the symbol's first record reaches the writer: a new listing, whose
  // index is the count of symbols so far. It starts with no id written (no gap before its first trade).
  void add_symbol(std::string symbol);
  // SYMBOL=ALL, any thread: a delisted symbol. Its pending and suspected ids are dropped (no gap alarm,
  // no backfill for a symbol the exchange stopped trading) and its last id forgotten, so a trade after
  // a relisting starts it afresh instead of opening a gap over the ids of the pause.
  void retire(std::size_t symbol_index);

 private:
  struct Suspect {
    IdRange range;
    std::chrono::steady_clock::time_point due;
  };
  struct Symbol {
    SymbolLedger ledger;        // pending includes the suspected ids
    IdSet suspected;            // pending ids still in their grace
    std::deque<Suspect> suspects;  // in detection order, so by due time
    PartNotes notes;
    LogLimiter gap_log{std::chrono::seconds(1)};
    LogLimiter unwritten_log{std::chrono::seconds(1)};
    LogLimiter duplicate_log{std::chrono::seconds(1)};
    LogLimiter late_log{std::chrono::seconds(1)};
  };

  // The data symbol of a trade's route; the caller checks it against state_ under the lock.
  static std::optional<std::size_t> symbol_of(const RecordMeta& record);
  void raise_by_open_part(const std::filesystem::path& file);
  // Under the lock: the part of range still missing becomes a gap. Returns it.
  IdSet confirm(std::size_t symbol, IdRange range);
  void update_pending_gauge();
  // Under the lock: a trade at or below last_written that is neither pending nor given up.
  void drop_duplicate(std::size_t symbol, std::int64_t id);

  std::vector<std::string> symbols_;  // guarded by mutex_ (grows with listings)
  const std::filesystem::path state_file_;
  LedgerMetrics& metrics_;
  const Clock& clock_;
  const std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex mutex_;
  std::deque<Symbol> state_;  // index as in symbols_; a deque, so a listing moves no entry
  GapHandler on_gap_;
  bool dirty_ = false;
  bool save_failed_ = false;  // logs a failing save once until it works again
};

}  // namespace mc
