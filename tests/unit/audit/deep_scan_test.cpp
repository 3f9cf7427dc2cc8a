// The deep audit's single pass gives exactly the sealer's manifest numbers (scan_part), the id set the
// audit counted before with a second, DOM, pass over the lines, and the lines and facts the export
// read before with a third.
#include "audit/deep_scan.hpp"

#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "spool/part_scan.hpp"

namespace mc {
namespace {

// The earlier second pass: data.t of every line a DOM parse accepts.
IdSet dom_ids(std::string_view content, std::uint64_t& count) {
  simdjson::dom::parser parser;
  IdSet ids;
  count = 0;
  const std::size_t kept = content.rfind('\n') == std::string_view::npos ? 0 : content.rfind('\n') + 1;
  for (std::size_t start = 0; start < kept;) {
    const std::size_t end = content.find('\n', start);
    const std::string_view line = content.substr(start, end - start);
    start = end + 1;
    simdjson::dom::element doc;
    std::int64_t id = 0;
    if (parser.parse(line.data(), line.size(), true).get(doc) != simdjson::SUCCESS) continue;
    if (doc.at_key("data").at_key("t").get_int64().get(id) != simdjson::SUCCESS) continue;
    ids.add(id);
    ++count;
  }
  return ids;
}

// The export's earlier reading of a line (DOM): data.t and a trade time (T, else E), recv_us, src.
std::optional<TradeLine> dom_trade(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  TradeLine trade;
  if (parser.parse(line.data(), line.size(), true).get(doc) != simdjson::SUCCESS ||
      doc.at_key("data").at_key("t").get_int64().get(trade.id) != simdjson::SUCCESS ||
      (doc.at_key("data").at_key("T").get_int64().get(trade.trade_ms) != simdjson::SUCCESS &&
       doc.at_key("data").at_key("E").get_int64().get(trade.trade_ms) != simdjson::SUCCESS)) {
    return std::nullopt;
  }
  if (doc.at_key("recv_us").get_int64().get(trade.recv_us) != simdjson::SUCCESS) {
    trade.recv_us = std::numeric_limits<std::int64_t>::max();
  }
  std::string_view src;
  trade.rest = doc.at_key("src").get_string().get(src) == simdjson::SUCCESS && src == "rest";
  return trade;
}

std::string trade(std::int64_t id, std::int64_t event_ms) {
  return fmt::format(
      R"({{"recv_us":{},"stream":"btcusdt@trade","data":{{"e":"trade","E":{},"s":"BTCUSDT","t":{},"p":"97000.01","q":"0.001","T":{},"m":true,"M":true}}}})",
      event_ms * 1000 + 17, event_ms, id, event_ms - 1);
}

void expect_sealers_numbers(const DeepScan& scan, const simdjson::padded_string& padded) {
  const PartStats stats = scan_part(padded, PartKind::kData);
  EXPECT_EQ(scan.record_count, stats.record_count);
  EXPECT_EQ(scan.bytes, stats.bytes);
  EXPECT_EQ(scan.trimmed_bytes, stats.trimmed_bytes);
  EXPECT_EQ(scan.time_min_ms, stats.time_min_ms);
  EXPECT_EQ(scan.time_max_ms, stats.time_max_ms);
  EXPECT_EQ(scan.id_first, stats.id_first);
  EXPECT_EQ(scan.id_last, stats.id_last);
}

void expect_same_as_both_passes(const std::string& content) {
  const simdjson::padded_string padded(content);
  const DeepScan scan = scan_deep(content);
  expect_sealers_numbers(scan, padded);
  std::uint64_t count = 0;
  EXPECT_EQ(scan.ids, dom_ids(content, count));
  EXPECT_EQ(scan.id_count, count);

  const DeepScan with_trades = scan_deep(content, /*with_trades=*/true);
  std::size_t next = 0;
  std::uint64_t without = 0;
  for (std::size_t start = 0; start < with_trades.bytes;) {
    const std::size_t end = content.find('\n', start);
    const std::optional<TradeLine> expected = dom_trade(std::string_view(content).substr(start, end - start));
    if (!expected) {
      ++without;
    } else if (next < with_trades.trades.size()) {
      const TradeLine& got = with_trades.trades[next++];
      EXPECT_EQ(got.offset, start);
      EXPECT_EQ(got.length, end - start);
      EXPECT_EQ(got.id, expected->id);
      EXPECT_EQ(got.trade_ms, expected->trade_ms);
      EXPECT_EQ(got.recv_us, expected->recv_us);
      EXPECT_EQ(got.rest, expected->rest);
    }
    start = end + 1;
  }
  EXPECT_EQ(next, with_trades.trades.size());
  EXPECT_EQ(with_trades.lines_without_trade, without);
}

TEST(DeepScanTest, LiveAndBackfilledLinesOutOfOrderWithRepeats) {
  std::string content;
  for (std::int64_t id = 100; id < 200; ++id) content += trade(id, 1'795'582'800'000 + id) + "\n";
  content += R"({"recv_us":1795582900000000,"src":"rest","data":{"e":"trade","E":1795582700000,"s":"BTCUSDT","t":42,"p":"1","q":"1","T":1795582700000,"m":false,"M":true}})"
             "\n";
  content += trade(150, 1'795'582'800'150) + "\n";  // a repeat
  const DeepScan scan = scan_deep(content);
  EXPECT_EQ(scan.ids, (IdSet{{42, 42}, {100, 199}}));
  EXPECT_EQ(scan.id_count, 102u);
  EXPECT_EQ(scan.id_first, std::optional<std::int64_t>{42});
  EXPECT_EQ(scan.time_min_ms, std::optional<std::int64_t>{1'795'582'700'000});
  expect_same_as_both_passes(content);
}

// Each line alone, between good lines, and a part made of it alone: the numbers and the ids agree with
// both earlier passes, whichever of them counts the line.
TEST(DeepScanTest, EveryKindOfBadLineCountsAsTheTwoEarlierPassesCountedIt) {
  const std::vector<std::string> lines = {
      R"({"stream":"x","data":{"E":5,"t":7}})",                      // no recv_us: bad, yet a trade
      R"({"recv_us":"soon","data":{"E":5,"t":7}})",                  // recv_us a string
      R"({"recv_us":1.5,"data":{"E":5,"t":7}})",                     // recv_us not an integer
      R"({"recv_us":{"a":[1,2]},"data":{"E":5,"t":7}})",             // recv_us an object
      R"({"recv_us":99999999999999999999,"data":{"E":5,"t":7}})",    // beyond 64 bits: not JSON to a DOM
      R"({"recv_us":-9223372036854775809,"data":{"E":5,"t":7}})",
      R"({"recv_us":1e999,"data":{"E":5,"t":7}})",
      R"({"recv_us":-,"data":{"E":5,"t":7}})",
      R"({"recv_us":18446744073709551615,"data":{"E":5,"t":7}})",    // a uint64 beyond int64
      R"({"recv_us":1,"data":{"E":18446744073709551616,"t":7}})",
      R"({"recv_us":1,"data":{"E":5,"t":7,"T":"x"}})",               // T is not the sealer's
      R"({"recv_us":1,"src":7,"data":{"E":5,"t":7}})",
      R"({"recv_us":1,"src":"rest","data":{"E":5,"t":7,"T":4}})",
      R"({"recv_us":1,"data":{"E":"x","t":7,"T":4}})",
      R"({"recv_us":1,"data":{"t":7,"T":4}})",
      R"({"recv_us":1,"data":{"E":18446744073709551615,"t":7}})",
      R"({"recv_us":1,"data":{"E":5,"t":18446744073709551615}})",
      R"({"recv_us":1,"data":{"E":5,"t":1e3}})",
      R"({"recv_us":1,"data":{"E":5,"t":null}})",
      R"({"data":{"E":5,"t":7},"recv_us":"late"})",                  // the bad member after data
      R"({"recv_us":1,"data":{"E":"five","t":7}})",                  // E a string
      R"({"recv_us":1,"data":{"t":7}})",                             // no E
      R"({"recv_us":1,"data":{"E":5}})",                             // no t
      R"({"recv_us":1,"data":{"E":5,"t":"7"}})",                     // t a string
      R"({"recv_us":1,"data":{"E":5,"t":7.5}})",                     // t not an integer
      R"({"recv_us":1,"data":[5,7]})",                               // data an array
      R"({"recv_us":1,"data":{"E":5,"t":7}} trailing)",              // not one object
      R"({"recv_us":1,"data":{"E":5,"t":7})",                        // unclosed
      R"({"recv_us":12x,"data":{"E":5,"t":7}})",                     // broken number
      R"([1,2,3])",                                                  // not an object
      R"("just a string")",
      "",                                                            // empty line
      "\x01\x02 binary",
      R"({"recv_us":1,"data":{"E":5,"t":7,"nested":{"t":8}}})",      // a deeper t is not data.t
      R"({"recv_us":1,"data":{"e":"trade","E":5,"t":-3}})",          // negative id
  };
  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    expect_same_as_both_passes(line + "\n");
    expect_same_as_both_passes(trade(1, 1000) + "\n" + line + "\n" + trade(2, 2000) + "\n");
  }
}

// What the export is given: each line with data.t and a trade time, where it is, and its facts.
TEST(DeepScanTest, TradesLocateEachLineTheExportCanFile) {
  const std::string live = trade(7, 1000);
  const std::string rest = R"({"recv_us":5,"src":"rest","data":{"E":900,"t":3,"T":899}})";
  const std::string no_time = R"({"recv_us":6,"data":{"t":4}})";
  const std::string only_e = R"({"data":{"E":950,"t":5},"src":"live"})";
  const std::string content = live + "\n" + rest + "\n" + no_time + "\nnot json\n" + only_e + "\n";
  EXPECT_TRUE(scan_deep(content).trades.empty());
  const DeepScan scan = scan_deep(content, /*with_trades=*/true);
  ASSERT_EQ(scan.trades.size(), 3u);
  EXPECT_EQ(scan.lines_without_trade, 2u);
  EXPECT_EQ(content.substr(scan.trades[0].offset, scan.trades[0].length), live);
  EXPECT_EQ(scan.trades[0].trade_ms, 999);  // T
  EXPECT_EQ(scan.trades[0].recv_us, 1000 * 1000 + 17);
  EXPECT_FALSE(scan.trades[0].rest);
  EXPECT_EQ(content.substr(scan.trades[1].offset, scan.trades[1].length), rest);
  EXPECT_EQ(scan.trades[1].id, 3);
  EXPECT_EQ(scan.trades[1].trade_ms, 899);
  EXPECT_TRUE(scan.trades[1].rest);
  EXPECT_EQ(content.substr(scan.trades[2].offset, scan.trades[2].length), only_e);
  EXPECT_EQ(scan.trades[2].trade_ms, 950);  // E without T
  EXPECT_EQ(scan.trades[2].recv_us, std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(scan.trades[2].rest);
  // Lines read in place and lines near the end (copied) are located alike.
  std::string many;
  for (std::int64_t id = 1; id <= 300; ++id) many += trade(id, 1000 + id) + "\n";
  const DeepScan long_scan = scan_deep(many, true);
  ASSERT_EQ(long_scan.trades.size(), 300u);
  for (std::size_t i = 0; i < 300; ++i) {
    EXPECT_EQ(many.substr(long_scan.trades[i].offset, long_scan.trades[i].length),
              trade(static_cast<std::int64_t>(i) + 1, 1001 + static_cast<std::int64_t>(i)));
  }
}

TEST(DeepScanTest, ATornLastLineIsTrimmedAndCountsNothing) {
  const std::string content = trade(1, 1000) + "\n" + trade(2, 2000) + "\n" + trade(3, 3000).substr(0, 40);
  const DeepScan scan = scan_deep(content);
  EXPECT_EQ(scan.record_count, 2u);
  EXPECT_EQ(scan.trimmed_bytes, 40u);
  EXPECT_EQ(scan.ids, (IdSet{{1, 2}}));
  expect_same_as_both_passes(content);
  expect_same_as_both_passes("no newline at all");
  expect_same_as_both_passes("");
}

}  // namespace
}  // namespace mc
