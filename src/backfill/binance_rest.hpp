#pragma once
// Pieces every Binance REST client here shares: what a symbol may look like in a query, the
// {"code":-1121,"msg":"..."} error body, and the numbers Binance puts in headers.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mc {

// How much of an exchange's error msg goes into a Status message.
inline constexpr std::size_t kMaxExchangeErrorMsgChars = 200;

// Upper case [A-Z0-9]+: nothing that would need escaping in a query string.
bool is_exchange_symbol(std::string_view symbol);

// The {"code":-1121,"msg":"..."} Binance sends with an error status, when the body is that shape;
// msg is cut to kMaxExchangeErrorMsgChars.
struct ExchangeError {
  std::int64_t code = 0;
  std::string msg;
};
std::optional<ExchangeError> parse_exchange_error(std::string_view body);

// " code=-1100 msg=\"...\"" for a Status message, or "" without an error body.
std::string describe_exchange_error(std::string_view body);

// A header value such as X-MBX-USED-WEIGHT-1M: digits only, fitting T.
template <typename T>
std::optional<T> parse_unsigned(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace mc
