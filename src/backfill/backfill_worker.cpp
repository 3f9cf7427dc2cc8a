#include "backfill/backfill_worker.hpp"

#include <algorithm>
#include <utility>

#include "backfill/rest_trade_line.hpp"
#include "common/log.hpp"
#include "common/thread_name.hpp"

namespace mc {

namespace {

// first after the first attempt, doubling with each attempt after it, capped.
std::chrono::steady_clock::duration doubling_delay(std::chrono::seconds first, std::chrono::seconds cap, int attempts) {
  std::chrono::seconds delay = first;
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

double seconds_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

BackfillWorker::BackfillWorker(BackfillOptions options, std::vector<std::string> symbols, const RouteTable& routes,
                               RecordSink& sink, HttpClientFactory make_client, const Clock& clock,
                               BackfillMetrics& metrics, RecordMetrics& record_metrics, BackfillListener& listener)
    : options_(std::move(options)),
      symbols_(std::move(symbols)),
      routes_(routes),
      sink_(sink),
      make_client_(std::move(make_client)),
      clock_(clock),
      metrics_(metrics),
      record_metrics_(record_metrics),
      listener_(listener),
      logger_(make_logger("backfill")),
      budget_(options_.weight_per_minute),
      states_(symbols_.size()),
      pending_(symbols_.size(), PendingRanges(kMaxPendingRangesPerSymbol)),
      names_(symbols_) {
  thread_ = std::jthread([this](const std::stop_token& stop) {
    name_this_thread("mc-backfill");
    run(stop);
  });
}

BackfillWorker::~BackfillWorker() { stop(); }

void BackfillWorker::add_symbol(std::string symbol) {
  std::lock_guard lock(mutex_);
  names_.push_back(std::move(symbol));
  pending_.emplace_back(kMaxPendingRangesPerSymbol);
}

void BackfillWorker::forget(std::size_t symbol_index) {
  std::lock_guard lock(mutex_);
  if (symbol_index < pending_.size()) static_cast<void>(pending_[symbol_index].take_all());
}

void BackfillWorker::request(std::size_t symbol_index, std::int64_t from, std::int64_t to) {
  {
    std::lock_guard lock(mutex_);
    if (symbol_index >= names_.size() || from > to || to < 0) {
      logger_->error("backfill request ignored: symbol_index={} from={} to={}", symbol_index, from, to);
      return;
    }
    const bool joined = pending_[symbol_index].add(std::max<std::int64_t>(from, 0), to);
    ++requests_seen_;
    if (joined) {
      if (const std::uint64_t events = bound_log_.admit(clock_.steady_now())) {
        logger_->warn("backfill pending ranges over the bound: joined the closest ranges symbol={} max_ranges={} "
                      "events={} (ids between them are fetched again)",
                      names_[symbol_index], kMaxPendingRangesPerSymbol, events);
      }
    }
  }
  wake_.notify_all();
}

void BackfillWorker::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

std::size_t BackfillWorker::pending_ids() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (const PendingRanges& ranges : pending_) total += ranges.count();
  return static_cast<std::size_t>(total);
}

void BackfillWorker::run(const std::stop_token& stop) {
  std::unique_ptr<HttpClient> http =
      make_client_ ? make_client_() : make_http_client(HttpClientOptions{.ca_file = options_.ca_file});
  if (!http) {
    logger_->error("backfill disabled: the HTTP client factory returned no client");
    return;
  }
  HistoricalTradesClient api(options_.base_url, options_.api_key, *http);
  // The budget is waited out before a job is picked, so the pick reflects requests made meanwhile.
  while (wait_for_budget(stop)) {
    check_overdue();
    if (const auto job = next_job(stop)) fetch_page(api, job->first, job->second);
  }
}

std::optional<std::pair<std::size_t, IdRange>> BackfillWorker::next_job(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (symbols_.size() < names_.size()) {
    symbols_.push_back(names_[symbols_.size()]);
    states_.emplace_back();
  }
  const auto now = clock_.steady_now();
  std::optional<std::chrono::steady_clock::time_point> earliest;
  for (std::size_t k = 0; k < symbols_.size(); ++k) {
    const std::size_t index = (cursor_ + k) % symbols_.size();
    const std::optional<IdRange> range = pending_[index].front();
    if (!range) continue;
    if (states_[index].not_before <= now) {
      cursor_ = (index + 1) % symbols_.size();
      return std::pair{index, *range};
    }
    earliest = std::min(earliest.value_or(states_[index].not_before), states_[index].not_before);
  }
  const std::uint64_t seen = requests_seen_;
  const auto woken = [&] { return requests_seen_ != seen; };
  if (earliest) {
    wake_.wait_for(lock, stop, *earliest - now, woken);
  } else {
    wake_.wait(lock, stop, woken);
  }
  return std::nullopt;
}

bool BackfillWorker::sleep_for(const std::stop_token& stop, std::chrono::steady_clock::duration duration) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

bool BackfillWorker::wait_for_budget(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    if (options_.may_write && !options_.may_write()) {
      if (const std::uint64_t checks = paused_log_.admit(clock_.steady_now())) {
        logger_->warn("backfill paused: the spool's disk is full, fetching nothing until it has room checks={}", checks);
      }
      if (!sleep_for(stop, kMayWriteRecheck)) return false;
      continue;
    }
    const auto backoff = retry_at_ - clock_.steady_now();
    const auto budget = budget_.wait_before(kHistoricalTradesWeight, clock_.system_now_us());
    const auto wait = std::max<std::chrono::steady_clock::duration>(backoff, budget);
    if (wait <= std::chrono::steady_clock::duration::zero()) return true;
    if (!sleep_for(stop, wait)) return false;
  }
  return false;
}

void BackfillWorker::fetch_page(HistoricalTradesClient& api, std::size_t index, IdRange range) {
  const int limit = static_cast<int>(std::min<std::int64_t>(kMaxHistoricalTradesLimit, range.last - range.first + 1));
  if (!states_[index].fill) states_[index].fill = Fill{.range = range, .started = clock_.steady_now()};
  budget_.on_sent(kHistoricalTradesWeight, clock_.system_now_us());
  bump(metrics_.backfill_requests);
  Result<TradesAnswer> answer = api.fetch(symbols_[index], range.first, limit);
  const std::int64_t recv_us = clock_.system_now_us();
  if (!answer) {
    on_error(index, answer.status());
    return;
  }
  if (answer->used_weight) budget_.on_used_weight(*answer->used_weight, recv_us);
  switch (answer->kind) {
    case TradesAnswerKind::kPage:
      failures_ = 0;
      on_page(index, range, limit, answer->trades, recv_us);
      return;
    case TradesAnswerKind::kRateLimited:
    case TradesAnswerKind::kBanned:
      budget_.on_retry_after(answer->retry_after, recv_us);
      bump(metrics_.backfill_rate_limited);
      logger_->warn("{} symbol={} from_id={} retry_after_s={} used_weight={}",
                    answer->kind == TradesAnswerKind::kBanned ? "IP banned by the exchange (HTTP 418)"
                                                               : "rate limited by the exchange (HTTP 429)",
                    symbols_[index], range.first, answer->retry_after.count(),
                    answer->used_weight ? std::to_string(*answer->used_weight) : "unknown");
      return;
    case TradesAnswerKind::kNoSuchSymbol:
      give_up_symbol(index);
      return;
  }
}

void BackfillWorker::on_page(std::size_t index, IdRange range, int limit, const std::vector<RestTrade>& trades,
                             std::int64_t recv_us) {
  SymbolState& state = states_[index];
  ++state.fill->pages;
  std::vector<IdRange> lost;
  std::int64_t done_to = range.first - 1;  // [range.first, done_to] is settled: pushed or given up
  bool refused = false;
  for (const RestTrade& trade : trades) {
    if (trade.id > range.last) {  // served past the range: what is still missing in it does not exist
      if (done_to < range.last) lost.push_back({done_to + 1, range.last});
      done_to = range.last;
      break;
    }
    if (trade.id > done_to + 1) {  // served on both sides of these, not these
      lost.push_back({done_to + 1, trade.id - 1});
      done_to = trade.id - 1;
    }
    // One record per push: a refusal then stops the page exactly at the record refused.
    batch_.clear();
    const std::size_t line_start = batch_.lines.size();
    append_rest_trade_line(batch_.lines, trade, symbols_[index], recv_us);
    batch_.commit({.route = RouteTable::data_route(index), .recv_us = recv_us, .trade_id = trade.id,
                   .event_time_ms = trade.time_ms, .facts_as_stored = true},
                  line_start);
    if (!sink_.push(batch_)) {
      refused = true;
      state.not_before = clock_.steady_now() + kSinkRetryDelay;
      if (const std::uint64_t events = refused_log_.admit(clock_.steady_now())) {
        logger_->warn("backfill paused: the record queue refused a record symbol={} trade_id={} events={} "
                      "(the rest of the range is fetched again)",
                      symbols_[index], trade.id, events);
      }
      break;
    }
    bump(record_metrics_.records_routed);
    ++state.fill->ids;
    done_to = trade.id;
  }
  // A page shorter than asked that stops inside the range: the exchange has no later ids yet, although
  // the range's upper neighbour exists. Not served yet, not lost.
  const bool waiting = !refused && done_to < range.last && std::cmp_less(trades.size(), limit);
  settle(index, range, done_to, lost);
  if (waiting) {
    not_served_yet(index, range, done_to);
  } else {
    state.not_served = 0;
  }
}

void BackfillWorker::not_served_yet(std::size_t index, IdRange range, std::int64_t served_to) {
  SymbolState& state = states_[index];
  ++state.not_served;
  bump(metrics_.backfill_not_served);
  const auto delay = doubling_delay(kFirstNotServedDelay, kMaxNotServedDelay, state.not_served);
  state.not_before = clock_.steady_now() + delay;
  const std::int64_t first_waiting = std::max(served_to + 1, range.first);
  if (state.not_served == 1) {
    logger_->info("backfill: the exchange does not serve these ids yet, asking again (a later trade proves they exist) "
                  "symbol={} ids={}..{} delay_s={:.0f}",
                  symbols_[index], first_waiting, range.last, std::chrono::duration<double>(delay).count());
  } else {
    logger_->debug("backfill: ids still not served symbol={} ids={}..{} attempt={} delay_s={:.0f}", symbols_[index],
                   first_waiting, range.last, state.not_served, std::chrono::duration<double>(delay).count());
  }
}

void BackfillWorker::check_overdue() {
  const auto now = clock_.steady_now();
  std::int64_t overdue = 0;
  for (std::size_t index = 0; index < states_.size(); ++index) {
    SymbolState& state = states_[index];
    if (!state.fill || now - state.fill->started < options_.alarm_after) continue;
    ++overdue;
    if (state.overdue && now < state.next_alarm) continue;
    state.overdue = true;
    state.next_alarm = now + options_.alarm_after;
    std::uint64_t pending = 0;
    {
      std::lock_guard lock(mutex_);
      pending = pending_[index].count();
    }
    logger_->warn("BACKFILL GAP OVERDUE symbol={} gap={}..{} pending_ids={} age_s={:.0f} not_served_answers={} "
                  "failures_in_row={}: the ids exist (a later trade was received) but the exchange has not served "
                  "them; still asking",
                  symbols_[index], state.fill->range.first, state.fill->range.last, pending,
                  seconds_between(state.fill->started, now), state.not_served, failures_);
  }
  metrics_.backfill_overdue_gaps.store(overdue, std::memory_order_relaxed);
}

void BackfillWorker::settle(std::size_t index, IdRange range, std::int64_t done_to, const std::vector<IdRange>& lost) {
  SymbolState& state = states_[index];
  bool fill_done = false;
  {
    std::lock_guard lock(mutex_);
    pending_[index].remove(range.first, done_to);
    const std::optional<IdRange> next = pending_[index].front();
    fill_done = !next || next->first > state.fill->range.last;
  }
  for (const IdRange& gone : lost) {
    state.fill->lost += static_cast<std::uint64_t>(gone.last - gone.first) + 1;
    logger_->error("TRADE IDS DO NOT EXIST on the exchange (it serves ids on both sides of them, not them), giving "
                   "them up symbol={} from={} to={}",
                   symbols_[index], gone.first, gone.last);
    listener_.on_unrecoverable(index, gone.first, gone.last);
  }
  if (!fill_done) return;
  const Fill& fill = *state.fill;
  const double secs = seconds_between(fill.started, clock_.steady_now());
  if (fill.lost == 0) {
    logger_->info("backfill gap filled symbol={} from={} to={} pages={} ids={} secs={:.3f}", symbols_[index],
                  fill.range.first, fill.range.last, fill.pages, fill.ids, secs);
  } else {
    logger_->error("backfill gap closed with ids the exchange does not have symbol={} from={} to={} pages={} ids={} "
                   "unrecoverable={} secs={:.3f}",
                   symbols_[index], fill.range.first, fill.range.last, fill.pages, fill.ids, fill.lost, secs);
  }
  if (state.overdue) {
    logger_->warn("backfill overdue gap settled symbol={} from={} to={} secs={:.0f}", symbols_[index], fill.range.first,
                  fill.range.last, secs);
  }
  state.fill.reset();
  state.overdue = false;
  state.not_served = 0;
}

void BackfillWorker::on_error(std::size_t index, const Status& status) {
  bump(metrics_.backfill_failures);
  ++failures_;
  const auto delay = doubling_delay(kFirstErrorBackoff, kMaxErrorBackoff, failures_);
  retry_at_ = clock_.steady_now() + delay;
  const double delay_s = std::chrono::duration<double>(delay).count();
  if (status.kind() == ErrorKind::kRetryable) {
    logger_->warn("backfill request failed, retrying symbol={} attempt={} delay_s={:.0f}: {}", symbols_[index],
                  failures_, delay_s, status.message());
  } else {
    // Not transient, but the ids may exist: keep trying at the capped pace, loudly.
    logger_->error("backfill request failed ({}), retrying symbol={} attempt={} delay_s={:.0f}: {}",
                   to_string(status.kind()), symbols_[index], failures_, delay_s, status.message());
  }
}

void BackfillWorker::give_up_symbol(std::size_t index) {
  std::vector<IdRange> all;
  {
    std::lock_guard lock(mutex_);
    all = pending_[index].take_all();
  }
  std::uint64_t ids = 0;
  for (const IdRange& gone : all) ids += gone.count();
  logger_->error("symbol does not exist on the exchange (code -1121 Invalid symbol): giving up its backfill "
                 "symbol={} ranges={} ids={}",
                 symbols_[index], all.size(), ids);
  for (const IdRange& gone : all) listener_.on_unrecoverable(index, gone.first, gone.last);
  states_[index] = SymbolState{};
}

}  // namespace mc
