#include "app/exchange_symbols.hpp"

#include <fmt/format.h>

#include "common/log.hpp"
#include "feed/exchange_info.hpp"

namespace mc {
namespace {

constexpr long kHttpOk = 200;
constexpr long kTooManyRequests = 429;
constexpr long kBanned = 418;
constexpr long kFirstServerError = 500;
constexpr std::size_t kMaxBodyInError = 200;
// exchangeInfo of every spot symbol is a few MB; the default limit of the client is 16 MB.
constexpr std::chrono::milliseconds kTimeout{30'000};

}  // namespace

Result<ShardSymbols> fetch_shard_symbols(HttpClient& http, const std::string& rest_url, const std::string& api_key,
                                         Shard shard) {
  std::string base = rest_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest request{.url = base + "/api/v3/exchangeInfo", .timeout = kTimeout};
  if (!api_key.empty()) request.headers.push_back({"X-MBX-APIKEY", api_key});
  Result<HttpResponse> response = http.send(request);
  if (!response) return response.status().with_context("exchangeInfo");
  if (response->status != kHttpOk) {
    const std::string what = fmt::format("exchangeInfo: HTTP {} from {}: {}", response->status, log_safe(base),
                                         log_safe(response->body.substr(0, kMaxBodyInError)));
    const bool passing = response->status >= kFirstServerError || response->status == kTooManyRequests ||
                         response->status == kBanned;
    return passing ? Status::retryable(what) : Status::fatal(what);
  }
  Result<ExchangeSymbols> listed = parse_exchange_info(response->body);
  if (!listed) return listed.status();
  Result<std::vector<std::string>> kept = symbols_of_shard(listed->trading, shard);
  if (!kept) return kept.status();
  return ShardSymbols{.symbols = std::move(kept).value(),
                      .trading = listed->trading.size(),
                      .odd_names = std::move(listed->odd_names)};
}

}  // namespace mc
