#pragma once
// The SQL of sql/curated/, embedded at build time, with its placeholders filled in. The same files
// run on Athena (docs/ATHENA.md), so the local command and Athena share one definition.

#include <string>
#include <string_view>
#include <vector>

namespace mc {

// sql/curated/trades_curated.sql for day ("YYYY-MM-DD"): {{day}} becomes the literal 'day'.
std::string trades_curated_sql(std::string_view day);
// sql/curated/ohlcv_1s.sql for day.
std::string ohlcv_1s_sql(std::string_view day);
// sql/curated/raw_trades.duckdb.sql reading files (each a path the SQL string literal can hold).
std::string raw_trades_view_sql(const std::vector<std::string>& files);

// text with every occurrence of placeholder replaced by value.
std::string replace_all(std::string_view text, std::string_view placeholder, std::string_view value);
// 'text' as an SQL string literal (quotes doubled).
std::string sql_literal(std::string_view text);

}  // namespace mc
