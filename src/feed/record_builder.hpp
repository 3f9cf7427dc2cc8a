#pragma once
// The per-message hot path: one WebSocket message in, one output line and its classification out.
//
// A trade becomes the line of docs/S3_LAYOUT.md ("Parts"): `{"recv_us":N,` followed by the exchange's
// bytes after its first '{', then '\n'. Everything that is not a trade and not a control reply becomes
// a quarantine line (docs/S3_LAYOUT.md "Quarantine") that carries the exact payload in base64:
//   {"recv_us":N,"reason":"<reason>","frame":"text"|"binary","bytes":<payload size>,"raw_b64":"..."}
// except an oversize message, of which only the first kOversizePrefixBytes are kept:
//   {"recv_us":N,"reason":"oversize","frame":"text","bytes":<message size>,"kept_bytes":K,"raw_b64":"<first K bytes>"}
// simdjson stays inside record_builder.cpp.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mc {

// Larger messages are quarantined without being parsed. Binance trades are a few hundred bytes.
constexpr std::size_t kMaxRecordBytes = 8U << 20U;
// Deeper JSON is quarantined: bounds the recursion of the validation walk.
constexpr int kMaxJsonDepth = 64;

enum class Frame { kText, kBinary };

enum class RecordClass {
  kTrade,       // goes to its symbol's trade writer
  kControl,     // a subscription reply ({"result":null,"id":1}): dropped
  kServerShutdown,  // {"e":"serverShutdown","E":..}: the connection will close; not stored
  kQuarantine,  // anything else: goes to a quarantine writer
};

enum class QuarantineReason {
  kNone,            // not quarantined
  kBinaryFrame,     // a binary WebSocket frame
  kEmpty,           // no bytes, or whitespace only
  kOversize,        // more than kMaxRecordBytes, or than the feed's WS_MAX_MESSAGE_BYTES
  kNotObject,       // the first non-whitespace byte is not '{': a JSON array or scalar, or not JSON at all
  kInvalidJson,     // starts with '{' but is not valid JSON (truncated, bad syntax, invalid UTF-8, trailing bytes)
  kTooDeep,         // valid so far but nested deeper than kMaxJsonDepth
  kExchangeError,   // an error reply ({"error":{...},"id":1}): must not vanish as a control message
  kBadEnvelope,     // no string "stream" and object "data", and not a control reply
  kUnknownStream,   // "stream" does not end with "@trade"
  kUnknownEvent,    // data.e missing or not "trade"
  kBadEventTime,    // data.E missing or not a 64-bit integer
  kBadTradeId,      // data.t missing, not a 64-bit integer, or negative
  kMissingSymbol,   // data.s missing, not a string, or empty
  kSymbolMismatch,  // data.s is not the stream's symbol ("btcusdt@trade" with "ETHUSDT")
  kUnknownSymbol,   // data.s is not one of the configured symbols
};

// The token written into quarantine lines and logs: "binary_frame", "invalid_json", ...
const char* to_string(QuarantineReason reason);

// What build() learned about one message.
struct MessageInfo {
  RecordClass kind = RecordClass::kQuarantine;
  QuarantineReason reason = QuarantineReason::kNone;
  // kTrade: the index of data.s in the symbol list. kQuarantine: of data.s, else of the stream name's
  // prefix upper-cased; nullopt when neither names a configured symbol (the unroutable quarantine).
  std::optional<std::size_t> symbol_index;
  std::int64_t trade_id = -1;      // kTrade: data.t
  std::int64_t event_time_ms = 0;  // kTrade: data.E
  bool plain = false;              // kTrade: read by the plain one-pass reader (no repeated member)
};

// One per connection, used from one thread. Owns the simdjson parser, whose buffers are reused: in
// steady state a message costs no allocation beyond the line the caller passes in.
class RecordBuilder {
 public:
  // symbols: upper case, as configured ("BTCUSDT"); a trade's data.s must match one exactly.
  explicit RecordBuilder(std::vector<std::string> symbols);
  ~RecordBuilder();
  RecordBuilder(RecordBuilder&&) noexcept;
  RecordBuilder& operator=(RecordBuilder&&) noexcept;
  RecordBuilder(const RecordBuilder&) = delete;
  RecordBuilder& operator=(const RecordBuilder&) = delete;

  // Classifies one message and appends its line to `out`: the trade line for kTrade, the quarantine
  // line for kQuarantine, nothing for kControl and kServerShutdown. A plain trade (the exchange's usual
  // message, see plain_trade_scan.hpp) is read in one pass and copied once, straight into `out`;
  // anything else is copied into a scratch line with simdjson's padding and parsed there. In steady
  // state a message costs no allocation beyond the growth of `out`.
  MessageInfo build(std::string_view payload, Frame frame, std::int64_t recv_us, std::string& out);
  // The oversize quarantine line of a message of message_bytes whose first bytes are prefix (at most
  // kOversizePrefixBytes are written). It goes to the quarantine of the symbol its text names first
  // ({"stream":"btcusdt@trade",...), else to the unroutable one.
  MessageInfo build_oversize(std::string_view prefix, Frame frame, std::uint64_t message_bytes, std::int64_t recv_us,
                             std::string& out) const;

  const std::vector<std::string>& symbols() const { return symbols_; }
  // SYMBOL=ALL: a new listing, whose index is the count of symbols so far. Not for a name already known.
  void add_symbol(std::string symbol);

 private:
  struct Parser;  // the simdjson ondemand parser

  std::optional<std::size_t> find_symbol(std::string_view symbol);
  std::optional<std::size_t> find_stream_symbol(std::string_view stream) const;
  std::optional<MessageInfo> classify_plain(std::string_view payload, std::int64_t recv_us, std::string& out);
  MessageInfo classify(const std::string& line);

  // ASCII case-insensitive, so a stream name's prefix ("btcusdt") finds its symbol without a copy.
  struct CaselessHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const;
  };
  struct CaselessEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };

  std::vector<std::string> symbols_;
  // symbol -> its index: one lookup per message however many symbols are configured.
  std::unordered_map<std::string, std::size_t, CaselessHash, CaselessEqual> index_;
  std::size_t last_symbol_ = 0;  // index of the symbol find_symbol found last
  std::unique_ptr<Parser> parser_;
  std::string scratch_;  // the general path's line, parsed in place
};

}  // namespace mc
