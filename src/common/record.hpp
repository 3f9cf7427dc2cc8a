#pragma once
// What the feed hands to the spool: one line of the output format, already built, and the writer it
// belongs to. Routes are fixed at start-up, so a route is an index into the writer table.

#include <cstdint>
#include <string>
#include <vector>

namespace mc {

enum class PartKind { kData, kQuarantine };

// Identifies one rotating writer: one stream of one symbol, or its quarantine.
struct Route {
  PartKind kind = PartKind::kData;
  std::string stream;  // the key's stream name: "trade"; "unknown" for unroutable quarantine
  std::string symbol;  // upper case: "BTCUSDT"; "UNKNOWN" for unroutable quarantine
};

struct Record {
  std::uint32_t route = 0;   // index into the route table
  std::int64_t recv_us = 0;  // local receive time, UTC epoch microseconds: decides the window
  std::string line;          // one complete line, '\n'-terminated
  std::int64_t trade_id = -1;  // data.t of a trade line (live or REST); -1 for quarantine lines
};

// The route table for a symbol list: for each symbol i, index 2*i is its trade writer and 2*i+1 its
// quarantine writer; the last index is the quarantine writer for messages no symbol claims.
class RouteTable {
 public:
  explicit RouteTable(const std::vector<std::string>& symbols);

  const std::vector<Route>& routes() const { return routes_; }
  std::uint32_t data_route(std::size_t symbol_index) const { return static_cast<std::uint32_t>(2 * symbol_index); }
  std::uint32_t quarantine_route(std::size_t symbol_index) const {
    return static_cast<std::uint32_t>(2 * symbol_index + 1);
  }
  std::uint32_t unroutable_quarantine_route() const { return static_cast<std::uint32_t>(routes_.size() - 1); }

 private:
  std::vector<Route> routes_;
};

}  // namespace mc

namespace mc {

// Where the feed puts records. push never blocks: it returns false when the record could not be
// queued (the queue is full or closed), and the caller counts the loss.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual bool push(Record&& record) = 0;
};

}  // namespace mc
