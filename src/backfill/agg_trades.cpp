#include "backfill/agg_trades.hpp"

#include <utility>

#include <simdjson.h>

#include "backfill/binance_rest.hpp"

namespace mc {

namespace {

// The audit waits for each answer in turn; a stuck request should fail, not hang the audit.
constexpr std::chrono::milliseconds kRequestTimeout{15'000};

Status row_error(std::size_t row, std::string_view what) {
  return Status::corrupt("row " + std::to_string(row) + ": " + std::string(what));
}

Result<AggTrade> parse_row(simdjson::dom::element element, std::size_t row) {
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) return row_error(row, "not an object");
  AggTrade trade;
  const auto field = [&object](const char* name, std::int64_t& out) {
    return object[name].get_int64().get(out) == simdjson::SUCCESS && out >= 0;
  };
  if (!field("a", trade.agg_id)) return row_error(row, "a missing or not a non-negative integer");
  if (!field("f", trade.first_id)) return row_error(row, "f missing or not a non-negative integer");
  if (!field("l", trade.last_id)) return row_error(row, "l missing or not a non-negative integer");
  if (!field("T", trade.time_ms)) return row_error(row, "T missing or not a non-negative integer");
  if (trade.last_id < trade.first_id) {
    return row_error(row, "l " + std::to_string(trade.last_id) + " is below f " + std::to_string(trade.first_id));
  }
  return trade;
}

std::string describe(std::string_view symbol, std::optional<std::int64_t> start_time_ms, int limit) {
  return "aggTrades symbol=" + std::string(symbol) +
         (start_time_ms ? " startTime=" + std::to_string(*start_time_ms) : std::string()) +
         " limit=" + std::to_string(limit);
}

}  // namespace

Result<std::vector<AggTrade>> parse_agg_trades(std::string_view body, std::optional<std::int64_t> start_time_ms,
                                               int limit) {
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
  std::vector<AggTrade> trades;
  trades.reserve(rows.size());
  for (simdjson::dom::element element : rows) {
    const std::size_t row = trades.size();
    Result<AggTrade> trade = parse_row(element, row);
    if (!trade) return trade.status();
    if (start_time_ms && trade->time_ms < *start_time_ms) {
      return row_error(row, "T " + std::to_string(trade->time_ms) + " is before startTime");
    }
    if (row > 0 && (trade->agg_id <= trades.back().agg_id || trade->first_id <= trades.back().last_id)) {
      return row_error(row, "aggregate " + std::to_string(trade->agg_id) + " does not ascend from " +
                                std::to_string(trades.back().agg_id));
    }
    trades.push_back(*trade);
  }
  return trades;
}

AggTradesClient::AggTradesClient(std::string base_url, std::string api_key, HttpClient& http)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)), http_(http) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<AggTradesAnswer> AggTradesClient::fetch(std::string_view symbol, std::optional<std::int64_t> start_time_ms,
                                               int limit) {
  const std::string what = describe(symbol, start_time_ms, limit);
  if (!is_exchange_symbol(symbol) || (start_time_ms && *start_time_ms < 0) || limit < 1 ||
      limit > kMaxAggTradesLimit) {
    return Status::fatal(what + ": invalid request");
  }
  std::string url = base_url_ + "/api/v3/aggTrades?symbol=" + std::string(symbol);
  if (start_time_ms) url += "&startTime=" + std::to_string(*start_time_ms);
  url += "&limit=" + std::to_string(limit);
  HttpRequest request{.url = std::move(url), .timeout = kRequestTimeout};
  if (!api_key_.empty()) request.headers.push_back({"X-MBX-APIKEY", api_key_});
  Result<HttpResponse> response = http_.send(request);
  if (!response) return response.status().with_context(what);

  Result<TradesAnswerHead> head = read_trades_answer_head(*response, what);
  if (!head) return head.status();
  AggTradesAnswer answer{.kind = head->kind, .used_weight = head->used_weight, .retry_after = head->retry_after};
  if (answer.kind != TradesAnswerKind::kPage) return answer;
  Result<std::vector<AggTrade>> trades = parse_agg_trades(response->body, start_time_ms, limit);
  if (!trades) return trades.status().with_context(what);
  answer.trades = std::move(trades).value();
  return answer;
}

}  // namespace mc
