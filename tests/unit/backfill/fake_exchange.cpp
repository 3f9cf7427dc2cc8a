#include "fake_exchange.hpp"

#include <algorithm>

namespace mc::testing {

RestTrade history_trade(std::int64_t id) {
  return RestTrade{.id = id,
                   .price = std::to_string(100 + id % 7) + ".0000" + std::to_string(id % 10),
                   .qty = "0." + std::to_string(1000 + id % 13),
                   .time_ms = 1'739'141'000'000 + id,
                   .is_buyer_maker = id % 2 == 0,
                   .is_best_match = true};
}

std::optional<TradesQuery> parse_trades_query(const std::string& target) {
  const std::string path = "/api/v3/historicalTrades?";
  if (target.rfind(path, 0) != 0) return std::nullopt;
  TradesQuery query;
  std::size_t pos = path.size();
  while (pos < target.size()) {
    const std::size_t end = std::min(target.find('&', pos), target.size());
    const std::string pair = target.substr(pos, end - pos);
    const std::size_t eq = pair.find('=');
    const std::string name = pair.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    if (name == "symbol") query.symbol = value;
    if (name == "fromId") query.from_id = std::stoll(value);
    if (name == "limit") query.limit = std::stoi(value);
    pos = end + 1;
  }
  return query;
}

void FakeExchange::extend_to(std::int64_t last_id) {
  std::lock_guard lock(mutex_);
  last_id_ = last_id;
}

void FakeExchange::make_absent(std::int64_t first, std::int64_t last) {
  std::lock_guard lock(mutex_);
  absent_.emplace_back(first, last);
}

void FakeExchange::script(ScriptedResponse response) {
  std::lock_guard lock(mutex_);
  scripted_.push_back(std::move(response));
}

std::vector<std::chrono::steady_clock::time_point> FakeExchange::arrivals() const {
  std::lock_guard lock(mutex_);
  return arrivals_;
}

ScriptedResponse FakeExchange::answer(const ReceivedRequest& request) {
  std::lock_guard lock(mutex_);
  arrivals_.push_back(std::chrono::steady_clock::now());
  if (!scripted_.empty()) {
    ScriptedResponse response = std::move(scripted_.front());
    scripted_.pop_front();
    return response;
  }
  const std::optional<TradesQuery> query = parse_trades_query(request.target);
  if (!query) return ScriptedResponse{.status = 404};
  if (std::find(symbols_.begin(), symbols_.end(), query->symbol) == symbols_.end()) return ScriptedResponse{.status = 400, .body = R"({"code":-1121,"msg":"Invalid symbol."})"};
  std::string body = "[";
  const std::int64_t from = std::max(query->from_id, first_id_);
  const auto is_absent = [this](std::int64_t id) {
    return std::any_of(absent_.begin(), absent_.end(), [id](const auto& r) { return r.first <= id && id <= r.second; });
  };
  int rows = 0;
  for (std::int64_t id = from; id <= last_id_ && rows < query->limit; ++id) {
    if (is_absent(id)) continue;
    ++rows;
    const RestTrade t = history_trade(id);
    if (body.size() > 1) body += ',';
    body += R"({"id":)" + std::to_string(t.id) + R"(,"price":")" + t.price + R"(","qty":")" + t.qty +
            R"(","quoteQty":"1.0","time":)" + std::to_string(t.time_ms) +
            R"(,"isBuyerMaker":)" + (t.is_buyer_maker ? "true" : "false") + R"(,"isBestMatch":true})";
  }
  body += "]";
  return ScriptedResponse{.headers = {{"Content-Type", "application/json"}, {"X-MBX-USED-WEIGHT-1M", "25"}},
                          .body = std::move(body)};
}

}  // namespace mc::testing
