#include "curated/curated_sql.hpp"

#include "embedded_sql.hpp"

namespace mc {
namespace {

constexpr std::string_view kDayPlaceholder = "{{day}}";
constexpr std::string_view kFilesPlaceholder = "@FILES@";

}  // namespace

std::string replace_all(std::string_view text, std::string_view placeholder, std::string_view value) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t at = text.find(placeholder); at != std::string_view::npos; at = text.find(placeholder, start)) {
    out.append(text.substr(start, at - start)).append(value);
    start = at + placeholder.size();
  }
  out.append(text.substr(start));
  return out;
}

std::string sql_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string_view("''") : std::string_view(&c, 1);
  return out + "'";
}

std::string trades_curated_sql(std::string_view day) {
  return replace_all(embedded_sql::kTradesCurated, kDayPlaceholder, sql_literal(day));
}

std::string ohlcv_1s_sql(std::string_view day) {
  return replace_all(embedded_sql::kOhlcv1s, kDayPlaceholder, sql_literal(day));
}

std::string raw_trades_view_sql(const std::vector<std::string>& files) {
  std::string list = "[";
  for (const std::string& file : files) list += (list.size() > 1 ? ", " : "") + sql_literal(file);
  return replace_all(embedded_sql::kRawTradesView, kFilesPlaceholder, list + "]");
}

}  // namespace mc
