#include "feed/plain_trade_scan.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mc {
namespace {

constexpr std::string_view kTrade =
    R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1739141034567,"s":"BTCUSDT","t":4567890123,)"
    R"("p":"97000.01000000","q":"0.00100000","T":1739141034566,"m":true,"M":true}})";

std::string trade_with(std::string_view data_fields) {
  return R"({"stream":"btcusdt@trade","data":{)" + std::string(data_fields) + "}}";
}

TEST(PlainTradeScan, ReadsTheMembersOfAnExchangeTrade) {
  const std::optional<PlainTrade> trade = scan_plain_trade(kTrade);
  ASSERT_TRUE(trade);
  EXPECT_EQ(trade->stream, "btcusdt@trade");
  EXPECT_EQ(trade->event, "trade");
  EXPECT_EQ(trade->symbol, "BTCUSDT");
  EXPECT_EQ(trade->event_time_ms, 1739141034567);
  EXPECT_EQ(trade->trade_id, 4567890123);
  EXPECT_FALSE(trade->line_breaks);
  const std::optional<PlainTrade> spaced = scan_plain_trade(std::string(kTrade).insert(1, "\r\n"));
  ASSERT_TRUE(spaced);
  EXPECT_TRUE(spaced->line_breaks);
}

TEST(PlainTradeScan, AcceptsEveryJsonShapeAroundTheMembersItReads) {
  const std::vector<std::string> accepted = {
      " \t\r\n" + std::string(kTrade) + " \n",
      R"({ "data" : { "t" : 0 , "s" : "X" , "E" : 5 , "e" : "" } , "stream" : "" })",
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":[1,-0.5e+3,2E-2,0,[],{},[[{"a":null}]]],"y":{"z":false})"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":123456789012345678901234567890,"y":1e400)"),
      trade_with(R"("e":"trade","E":999999999999999999,"s":"BTCUSDT","t":2,"DEL":")" "\x7f" R"(")"),
      R"({"extra":1,"stream":"s","extra":2,"data":{"e":"trade","E":1,"s":"BTCUSDT","t":2}})",  // repeated other key
  };
  for (const std::string& text : accepted) EXPECT_TRUE(scan_plain_trade(text)) << text;
}

TEST(PlainTradeScan, LeavesEverythingOutsideThePlainSubsetToTheGeneralPath) {
  const std::vector<std::string> left = {
      trade_with(R"("e":"trade","E":1,"s":"BTC\u0055SDT","t":2)"),       // an escape
      trade_with("\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":2,\"x\":\"\xc3\xa9\""),  // non-ASCII
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"t":3)"),      // a member of interest twice
      R"({"stream":"a","stream":"b","data":{"e":"trade","E":1,"s":"BTCUSDT","t":2}})",
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":-2)"),           // negative
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2.0)"),          // not an integer
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":1e3)"),
      trade_with(R"("e":"trade","E":1234567890123456789,"s":"BTCUSDT","t":2)"),  // 19 digits
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":"2")"),          // a string
      trade_with(R"("e":"trade","E":1,"s":7,"t":2)"),
      trade_with(R"("e":"trade","E":1,"t":2)"),                          // missing s
      R"({"stream":"btcusdt@trade"})",
      R"({"data":{"e":"trade","E":1,"s":"BTCUSDT","t":2}})",
      R"({"stream":"btcusdt@trade","data":[1]})",
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":)" + std::string(20, '[') + std::string(20, ']')),
  };
  for (const std::string& text : left) EXPECT_FALSE(scan_plain_trade(text)) << text;
}

TEST(PlainTradeScan, RefusesInvalidJson) {
  const std::vector<std::string> invalid = {
      "",
      "{",
      std::string(kTrade) + "}",
      std::string(kTrade) + "x",
      std::string(kTrade) + std::string(kTrade),
      trade_with(R"("e":"trade","E":01,"s":"BTCUSDT","t":2)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":-)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":1.)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":.5)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":1e)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":+1)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":tru)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":nul)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":[1,])"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":{"a"})"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2 "x":1)"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":"a)" "\n" R"(b")"),  // a raw newline in a string
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":"a)" "\t" R"(b")"),
      trade_with(std::string(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":"a)") + '\0' + R"(b")"),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,x:1)"),
      trade_with(R"('e':"trade","E":1,"s":"BTCUSDT","t":2)"),
  };
  for (const std::string& text : invalid) EXPECT_FALSE(scan_plain_trade(text)) << text;
  for (std::size_t size = 0; size < kTrade.size(); ++size) {
    EXPECT_FALSE(scan_plain_trade(kTrade.substr(0, size))) << size;
  }
}

// A byte that ends a string or a number is seen wherever it falls, at every offset, so a reader that
// takes eight bytes at a time would be held to the byte loop's verdicts (docs/PERFORMANCE.md says
// why the byte loop stays).
TEST(PlainTradeScan, SeesTheByteThatEndsAStringOrANumberWhereverItFalls) {
  const std::string plain(19, 'a');
  for (std::size_t at = 0; at < plain.size(); ++at) {
    for (const char stop : {'\x01', '\x1f', '\\', '\x80', '\xff'}) {
      std::string value = plain;
      value[at] = stop;
      EXPECT_FALSE(scan_plain_trade(trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":")" + value + "\""))) << at;
    }
    for (const char kept : {' ', '\x7f', '~', '@'}) {
      std::string value = plain;
      value[at] = kept;
      const std::string text = trade_with(R"("e":"trade","E":1,"s":")" + value + R"(","t":2)");
      const std::optional<PlainTrade> trade = scan_plain_trade(text);  // its views point into text
      ASSERT_TRUE(trade) << at;
      EXPECT_EQ(trade->symbol, value);
    }
    std::string quoted = plain;
    quoted[at] = '"';  // ends the string early: what follows is not JSON
    EXPECT_FALSE(scan_plain_trade(trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":")" + quoted + "\""))) << at;
  }
  const std::string digits = "123456789123456789";  // no 0: a split must not start a number with one
  for (std::size_t size = 1; size <= digits.size(); ++size) {
    const std::optional<PlainTrade> trade =
        scan_plain_trade(trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":)" + digits.substr(0, size)));
    ASSERT_TRUE(trade) << size;
    EXPECT_EQ(trade->trade_id, std::stoll(digits.substr(0, size)));
    for (std::size_t at = 1; at < size; ++at) {
      // The id ends where the next member starts, wherever that falls in the word.
      const std::string split = digits.substr(0, at) + R"(,"y":)" + digits.substr(at, size - at);
      const std::optional<PlainTrade> cut = scan_plain_trade(trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":)" + split));
      ASSERT_TRUE(cut) << split;
      EXPECT_EQ(cut->trade_id, std::stoll(digits.substr(0, at))) << split;
      for (const char stop : {'/', ':', 'a', '\x80'}) {
        std::string broken = digits.substr(0, size);
        broken[at] = stop;
        EXPECT_FALSE(scan_plain_trade(trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":)" + broken))) << broken;
      }
    }
  }
}

// Whatever the bytes, an accepted text is valid JSON (nlohmann's strict parser agrees) and the members
// read are the ones a JSON reader finds. The edits are drawn from the bytes that matter to the grammar.
TEST(PlainTradeScan, WhatItAcceptsIsValidJsonWithTheSameMembers) {
  constexpr std::string_view kAlphabet = "{}[]\",:0123456789-+.eEtrufalsn \t\r\n\\x\x01\x7f\x80\xc3\xa9/";
  const std::vector<std::string> seeds = {
      std::string(kTrade),
      trade_with(R"("e":"trade","E":1,"s":"BTCUSDT","t":2,"x":[1,-0.5e+3,{"y":null}],"z":true)"),
      R"({ "data" : { "t" : 10 , "s" : "ab" , "E" : 5 , "e" : "trade" } , "stream" : "ab@trade" })",
  };
  std::mt19937 rng(20261201);
  int accepted = 0;
  int mutated_accepted = 0;
  for (int round = 0; round < 60000; ++round) {
    std::string text = seeds[static_cast<std::size_t>(round) % seeds.size()];
    const int edits = round < 3 ? 0 : 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      const char c = kAlphabet[rng() % kAlphabet.size()];
      switch (rng() % 3) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: text.erase(at, 1); break;
      }
    }
    const std::optional<PlainTrade> trade = scan_plain_trade(text);
    if (!trade) continue;
    ++accepted;
    if (edits > 0) ++mutated_accepted;
    nlohmann::json parsed;
    try {
      parsed = nlohmann::json::parse(text);
    } catch (const nlohmann::json::out_of_range& e) {
      // 406: a number beyond a double (1e400): valid JSON that nlohmann will not hold. Not a verdict.
      ASSERT_EQ(e.id, 406) << e.what() << " in " << text;
      continue;
    } catch (const nlohmann::json::exception& e) {
      FAIL() << "accepted, but not JSON: " << e.what() << " in " << text;
    }
    ASSERT_EQ(parsed.at("stream").get<std::string>(), trade->stream) << text;
    const nlohmann::json& data = parsed.at("data");
    ASSERT_EQ(data.at("e").get<std::string>(), trade->event) << text;
    ASSERT_EQ(data.at("s").get<std::string>(), trade->symbol) << text;
    ASSERT_EQ(data.at("E").get<std::int64_t>(), trade->event_time_ms) << text;
    ASSERT_EQ(data.at("t").get<std::int64_t>(), trade->trade_id) << text;
  }
  // The edits keep some texts valid (a digit for a digit, a space between tokens): the check above
  // must have had accepted mutants to look at.
  EXPECT_GT(mutated_accepted, 100) << accepted;
}

}  // namespace
}  // namespace mc
