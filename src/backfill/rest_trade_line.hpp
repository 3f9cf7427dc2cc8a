#pragma once
// A trade recovered over REST, as an output line (docs/S3_LAYOUT.md "Parts"): "src":"rest" after recv_us
// and a data object in the @trade stream's own shape. REST does not say when the event was sent, so
// the event time E is the trade time T.

#include <cstdint>
#include <string>
#include <string_view>

#include "backfill/historical_trades.hpp"

namespace mc {

// Appends one '\n'-terminated line to out:
// {"recv_us":R,"src":"rest","stream":"<symbol lower>@trade","data":{"e":"trade","E":T,"s":"<SYMBOL>",
//  "t":id,"p":"<price>","q":"<qty>","T":T,"m":bool,"M":bool}}
// symbol is upper case [A-Z0-9] and price/qty are validated decimal strings (parse_historical_trades),
// so nothing is escaped.
void append_rest_trade_line(std::string& out, const RestTrade& trade, std::string_view symbol, std::int64_t recv_us);

}  // namespace mc
