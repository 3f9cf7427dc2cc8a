#include "ledger/trade_ledger.hpp"

#include <simdjson.h>

#include <numeric>
#include <system_error>
#include <utility>

#include "common/log.hpp"
#include "keys/part_name.hpp"
#include "spool/part_scan.hpp"

namespace mc {
namespace {

// The symbol and trade ids of an open data part; nullopt for anything else or an unreadable file
// (the sealer reports those).
struct OpenPartIds {
  std::string symbol;
  IdSet ids;
};

std::optional<OpenPartIds> read_open_part(const std::filesystem::path& file) {
  const std::optional<std::string> key = key_from_spool_file_name(file.filename().string());
  if (!key) return std::nullopt;
  const std::optional<PartName> name = parse_part_key(*key);
  if (!name || name->kind != PartKind::kData) return std::nullopt;
  simdjson::padded_string content;
  if (simdjson::padded_string::load(file.string()).get(content) != simdjson::SUCCESS) return std::nullopt;
  return OpenPartIds{.symbol = name->symbol, .ids = scan_trade_ids(content)};
}

}  // namespace

TradeLedger::TradeLedger(std::vector<std::string> symbols, std::filesystem::path state_file, LedgerMetrics& metrics,
                         const Clock& clock)
    : symbols_(std::move(symbols)),
      state_file_(std::move(state_file)),
      metrics_(metrics),
      clock_(clock),
      log_(make_logger("ledger")),
      state_(symbols_.size()) {}

Status TradeLedger::restore(const std::vector<std::filesystem::path>& open_files) {
  Result<LedgerState> loaded = load_ledger_state(state_file_);
  if (!loaded && loaded.status().kind() != ErrorKind::kCorrupt) return loaded.status();
  std::unique_lock lock(mutex_);
  if (!loaded) {
    std::filesystem::path aside = state_file_;
    aside += ".corrupt-" + std::to_string(clock_.system_now_us() / 1000);
    std::error_code ec;
    std::filesystem::rename(state_file_, aside, ec);
    log_->error("LEDGER STATE UNUSABLE, starting without it: gaps across the last restart will not be backfilled "
                "error=\"{}\" moved_to={}{}",
                loaded.status().message(), aside.string(), ec ? " move_error=\"" + ec.message() + "\"" : "");
  } else {
    for (std::size_t i = 0; i < symbols_.size(); ++i) {
      const auto found = loaded->find(symbols_[i]);
      if (found != loaded->end()) state_[i].ledger = found->second;
    }
  }
  for (const std::filesystem::path& file : open_files) raise_by_open_part(file);
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    const SymbolLedger& ledger = state_[i].ledger;
    log_->info("ledger restored symbol={} last_written={} pending_ids={} pending_ranges={}", symbols_[i],
               ledger.last_written, ledger.pending.count(), ledger.pending.ranges().size());
  }
  update_pending_gauge();
  dirty_ = true;
  lock.unlock();
  // Saved before the caller seals those open parts: once stored and deleted, a crash must not forget their ids.
  checkpoint();
  return Status::ok();
}

void TradeLedger::raise_by_open_part(const std::filesystem::path& file) {
  const std::optional<OpenPartIds> part = read_open_part(file);
  if (!part || part->ids.empty()) return;
  const auto symbol = std::find(symbols_.begin(), symbols_.end(), part->symbol);
  if (symbol == symbols_.end()) return;
  SymbolLedger& ledger = state_[static_cast<std::size_t>(symbol - symbols_.begin())].ledger;
  // Written after the last checkpoint: they count as written, whatever filled a gap is no longer missing.
  const std::int64_t largest = part->ids.span()->last;
  if (largest > ledger.last_written) {
    if (ledger.last_written >= 0) {
      // Ids between the checkpoint and this part that the part does not hold were never written.
      ledger.pending.add(part->ids.missing_within({ledger.last_written + 1, largest}));
    }
    ledger.last_written = largest;
  }
  ledger.pending = ledger.pending.subtract(part->ids);
}

void TradeLedger::start(GapHandler on_gap) {
  std::vector<std::pair<std::size_t, IdRange>> restored;
  {
    const std::lock_guard lock(mutex_);
    on_gap_ = std::move(on_gap);
    for (std::size_t i = 0; i < state_.size(); ++i) {
      for (const IdRange& range : state_[i].ledger.pending.ranges()) restored.emplace_back(i, range);
    }
  }
  const std::lock_guard lock(mutex_);
  if (!on_gap_) return;
  for (const auto& [symbol, range] : restored) on_gap_(symbol, range);
}

std::optional<std::size_t> TradeLedger::symbol_of(const RecordMeta& record) {
  if (record.trade_id < 0) return std::nullopt;
  return RouteTable::data_symbol(record.route);
}

void TradeLedger::add_symbol(std::string symbol) {
  const std::lock_guard lock(mutex_);
  metrics_.add_symbols({symbol});
  symbols_.push_back(std::move(symbol));
  state_.emplace_back();
  dirty_ = true;
}

void TradeLedger::retire(std::size_t symbol_index) {
  const std::lock_guard lock(mutex_);
  if (symbol_index >= state_.size()) return;
  Symbol& entry = state_[symbol_index];
  log_->info("ledger retires a delisted symbol symbol={} last_written={} pending_ids_dropped={}",
             symbols_[symbol_index], entry.ledger.last_written, entry.ledger.pending.count());
  entry.ledger = SymbolLedger{};
  entry.suspected = IdSet{};
  entry.suspects.clear();
  update_pending_gauge();
  dirty_ = true;
}

bool TradeLedger::admit(const RecordMeta& record) {
  const std::optional<std::size_t> symbol = symbol_of(record);
  if (!symbol) return true;
  const std::lock_guard lock(mutex_);
  if (*symbol >= state_.size()) return true;
  Symbol& entry = state_[*symbol];
  SymbolLedger& ledger = entry.ledger;
  const std::int64_t id = record.trade_id;
  if (id <= ledger.last_written) {
    if (ledger.pending.contains(id)) {
      ledger.pending.remove(id, id);
      if (entry.suspected.contains(id)) {
        entry.suspected.remove(id, id);
      } else {
        bump(metrics_.trade_ids_backfilled);
      }
      metrics_.trade_ids_pending.fetch_sub(1, std::memory_order_relaxed);
      dirty_ = true;
      return true;
    }
    if (ledger.given_up.contains(id)) {
      ledger.given_up.remove(id, id);
      bump(metrics_.trade_ids_late);
      if (const std::uint64_t events = entry.late_log.admit(clock_.steady_now())) {
        log_->warn("trade id given up as absent arrived after all: written symbol={} id={} late_ids_in_line={}",
                   symbols_[*symbol], id, events);
      }
      dirty_ = true;
      return true;
    }
    if (id >= ledger.last_written - kIdResetDistance) {
      drop_duplicate(*symbol, id);
      return false;
    }
    log_->error("TRADE ID SEQUENCE RESTARTED symbol={} last_written={} id={}: the exchange's ids went back (or "
                "BINANCE_WS_URL points at another exchange); the ledger starts again here, pending_ids={} dropped",
                symbols_[*symbol], ledger.last_written, id, ledger.pending.count());
    ledger = SymbolLedger{.last_written = id};
    entry.suspected = IdSet{};
    entry.suspects.clear();
    update_pending_gauge();
    dirty_ = true;
    return true;
  }
  if (ledger.last_written >= 0 && id > ledger.last_written + 1) {
    const IdRange jump{ledger.last_written + 1, id - 1};
    ledger.pending.add(jump.first, jump.last);
    entry.suspected.add(jump.first, jump.last);
    entry.suspects.push_back({jump, clock_.steady_now() + kGapGrace});
    metrics_.trade_ids_pending.fetch_add(static_cast<std::int64_t>(jump.count()), std::memory_order_relaxed);
  }
  ledger.last_written = id;
  dirty_ = true;
  return true;
}

void TradeLedger::drop_duplicate(std::size_t symbol, std::int64_t id) {
  bump(metrics_.trade_ids_duplicate);
  if (!log_->should_log(spdlog::level::debug)) return;
  Symbol& entry = state_[symbol];
  if (const std::uint64_t events = entry.duplicate_log.admit(clock_.steady_now())) {
    log_->debug("duplicate trade id not written again symbol={} id={} last_written={} duplicates_in_line={}",
                symbols_[symbol], id, entry.ledger.last_written, events);
  }
}

void TradeLedger::tick() {
  std::vector<std::pair<std::size_t, IdRange>> gaps;
  GapHandler on_gap;
  {
    const std::lock_guard lock(mutex_);
    const auto now = clock_.steady_now();
    for (std::size_t symbol = 0; symbol < state_.size(); ++symbol) {
      std::deque<Suspect>& suspects = state_[symbol].suspects;
      while (!suspects.empty() && suspects.front().due <= now) {
        const IdSet missing = confirm(symbol, suspects.front().range);
        for (const IdRange& range : missing.ranges()) gaps.emplace_back(symbol, range);
        suspects.pop_front();
      }
    }
    if (!gaps.empty()) on_gap = on_gap_;
  }
  if (!on_gap) return;
  for (const auto& [symbol, range] : gaps) on_gap(symbol, range);
}

IdSet TradeLedger::confirm(std::size_t symbol, IdRange range) {
  Symbol& entry = state_[symbol];
  // Still suspected: neither filled by a late message nor given up meanwhile.
  IdSet missing = IdSet{range}.subtract(entry.suspected.missing_within(range));
  if (missing.empty()) return missing;
  entry.suspected.remove(range.first, range.last);
  for (const IdRange& gap : missing.ranges()) entry.notes.add_gap_seen(gap);
  metrics_.count_gap(symbol);
  bump(metrics_.trade_ids_missing, missing.count());
  if (const std::uint64_t events = entry.gap_log.admit(clock_.steady_now())) {
    log_->warn("trade id gap symbol={} missing={}..{} ids={} ranges={} gaps_in_line={} backfill={}", symbols_[symbol],
               range.first, range.last, missing.count(), missing.ranges().size(), events, on_gap_ ? "queued" : "off");
  }
  dirty_ = true;
  return missing;
}

void TradeLedger::unwritten(std::uint32_t route, std::string_view lines) {
  const std::optional<std::size_t> data_symbol = RouteTable::data_symbol(route);
  if (!data_symbol) return;
  const std::size_t symbol = *data_symbol;
  const IdSet lost = scan_trade_ids(simdjson::padded_string(lines));
  if (lost.empty()) return;
  GapHandler on_gap;
  {
    const std::lock_guard lock(mutex_);
    if (symbol >= state_.size()) return;
    Symbol& entry = state_[symbol];
    for (const IdRange& range : lost.ranges()) {
      entry.ledger.pending.add(range.first, range.last);
      entry.notes.add_gap_seen(range);
    }
    bump(metrics_.trade_ids_missing, lost.count());
    update_pending_gauge();
    dirty_ = true;
    on_gap = on_gap_;
    if (const std::uint64_t events = entry.unwritten_log.admit(clock_.steady_now())) {
      log_->warn("trade ids not written (disk full) symbol={} ids={}..{} count={} events_in_line={} backfill={}",
                 symbols_[symbol], lost.span()->first, lost.span()->last, lost.count(), events,
                 on_gap ? "queued" : "off");
    }
  }
  if (!on_gap) return;
  for (const IdRange& range : lost.ranges()) on_gap(symbol, range);
}

PartNotes TradeLedger::take_notes(std::uint32_t route) {
  const std::optional<std::size_t> symbol = RouteTable::data_symbol(route);
  if (!symbol) return {};
  const std::lock_guard lock(mutex_);
  if (*symbol >= state_.size()) return {};
  return std::exchange(state_[*symbol].notes, PartNotes{});
}

void TradeLedger::give_up(std::size_t symbol_index, IdRange missing) {
  const std::lock_guard lock(mutex_);
  if (symbol_index >= state_.size()) return;
  Symbol& entry = state_[symbol_index];
  // The part of `missing` that is still pending: a late live message may have filled some of it.
  const IdSet given_up = IdSet{missing}.subtract(entry.ledger.pending.missing_within(missing));
  if (given_up.empty()) return;
  for (const IdRange& range : given_up.ranges()) {
    entry.ledger.pending.remove(range.first, range.last);
    entry.suspected.remove(range.first, range.last);
    entry.ledger.given_up.add(range.first, range.last);
    entry.notes.add_unrecoverable(range);
  }
  // Bounded: the oldest ranges go first (an id given up that long ago does not arrive any more).
  const std::vector<IdRange>& kept = entry.ledger.given_up.ranges();
  if (kept.size() > kMaxGivenUpRanges) {
    entry.ledger.given_up.remove(kept.front().first, kept[kept.size() - kMaxGivenUpRanges - 1].last);
  }
  bump(metrics_.trade_ids_unrecoverable, given_up.count());
  update_pending_gauge();
  dirty_ = true;
  log_->error("trade ids do not exist on the exchange, gap left open symbol={} ids={}..{} count={}",
              symbols_[symbol_index], missing.first, missing.last, given_up.count());
}

void TradeLedger::checkpoint() {
  LedgerState snapshot;
  {
    const std::lock_guard lock(mutex_);
    if (!dirty_) return;
    for (std::size_t i = 0; i < symbols_.size(); ++i) snapshot.emplace(symbols_[i], state_[i].ledger);
    dirty_ = false;
  }
  // Saved outside the lock: the backfill thread must not wait for an fsync.
  if (Status saved = save_ledger_state(state_file_, snapshot); !saved) {
    const std::lock_guard lock(mutex_);
    dirty_ = true;
    if (!save_failed_) log_->error("cannot save the ledger state (retrying at every checkpoint): {}", saved.message());
    save_failed_ = true;
  } else if (save_failed_) {
    const std::lock_guard lock(mutex_);
    save_failed_ = false;
    log_->info("ledger state saved again file={}", state_file_.string());
  }
}

SymbolLedger TradeLedger::symbol_state(std::size_t symbol_index) const {
  const std::lock_guard lock(mutex_);
  return state_.at(symbol_index).ledger;
}

void TradeLedger::update_pending_gauge() {
  std::uint64_t total = 0;
  for (const Symbol& entry : state_) total += entry.ledger.pending.count();
  metrics_.trade_ids_pending.store(static_cast<std::int64_t>(total), std::memory_order_relaxed);
}

}  // namespace mc
