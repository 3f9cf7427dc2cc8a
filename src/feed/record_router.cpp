#include "feed/record_router.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "common/log.hpp"
#include "feed/ws_frame_reader.hpp"

namespace mc {
namespace {

constexpr std::chrono::seconds kLogInterval{1};
constexpr std::size_t kPreviewBytes = 120;

// The first bytes of a payload for a log line. Percent-encodes everything but printable ASCII, and
// also ' ', '"', '\\' and '%', so whatever the bytes the preview stays one readable key=value token.
std::string preview(std::string_view payload) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  const std::string_view head = payload.substr(0, kPreviewBytes);
  std::string out;
  out.reserve(head.size() * 3);
  for (const char c : head) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte < 0x7F && c != '"' && c != '\\' && c != '%') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0x0FU]);
    }
  }
  return out;
}

}  // namespace

RecordRouter::RecordRouter(std::vector<std::string> symbols, RouteTable routes, RecordSink& sink,
                           FeedMetrics& feed_metrics, RecordMetrics& record_metrics, const Clock& clock,
                           SymbolGroup carried)
    : builder_(std::move(symbols)),
      routes_(std::move(routes)),
      positions_(builder_.symbols().size()),
      sink_(sink),
      feed_metrics_(feed_metrics),
      record_metrics_(record_metrics),
      clock_(clock),
      logger_(make_logger("router")),
      drop_log_(kLogInterval),
      quarantine_log_(kLogInterval),
      oversize_log_(kLogInterval),
      tallies_(builder_.symbols().size()) {
  assert(routes_.symbols() == builder_.symbols().size());
  assert(carried.first + carried.count <= builder_.symbols().size());
  for (std::size_t i = 0; i < carried.count; ++i) positions_[carried.first + i] = i;
  for (std::size_t i = 0; i < tallies_.size(); ++i) symbol_metrics_.push_back(feed_metrics_.symbol(i));
}

void RecordRouter::add_symbol(const std::string& symbol) {
  builder_.add_symbol(symbol);
  routes_.add(symbol);
  positions_.emplace_back();
  tallies_.emplace_back();
  symbol_metrics_.push_back(feed_metrics_.symbol(tallies_.size() - 1));
}

void RecordRouter::carry(std::size_t symbol_index, std::size_t position) {
  if (symbol_index < positions_.size()) positions_[symbol_index] = position;
}

MessageSeen RecordRouter::on_message(std::string_view payload, bool is_text, std::int64_t recv_us) {
  const std::size_t line_start = batch_.lines.size();
  const MessageInfo info = builder_.build(payload, is_text ? Frame::kText : Frame::kBinary, recv_us, batch_.lines);
  MessageSeen seen;
  switch (info.kind) {
    case RecordClass::kControl:
      bump(record_metrics_.records_ignored);
      logger_->debug("control message dropped bytes={} head={}", payload.size(), preview(payload));
      return {};
    case RecordClass::kServerShutdown:
      bump(record_metrics_.records_ignored);
      logger_->warn("the exchange announced a shutdown of this connection: opening a replacement head={}",
                    preview(payload));
      return {.server_shutdown = true};
    case RecordClass::kTrade: {
      // A trade's symbol index is always one of the builder's symbols, which tallies_ is sized by.
      SymbolTally& tally = tallies_[*info.symbol_index];
      if (tally.trades == 0) tallied_.push_back(*info.symbol_index);
      ++tally.trades;
      tally.bytes += payload.size();
      tally.last_trade_id = info.trade_id;
      tally.lag_us = recv_us - info.event_time_ms * 1000;
      batch_.commit({.route = routes_.data_route(*info.symbol_index),
                     .recv_us = recv_us,
                     .trade_id = info.trade_id,
                     .event_time_ms = info.event_time_ms,
                     .facts_as_stored = info.plain},
                    line_start);
      ++batch_trades_;
      if (const std::optional<std::size_t> position = positions_[*info.symbol_index]) {
        seen = {.stream = *position, .trade_id = info.trade_id};
      }
      break;
    }
    case RecordClass::kQuarantine:
      log_quarantine(info, payload, is_text);
      commit_quarantine(info, recv_us, line_start);
      break;
  }
  return seen;
}

void RecordRouter::on_oversize(std::string_view prefix, bool is_text, std::uint64_t message_bytes,
                               std::int64_t recv_us) {
  const std::size_t line_start = batch_.lines.size();
  const MessageInfo info =
      builder_.build_oversize(prefix, is_text ? Frame::kText : Frame::kBinary, message_bytes, recv_us, batch_.lines);
  if (const std::uint64_t events = oversize_log_.admit(clock_.steady_now())) {
    logger_->warn("oversize message quarantined, the connection goes on symbol={} frame={} bytes={} kept_bytes={} "
                  "oversize_in_line={} head={}",
                  symbol_name(info), is_text ? "text" : "binary", message_bytes,
                  std::min<std::size_t>(prefix.size(), kOversizePrefixBytes), events, preview(prefix));
  }
  commit_quarantine(info, recv_us, line_start);
}

void RecordRouter::commit_quarantine(const MessageInfo& info, std::int64_t recv_us, std::size_t line_start) {
  batch_.commit({.route = info.symbol_index ? routes_.quarantine_route(*info.symbol_index)
                                            : routes_.unroutable_quarantine_route(),
                 .recv_us = recv_us},
                line_start);
}

std::string_view RecordRouter::symbol_name(const MessageInfo& info) const {
  return info.symbol_index ? std::string_view(builder_.symbols()[*info.symbol_index]) : std::string_view("UNKNOWN");
}

void RecordRouter::add_symbol_metrics() {
  for (const std::size_t index : tallied_) {
    SymbolTally& tally = tallies_[index];
    // Added to the feed metrics after this router was made: looked up (under their lock) until found.
    if (symbol_metrics_[index] == nullptr) symbol_metrics_[index] = feed_metrics_.symbol(index);
    if (SymbolMetrics* const metrics = symbol_metrics_[index]) {
      SymbolMetrics& symbol = *metrics;
      bump(symbol.trades, tally.trades);
      bump(symbol.bytes, tally.bytes);
      symbol.last_trade_id.store(tally.last_trade_id, std::memory_order_relaxed);
      symbol.lag_us.store(tally.lag_us, std::memory_order_relaxed);
    }
    tally = {};
  }
  tallied_.clear();
}

void RecordRouter::on_read_end() {
  add_symbol_metrics();
  if (batch_.empty()) return;
  const std::uint64_t trades = batch_trades_;
  const std::uint64_t quarantined = batch_.records.size() - trades;
  const std::uint32_t last_route = batch_.records.back().route;
  batch_trades_ = 0;
  if (sink_.push(batch_)) {
    if (trades > 0) bump(record_metrics_.records_routed, trades);
    if (quarantined > 0) bump(record_metrics_.records_quarantined, quarantined);
    return;
  }
  const std::uint64_t dropped = trades + quarantined;
  batch_.clear();
  count_drop(record_metrics_, DropReason::kQueueFull, dropped);
  if (const std::uint64_t events = drop_log_.admit(clock_.steady_now())) {
    const Route& target = routes_.routes()[last_route];
    logger_->error("sink refused records, data lost dropped={} refusals_in_line={} dropped_total={} last_route={}/{}",
                   dropped, events, record_metrics_.records_dropped.load(std::memory_order_relaxed), target.stream,
                   target.symbol);
  }
}

void RecordRouter::log_quarantine(const MessageInfo& info, std::string_view payload, bool is_text) {
  const std::uint64_t events = quarantine_log_.admit(clock_.steady_now());
  if (events == 0) return;
  logger_->warn("quarantined message reason={} symbol={} frame={} bytes={} quarantined_in_line={} head={}",
                to_string(info.reason), symbol_name(info), is_text ? "text" : "binary", payload.size(), events,
                preview(payload));
}

}  // namespace mc
