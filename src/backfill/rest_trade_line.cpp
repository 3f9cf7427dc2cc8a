#include "backfill/rest_trade_line.hpp"

#include <array>
#include <cctype>
#include <charconv>

namespace mc {

namespace {

void append_int(std::string& out, std::int64_t value) {
  std::array<char, 24> digits{};  // any int64 fits, so to_chars cannot fail
  out.append(digits.data(), std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr);
}

void append_bool(std::string& out, bool value) { out += value ? "true" : "false"; }

}  // namespace

void append_rest_trade_line(std::string& out, const RestTrade& trade, std::string_view symbol, std::int64_t recv_us) {
  out += "{\"recv_us\":";
  append_int(out, recv_us);
  out += ",\"src\":\"rest\",\"stream\":\"";
  for (const char c : symbol) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out += "@trade\",\"data\":{\"e\":\"trade\",\"E\":";
  append_int(out, trade.time_ms);
  out += ",\"s\":\"";
  out += symbol;
  out += "\",\"t\":";
  append_int(out, trade.id);
  out += ",\"p\":\"";
  out += trade.price;
  out += "\",\"q\":\"";
  out += trade.qty;
  out += "\",\"T\":";
  append_int(out, trade.time_ms);
  out += ",\"m\":";
  append_bool(out, trade.is_buyer_maker);
  out += ",\"M\":";
  append_bool(out, trade.is_best_match);
  out += "}}\n";
}

}  // namespace mc
