#pragma once
// What the feed hands to the spool: one line of the output format, already built, and the writer it
// belongs to. Routes are fixed at start-up, so a route is an index into the writer table.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc {

enum class PartKind { kData, kQuarantine };

// Identifies one rotating writer: one stream of one symbol, or its quarantine.
struct Route {
  PartKind kind = PartKind::kData;
  std::string stream;  // the key's stream name: "trade"; "unknown" for unroutable quarantine
  std::string symbol;  // upper case: "BTCUSDT"; "UNKNOWN" for unroutable quarantine
};

// What the writer needs to know of one record besides its line.
struct RecordMeta {
  std::uint32_t route = 0;       // index into the route table
  std::uint32_t line_bytes = 0;  // its line's length in RecordBatch::lines, '\n' included
  std::int64_t recv_us = 0;      // local receive time, UTC epoch microseconds: decides the window
  std::int64_t trade_id = -1;    // data.t of a trade line (live or REST); -1 for quarantine lines
  std::int64_t event_time_ms = 0;  // data.E of a trade line
  // trade_id and event_time_ms are what a parse of the stored line reads (a plain trade, a REST line),
  // so the writer may count the part's manifest numbers from them. Not so for a trade the general
  // path read: it may repeat a member, which readers resolve differently; the sealer parses its part.
  bool facts_as_stored = false;
};

// Records handed from a producer to the writer thread in bulk: their lines back to back in one
// buffer, so a message costs one copy into it and no allocation of its own, and a whole read of the
// feed crosses the queue's lock once, as one batch, without being copied again.
struct RecordBatch {
  std::string lines;                // every record's line in order, each '\n'-terminated
  std::vector<RecordMeta> records;  // one per line, same order

  bool empty() const { return records.empty(); }
  void clear() {
    lines.clear();
    records.clear();
  }
  // Makes the bytes appended to `lines` since line_start one record (producers write their lines
  // straight into `lines`); they must end with '\n'. meta.line_bytes is set here.
  void commit(RecordMeta meta, std::size_t line_start);

  // visit(const RecordMeta&, std::string_view line) for each record, in order.
  template <typename Visit>
  void for_each(const Visit& visit) const {
    std::size_t offset = 0;
    for (const RecordMeta& meta : records) {
      visit(meta, std::string_view(lines.data() + offset, meta.line_bytes));
      offset += meta.line_bytes;
    }
  }
};

// The route table for a symbol list: index 0 is the quarantine writer for messages no symbol claims;
// for each symbol i, index 2*i+1 is its trade writer and 2*i+2 its quarantine writer. The numbers
// depend on the symbol's index only, so a table that grows at run time (SYMBOL=ALL: add) keeps every
// route it had, and a route number means the same to every copy of the table.
class RouteTable {
 public:
  explicit RouteTable(const std::vector<std::string>& symbols);

  // Appends the routes of a symbol whose index is the count of symbols so far.
  void add(const std::string& symbol);

  const std::vector<Route>& routes() const { return routes_; }
  std::size_t symbols() const { return (routes_.size() - 1) / 2; }
  static std::uint32_t data_route(std::size_t symbol_index) { return static_cast<std::uint32_t>(2 * symbol_index + 1); }
  static std::uint32_t quarantine_route(std::size_t symbol_index) {
    return static_cast<std::uint32_t>(2 * symbol_index + 2);
  }
  static std::uint32_t unroutable_quarantine_route() { return 0; }
  // The symbol whose trade writer route is; nullopt for a quarantine route. Callers check the index
  // against their symbol count.
  static std::optional<std::size_t> data_symbol(std::uint32_t route) {
    if (route % 2 == 0) return std::nullopt;
    return route / 2;
  }

 private:
  std::vector<Route> routes_;
};

}  // namespace mc

namespace mc {

// Where the feed puts records. push never blocks. It takes every record of the batch, leaving the
// batch empty (its buffers may be exchanged for the sink's spare ones, so steady state allocates
// nothing), or none of them: false when they could not be queued (the queue is full or closed), the
// batch left as it was, and the caller counts the loss.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual bool push(RecordBatch& batch) = 0;
};

}  // namespace mc
