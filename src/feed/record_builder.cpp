#include "feed/record_builder.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <simdjson.h>

#include "common/base64.hpp"
#include "feed/plain_trade_scan.hpp"
#include "feed/ws_frame_reader.hpp"

namespace mc {
namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view kJsonSpace = " \t\n\r";
constexpr std::string_view kTradeSuffix = "@trade";
constexpr std::string_view kRecvUsKey = R"({"recv_us":)";
// How Binance's combined-stream messages start: an oversize message's stream is read from its prefix.
constexpr std::string_view kStreamKeyFirst = R"({"stream":")";
constexpr std::size_t kMaxInt64Digits = 20;  // "-9223372036854775808"
constexpr std::size_t kMaxLineBytes = kMaxRecordBytes + kRecvUsKey.size() + kMaxInt64Digits + 2;

char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The JSON number grammar. simdjson's get_number() refuses valid numbers it cannot represent
// (1e400, 30-digit integers), which would mislabel valid JSON as invalid.
bool is_json_number(std::string_view token) {
  token = token.substr(0, token.find_last_not_of(kJsonSpace) + 1);
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < token.size() && is_digit(token[i])) ++i;
    return i - start;
  };
  if (i < token.size() && token[i] == '-') ++i;
  if (i < token.size() && token[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < token.size() && token[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == token.size();
}

simdjson::error_code validate_value(od::value value, int depth);

simdjson::error_code validate_members(od::object object, int depth) {
  for (auto member : object) {
    od::field field;
    if (auto error = std::move(member).get(field)) return error;
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    if (auto error = validate_value(field.value(), depth + 1)) return error;
  }
  return simdjson::SUCCESS;
}

// ondemand parsing is lazy: looking fields up skips the rest without checking it, and a truncated
// message can yield every field a trade needs. The line contract promises valid JSON, so every value
// is visited once. The depth bound keeps the recursion off the end of the stack.
simdjson::error_code validate_value(od::value value, int depth) {
  if (depth > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
  od::json_type type{};
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      return validate_members(object, depth);
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto element : array) {
        od::value item;
        if (auto error = element.get(item)) return error;
        if (auto error = validate_value(item, depth + 1)) return error;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text);
    }
    case od::json_type::number: return is_json_number(value.raw_json_token()) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    case od::json_type::boolean: {
      bool flag = false;
      return value.get_bool().get(flag);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) return error;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

simdjson::error_code validate_document(od::document& doc) {
  od::object top;
  if (auto error = doc.get_object().get(top)) return error;
  if (auto error = validate_members(top, 1)) return error;
  // The walk ends at the top object's closing brace; anything after it but whitespace is trailing.
  const char* rest = nullptr;
  return doc.current_location().get(rest) == simdjson::OUT_OF_BOUNDS ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

bool has_field(od::document& doc, std::string_view key) {
  return doc.find_field_unordered(key).error() != simdjson::NO_SUCH_FIELD;
}

// body: the payload after its first '{'; line_breaks: whether it may hold a CR or LF. The line is
// appended to `out`.
void write_trade_line(std::string_view body, std::int64_t recv_us, bool line_breaks, std::string& out) {
  out.append(kRecvUsKey);
  char digits[kMaxInt64Digits];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, recv_us).ptr);
  // An empty object has no member to put a comma in front of.
  const std::size_t first = body.find_first_not_of(kJsonSpace);
  if (first == std::string_view::npos || body[first] != '}') out.push_back(',');
  const std::size_t body_start = out.size();
  out.append(body);
  // One event per line needs a line free of CR/LF. In valid JSON they can only be whitespace between
  // tokens (inside strings they must be escaped), so turning them into tabs keeps the message's
  // meaning. A tab, not a space: like CR/LF it is whitespace outside strings and forbidden raw inside
  // them, so a payload with a raw newline inside a string stays invalid and goes to quarantine (with
  // its exact bytes) instead of being silently repaired.
  if (line_breaks) {
    for (std::size_t i = body_start; i < out.size(); ++i) {
      if (out[i] == '\n' || out[i] == '\r') out[i] = '\t';
    }
  }
  out.push_back('\n');
}

// kept: the payload's bytes the line carries, its first ones; `bytes` is always the whole payload's size.
void write_quarantine_line(QuarantineReason reason, std::string_view kept, std::uint64_t bytes, Frame frame,
                           std::int64_t recv_us, std::string& line) {
  constexpr std::size_t kFixedBytes = 160;  // keys, reason, frame, numbers
  line.reserve(line.size() + kFixedBytes + base64_encoded_size(kept.size()));
  char digits[kMaxInt64Digits];
  line.append(kRecvUsKey);
  line.append(digits, std::to_chars(digits, digits + sizeof digits, recv_us).ptr);
  line.append(R"(,"reason":")");
  line.append(to_string(reason));
  line.append(frame == Frame::kText ? R"(","frame":"text","bytes":)" : R"(","frame":"binary","bytes":)");
  line.append(digits, std::to_chars(digits, digits + sizeof digits, bytes).ptr);
  if (kept.size() < bytes) {
    line.append(R"(,"kept_bytes":)");
    line.append(digits, std::to_chars(digits, digits + sizeof digits, kept.size()).ptr);
  }
  line.append(R"(,"raw_b64":")");
  base64_append(kept, line);
  line.append("\"}\n");
}

}  // namespace

const char* to_string(QuarantineReason reason) {
  switch (reason) {
    case QuarantineReason::kNone: return "none";
    case QuarantineReason::kBinaryFrame: return "binary_frame";
    case QuarantineReason::kEmpty: return "empty";
    case QuarantineReason::kOversize: return "oversize";
    case QuarantineReason::kNotObject: return "not_object";
    case QuarantineReason::kInvalidJson: return "invalid_json";
    case QuarantineReason::kTooDeep: return "too_deep";
    case QuarantineReason::kExchangeError: return "exchange_error";
    case QuarantineReason::kBadEnvelope: return "bad_envelope";
    case QuarantineReason::kUnknownStream: return "unknown_stream";
    case QuarantineReason::kUnknownEvent: return "unknown_event";
    case QuarantineReason::kBadEventTime: return "bad_event_time";
    case QuarantineReason::kBadTradeId: return "bad_trade_id";
    case QuarantineReason::kMissingSymbol: return "missing_symbol";
    case QuarantineReason::kSymbolMismatch: return "symbol_mismatch";
    case QuarantineReason::kUnknownSymbol: return "unknown_symbol";
  }
  return "unknown";
}

struct RecordBuilder::Parser {
  od::parser parser{kMaxLineBytes};
};

RecordBuilder::RecordBuilder(std::vector<std::string> symbols)
    : symbols_(std::move(symbols)), parser_(std::make_unique<Parser>()) {
  index_.reserve(symbols_.size());
  // A name listed twice keeps its first index, as the linear search it replaces did.
  for (std::size_t i = 0; i < symbols_.size(); ++i) index_.emplace(symbols_[i], i);
}
void RecordBuilder::add_symbol(std::string symbol) {
  index_.emplace(symbol, symbols_.size());
  symbols_.push_back(std::move(symbol));
}

RecordBuilder::~RecordBuilder() = default;
RecordBuilder::RecordBuilder(RecordBuilder&&) noexcept = default;
RecordBuilder& RecordBuilder::operator=(RecordBuilder&&) noexcept = default;

MessageInfo RecordBuilder::build(std::string_view payload, Frame frame, std::int64_t recv_us, std::string& out) {
  if (payload.size() > kMaxRecordBytes) return build_oversize(payload, frame, payload.size(), recv_us, out);
  if (frame == Frame::kText && payload.starts_with('{')) {
    if (const std::optional<MessageInfo> trade = classify_plain(payload, recv_us, out)) {
      return *trade;
    }
  }
  MessageInfo info;
  if (frame == Frame::kBinary) {
    info.reason = QuarantineReason::kBinaryFrame;
  } else if (const std::size_t brace = payload.find_first_not_of(kJsonSpace); brace == std::string_view::npos) {
    info.reason = QuarantineReason::kEmpty;
  } else if (payload[brace] != '{') {
    info.reason = QuarantineReason::kNotObject;
  } else {
    scratch_.clear();
    // simdjson reads up to SIMDJSON_PADDING bytes past the line's end: they must be its capacity.
    scratch_.reserve(kRecvUsKey.size() + kMaxInt64Digits + payload.size() + 1 + simdjson::SIMDJSON_PADDING);
    write_trade_line(payload.substr(brace + 1), recv_us, /*line_breaks=*/true, scratch_);
    info = classify(scratch_);
    if (info.kind == RecordClass::kTrade) out.append(scratch_);
  }
  if (info.kind == RecordClass::kQuarantine) {
    write_quarantine_line(info.reason, payload, payload.size(), frame, recv_us, out);
  }
  return info;
}

MessageInfo RecordBuilder::build_oversize(std::string_view prefix, Frame frame, std::uint64_t message_bytes,
                                          std::int64_t recv_us, std::string& out) const {
  MessageInfo info{.kind = RecordClass::kQuarantine, .reason = QuarantineReason::kOversize};
  const std::string_view kept = prefix.substr(0, kOversizePrefixBytes);
  // Only the stream as the first member is trusted: without the rest a later "stream" could be nested.
  if (frame == Frame::kText && kept.starts_with(kStreamKeyFirst)) {
    const std::string_view rest = kept.substr(kStreamKeyFirst.size());
    const std::size_t quote = rest.find_first_of("\"\\");
    if (quote != std::string_view::npos && rest[quote] == '"') {
      info.symbol_index = find_stream_symbol(rest.substr(0, quote));
    }
  }
  write_quarantine_line(QuarantineReason::kOversize, kept, message_bytes, frame, recv_us, out);
  return info;
}

// The fast path: a plain trade (see plain_trade_scan.hpp, whose ids are never negative) of a
// configured symbol, its line appended to `out`. nullopt sends the message down the general path,
// which reaches the same verdict for every message this accepts.
std::optional<MessageInfo> RecordBuilder::classify_plain(std::string_view payload, std::int64_t recv_us,
                                                         std::string& out) {
  const std::optional<PlainTrade> trade = scan_plain_trade(payload);
  if (!trade || trade->event != "trade" || !trade->stream.ends_with(kTradeSuffix) || trade->symbol.empty()) {
    return std::nullopt;
  }
  const std::string_view stream_symbol = trade->stream.substr(0, trade->stream.size() - kTradeSuffix.size());
  if (!CaselessEqual{}(stream_symbol, trade->symbol)) return std::nullopt;
  const std::optional<std::size_t> index = find_symbol(trade->symbol);
  if (!index) return std::nullopt;
  write_trade_line(payload.substr(1), recv_us, trade->line_breaks, out);
  return MessageInfo{.kind = RecordClass::kTrade,
                     .symbol_index = index,
                     .trade_id = trade->trade_id,
                     .event_time_ms = trade->event_time_ms,
                     .plain = true};
}

// Parses the line in place (it carries the padding) and decides what the message is.
MessageInfo RecordBuilder::classify(const std::string& line) {
  MessageInfo info;
  const auto quarantine = [&info](QuarantineReason reason) {
    info.kind = RecordClass::kQuarantine;
    info.reason = reason;
    return info;
  };

  od::document doc;
  simdjson::error_code error =
      parser_->parser.iterate(simdjson::padded_string_view(line.data(), line.size(), line.capacity())).get(doc);
  if (!error) error = validate_document(doc);
  if (error == simdjson::DEPTH_ERROR) return quarantine(QuarantineReason::kTooDeep);
  if (error) return quarantine(QuarantineReason::kInvalidJson);
  doc.rewind();

  std::string_view stream;
  const simdjson::error_code stream_error = doc.find_field_unordered("stream").get_string().get(stream);
  od::object data;
  const simdjson::error_code data_error = doc.find_field_unordered("data").get_object().get(data);
  if (!stream_error) info.symbol_index = find_stream_symbol(stream);
  if (stream_error == simdjson::NO_SUCH_FIELD && data_error == simdjson::NO_SUCH_FIELD) {
    if (has_field(doc, "error")) return quarantine(QuarantineReason::kExchangeError);
    if (has_field(doc, "result") || has_field(doc, "id")) {
      info.kind = RecordClass::kControl;
      return info;
    }
    std::string_view event;
    if (!doc.find_field_unordered("e").get_string().get(event) && event == "serverShutdown") {
      info.kind = RecordClass::kServerShutdown;
      return info;
    }
    doc.rewind();
  }
  if (stream_error || data_error) return quarantine(QuarantineReason::kBadEnvelope);

  std::string_view event;
  const simdjson::error_code event_error = data.find_field_unordered("e").get_string().get(event);
  std::int64_t event_time = 0;
  const simdjson::error_code event_time_error = data.find_field_unordered("E").get_int64().get(event_time);
  std::string_view symbol;
  const simdjson::error_code symbol_error = data.find_field_unordered("s").get_string().get(symbol);
  std::int64_t trade_id = -1;
  const simdjson::error_code trade_id_error = data.find_field_unordered("t").get_int64().get(trade_id);

  const std::optional<std::size_t> configured = symbol_error ? std::nullopt : find_symbol(symbol);
  if (configured) info.symbol_index = configured;

  // The notice may come inside the combined-stream envelope as well as bare.
  if (!event_error && event == "serverShutdown") {
    info.kind = RecordClass::kServerShutdown;
    return info;
  }
  if (!stream.ends_with(kTradeSuffix)) return quarantine(QuarantineReason::kUnknownStream);
  if (event_error || event != "trade") return quarantine(QuarantineReason::kUnknownEvent);
  if (event_time_error) return quarantine(QuarantineReason::kBadEventTime);
  if (trade_id_error || trade_id < 0) return quarantine(QuarantineReason::kBadTradeId);
  if (symbol_error || symbol.empty()) return quarantine(QuarantineReason::kMissingSymbol);
  const std::string_view stream_symbol = stream.substr(0, stream.size() - kTradeSuffix.size());
  const bool same_symbol =
      stream_symbol.size() == symbol.size() &&
      std::equal(stream_symbol.begin(), stream_symbol.end(), symbol.begin(),
                 [](char a, char b) { return ascii_upper(a) == ascii_upper(b); });
  if (!same_symbol) return quarantine(QuarantineReason::kSymbolMismatch);
  if (!configured) return quarantine(QuarantineReason::kUnknownSymbol);

  info.kind = RecordClass::kTrade;
  info.trade_id = trade_id;
  info.event_time_ms = event_time;
  return info;
}

std::size_t RecordBuilder::CaselessHash::operator()(std::string_view text) const {
  // FNV-1a over the upper-cased bytes.
  std::size_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(ascii_upper(c));
    hash *= 1099511628211ULL;
  }
  return hash;
}

bool RecordBuilder::CaselessEqual::operator()(std::string_view a, std::string_view b) const {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_upper(x) == ascii_upper(y); });
}

// data.s must match a configured symbol exactly, case included. Consecutive trades are mostly of one
// symbol: the previous hit is tried before the hash.
std::optional<std::size_t> RecordBuilder::find_symbol(std::string_view symbol) {
  if (last_symbol_ < symbols_.size() && symbols_[last_symbol_] == symbol) return last_symbol_;
  const auto it = index_.find(symbol);
  if (it == index_.end() || it->first != symbol) return std::nullopt;
  last_symbol_ = it->second;
  return it->second;
}

// "btcusdt@trade" -> the index of "BTCUSDT".
std::optional<std::size_t> RecordBuilder::find_stream_symbol(std::string_view stream) const {
  const std::size_t at = stream.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  const auto it = index_.find(stream.substr(0, at));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

}  // namespace mc
