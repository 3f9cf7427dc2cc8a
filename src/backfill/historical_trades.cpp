#include "backfill/historical_trades.hpp"

#include <algorithm>
#include <utility>

#include <simdjson.h>

#include "backfill/binance_rest.hpp"
#include "net/http_date.hpp"

namespace mc {

namespace {

// Binance writes at most 8 decimals and a few integer digits; anything much longer is not a price.
constexpr std::size_t kMaxDecimalChars = 64;
// Bounds how long stop() can wait for a request in flight.
constexpr std::chrono::milliseconds kRequestTimeout{10'000};

// "123", "4.00000100": digits, optionally one '.' followed by digits. Nothing that would need escaping
// in JSON can pass, and the text stays a valid JSON string body when copied verbatim.
bool is_decimal_string(std::string_view text) {
  if (text.empty() || text.size() > kMaxDecimalChars) return false;
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const auto all_digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!all_digits(whole)) return false;
  return dot == std::string_view::npos || all_digits(text.substr(dot + 1));
}

std::string describe(std::string_view symbol, std::int64_t from_id) {
  return "historicalTrades symbol=" + std::string(symbol) + " fromId=" + std::to_string(from_id);
}

Status row_error(std::size_t row, std::string_view what) {
  return Status::corrupt("row " + std::to_string(row) + ": " + std::string(what));
}

Result<RestTrade> parse_row(simdjson::dom::element element, std::size_t row) {
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) return row_error(row, "not an object");
  RestTrade trade;
  if (object["id"].get_int64().get(trade.id) != simdjson::SUCCESS || trade.id < 0) {
    return row_error(row, "id missing or not a non-negative integer");
  }
  std::string_view text;
  if (object["price"].get_string().get(text) != simdjson::SUCCESS || !is_decimal_string(text)) {
    return row_error(row, "price missing or not a decimal number string");
  }
  trade.price = std::string(text);
  if (object["qty"].get_string().get(text) != simdjson::SUCCESS || !is_decimal_string(text)) {
    return row_error(row, "qty missing or not a decimal number string");
  }
  trade.qty = std::string(text);
  if (object["time"].get_int64().get(trade.time_ms) != simdjson::SUCCESS || trade.time_ms < 0) {
    return row_error(row, "time missing or not a non-negative integer");
  }
  if (object["isBuyerMaker"].get_bool().get(trade.is_buyer_maker) != simdjson::SUCCESS) {
    return row_error(row, "isBuyerMaker missing or not a boolean");
  }
  if (object["isBestMatch"].get_bool().get(trade.is_best_match) != simdjson::SUCCESS) {
    return row_error(row, "isBestMatch missing or not a boolean");
  }
  return trade;
}

}  // namespace

Result<std::vector<RestTrade>> parse_historical_trades(std::string_view body, std::int64_t from_id, int limit) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    return Status::corrupt("body is not valid JSON");
  }
  simdjson::dom::array rows;
  if (root.get_array().get(rows) != simdjson::SUCCESS) return Status::corrupt("body is not a JSON array");
  if (rows.size() > static_cast<std::size_t>(limit)) {
    return Status::corrupt(std::to_string(rows.size()) + " rows for limit " + std::to_string(limit));
  }
  std::vector<RestTrade> trades;
  trades.reserve(rows.size());
  for (simdjson::dom::element element : rows) {
    const std::size_t row = trades.size();
    Result<RestTrade> trade = parse_row(element, row);
    if (!trade) return trade.status();
    if (row == 0 && trade->id < from_id) {
      return row_error(row, "id " + std::to_string(trade->id) + " is below fromId");
    }
    if (row > 0 && trade->id <= trades.back().id) {
      return row_error(row, "id " + std::to_string(trade->id) + " does not ascend from " +
                                std::to_string(trades.back().id));
    }
    trades.push_back(std::move(trade).value());
  }
  return trades;
}

std::chrono::seconds parse_retry_after(const HttpResponse& response) {
  const std::optional<std::string> value = response.header("retry-after");
  if (!value) return kDefaultRetryAfter;
  if (const auto seconds = parse_unsigned<std::uint32_t>(*value)) return std::chrono::seconds(*seconds);
  const auto until = parse_http_date(*value);
  const std::optional<std::string> date = response.header("date");
  const auto sent = date ? parse_http_date(*date) : std::nullopt;
  if (!until || !sent) return kDefaultRetryAfter;
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(*until - *sent));
}

Result<TradesAnswerHead> read_trades_answer_head(const HttpResponse& response, const std::string& what) {
  TradesAnswerHead head;
  if (const auto used = response.header("x-mbx-used-weight-1m")) head.used_weight = parse_unsigned<std::uint32_t>(*used);
  const long status = response.status;
  if (status == 200) return head;
  if (status == 429 || status == 418) {
    head.kind = status == 429 ? TradesAnswerKind::kRateLimited : TradesAnswerKind::kBanned;
    head.retry_after = parse_retry_after(response);
    return head;
  }
  const std::optional<ExchangeError> error = parse_exchange_error(response.body);
  if (status == 400 && error && error->code == -1121) {
    head.kind = TradesAnswerKind::kNoSuchSymbol;
    return head;
  }
  std::string message = what + ": HTTP " + std::to_string(status) + describe_exchange_error(response.body);
  if (status >= 500) return Status::retryable(std::move(message));
  return Status::fatal(std::move(message));
}

HistoricalTradesClient::HistoricalTradesClient(std::string base_url, std::string api_key, HttpClient& http)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)), http_(http) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<TradesAnswer> HistoricalTradesClient::fetch(std::string_view symbol, std::int64_t from_id, int limit) {
  const std::string what = describe(symbol, from_id);
  if (!is_exchange_symbol(symbol) || from_id < 0 || limit < 1 || limit > kMaxHistoricalTradesLimit) {
    return Status::fatal(what + ": invalid request (limit=" + std::to_string(limit) + ")");
  }
  HttpRequest request{.url = base_url_ + "/api/v3/historicalTrades?symbol=" + std::string(symbol) +
                             "&fromId=" + std::to_string(from_id) + "&limit=" + std::to_string(limit),
                      .timeout = kRequestTimeout};
  if (!api_key_.empty()) request.headers.push_back({"X-MBX-APIKEY", api_key_});
  Result<HttpResponse> response = http_.send(request);
  if (!response) return response.status().with_context(what);

  Result<TradesAnswerHead> head = read_trades_answer_head(*response, what);
  if (!head) return head.status();
  TradesAnswer answer{.kind = head->kind, .used_weight = head->used_weight, .retry_after = head->retry_after};
  if (answer.kind != TradesAnswerKind::kPage) return answer;
  Result<std::vector<RestTrade>> trades = parse_historical_trades(response->body, from_id, limit);
  if (!trades) return trades.status().with_context(what + " limit=" + std::to_string(limit));
  answer.trades = std::move(trades).value();
  return answer;
}

}  // namespace mc
