#include "backfill/binance_rest.hpp"

#include <algorithm>

#include <simdjson.h>

namespace mc {

bool is_exchange_symbol(std::string_view symbol) {
  return !symbol.empty() && std::all_of(symbol.begin(), symbol.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

std::optional<ExchangeError> parse_exchange_error(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(body.data(), body.size()).get(object) != simdjson::SUCCESS) return std::nullopt;
  ExchangeError error;
  if (object["code"].get_int64().get(error.code) != simdjson::SUCCESS) return std::nullopt;
  std::string_view msg;
  if (object["msg"].get_string().get(msg) == simdjson::SUCCESS) {
    error.msg = std::string(msg.substr(0, kMaxExchangeErrorMsgChars));
  }
  return error;
}

std::string describe_exchange_error(std::string_view body) {
  const std::optional<ExchangeError> error = parse_exchange_error(body);
  if (!error) return "";
  return " code=" + std::to_string(error->code) + " msg=\"" + error->msg + "\"";
}

}  // namespace mc
