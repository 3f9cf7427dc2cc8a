#include "feed/plain_trade_scan.hpp"

#include <array>
#include <utility>

namespace mc {
namespace {

// Bytes a plain string holds as they are: printable ASCII and DEL, but not '"' (its end) nor '\\'
// (an escape, left to the general path). Control bytes are invalid in a JSON string; bytes above
// 0x7F need UTF-8 validation, also left to the general path.
constexpr std::array<bool, 256> kPlainStringBytes = [] {
  std::array<bool, 256> table{};
  for (std::size_t c = 0x20; c < 0x80; ++c) table[c] = c != '"' && c != '\\';
  return table;
}();

// Longer integers could overflow int64; the general path reads them.
constexpr std::size_t kMaxPlainDigits = 18;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A recursive-descent reader of the plain subset. Every method returns false as soon as the text
// leaves the subset; the position is then meaningless. The token readers are forced inline: GCC
// at -O2 otherwise calls them, and those calls cost over a third of a message's time.
class PlainScanner {
 public:
  explicit PlainScanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  std::optional<PlainTrade> trade();

 private:
  [[gnu::always_inline]] inline bool at(char c) const { return p_ < end_ && *p_ == c; }
  [[gnu::always_inline]] inline bool consume(char c) {
    if (!at(c)) return false;
    ++p_;
    return true;
  }
  [[gnu::always_inline]] inline void skip_space() {
    for (; p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'); ++p_) {
      if (*p_ == '\n' || *p_ == '\r') line_breaks_ = true;
    }
  }
  [[gnu::always_inline]] inline std::size_t skip_digits() {
    const char* start = p_;
    while (p_ < end_ && is_digit(*p_)) ++p_;
    return static_cast<std::size_t>(p_ - start);
  }

  [[gnu::always_inline]] inline bool string(std::string_view& out);
  [[gnu::always_inline]] inline bool number(std::string_view& out);
  [[gnu::always_inline]] inline bool integer(std::int64_t& out);
  bool literal(std::string_view word);
  bool value(int depth);
  // After '{': the members up to and including '}'. on_member(key) reads the member's value.
  template <typename OnMember>
  bool members(const OnMember& on_member);
  bool elements(int depth);  // after '[': up to and including ']'

  const char* p_;
  const char* end_;
  bool line_breaks_ = false;
};

[[gnu::always_inline]] inline bool PlainScanner::string(std::string_view& out) {
  if (!consume('"')) return false;
  const char* start = p_;
  while (p_ < end_ && kPlainStringBytes[static_cast<unsigned char>(*p_)]) ++p_;
  if (!at('"')) return false;  // the end of the text, an escape, a control byte or a non-ASCII byte
  out = std::string_view(start, static_cast<std::size_t>(p_ - start));
  ++p_;
  return true;
}

// The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. What follows the token is
// checked by the caller, which expects ',', '}', ']' or the end.
[[gnu::always_inline]] inline bool PlainScanner::number(std::string_view& out) {
  const char* start = p_;
  consume('-');
  if (!consume('0') && skip_digits() == 0) return false;
  if (consume('.') && skip_digits() == 0) return false;
  if (consume('e') || consume('E')) {
    if (!consume('+')) consume('-');
    if (skip_digits() == 0) return false;
  }
  out = std::string_view(start, static_cast<std::size_t>(p_ - start));
  return true;
}

[[gnu::always_inline]] inline bool PlainScanner::integer(std::int64_t& out) {
  std::string_view token;
  if (!number(token) || token.size() > kMaxPlainDigits) return false;
  std::int64_t value = 0;
  for (const char c : token) {
    if (!is_digit(c)) return false;  // a sign, a fraction or an exponent
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

bool PlainScanner::literal(std::string_view word) {
  if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
  p_ += word.size();
  return true;
}

// depth: the nesting level a container value here would have (the top object is 1).
bool PlainScanner::value(int depth) {
  if (p_ == end_) return false;
  switch (*p_) {
    case '{':
      if (depth > kMaxPlainDepth) return false;
      ++p_;
      return members([this, depth](std::string_view) { return value(depth + 1); });
    case '[':
      if (depth > kMaxPlainDepth) return false;
      ++p_;
      return elements(depth);
    case '"': {
      std::string_view text;
      return string(text);
    }
    case 't': return literal("true");
    case 'f': return literal("false");
    case 'n': return literal("null");
    default: {
      std::string_view token;
      return number(token);
    }
  }
}

template <typename OnMember>
bool PlainScanner::members(const OnMember& on_member) {
  skip_space();
  if (consume('}')) return true;
  for (;;) {
    std::string_view key;
    if (!string(key)) return false;
    skip_space();
    if (!consume(':')) return false;
    skip_space();
    if (!on_member(key)) return false;
    skip_space();
    if (consume('}')) return true;
    if (!consume(',')) return false;
    skip_space();
  }
}

bool PlainScanner::elements(int depth) {
  skip_space();
  if (consume(']')) return true;
  for (;;) {
    if (!value(depth + 1)) return false;
    skip_space();
    if (consume(']')) return true;
    if (!consume(',')) return false;
    skip_space();
  }
}

std::optional<PlainTrade> PlainScanner::trade() {
  PlainTrade trade;
  bool has_stream = false;
  bool has_data = false;
  bool has_event = false;
  bool has_event_time = false;
  bool has_symbol = false;
  bool has_trade_id = false;
  // A member of interest written twice is left to the general path, which decides which one counts.
  const auto once = [](bool& seen) { return !std::exchange(seen, true); };

  const auto data_member = [&](std::string_view key) {
    if (key == "e") return once(has_event) && string(trade.event);
    if (key == "E") return once(has_event_time) && integer(trade.event_time_ms);
    if (key == "s") return once(has_symbol) && string(trade.symbol);
    if (key == "t") return once(has_trade_id) && integer(trade.trade_id);
    return value(3);
  };
  const auto top_member = [&](std::string_view key) {
    if (key == "stream") return once(has_stream) && string(trade.stream);
    if (key == "data") return once(has_data) && consume('{') && members(data_member);
    return value(2);
  };

  skip_space();
  if (!consume('{') || !members(top_member)) return std::nullopt;
  skip_space();
  if (p_ != end_) return std::nullopt;
  if (!has_stream || !has_data || !has_event || !has_event_time || !has_symbol || !has_trade_id) return std::nullopt;
  trade.line_breaks = line_breaks_;
  return trade;
}

}  // namespace

std::optional<PlainTrade> scan_plain_trade(std::string_view text) { return PlainScanner(text).trade(); }

}  // namespace mc
