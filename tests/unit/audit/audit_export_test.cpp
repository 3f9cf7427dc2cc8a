// `audit --export DIR` (src/audit/audit_export.cpp) over local stores built with real parts.
#include "audit/audit_export.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audit/audit.hpp"
#include "audit_store_builder.hpp"
#include "common/file_util.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using testing::AuditStoreBuilder;
using testing::id_run;
using testing::kBaseMs;
using Json = nlohmann::json;

std::string trade_line(std::int64_t id, std::int64_t trade_ms, std::int64_t recv_us, bool rest = false,
                       const std::string& symbol = "BTCUSDT") {
  return fmt::format(
      R"({{"recv_us":{},{}"stream":"btcusdt@trade","data":{{"e":"trade","E":{},"s":"{}","t":{},"p":"1.0","q":"1.0","T":{},"m":true,"M":true}}}})"
      "\n",
      recv_us, rest ? R"("src":"rest",)" : "", trade_ms, symbol, id, trade_ms);
}

// One exported minute file: its lines, in order.
std::vector<std::string> read_lines(const std::filesystem::path& path) {
  Result<std::string> gz = read_file(path);
  EXPECT_TRUE(gz.is_ok()) << path;
  if (!gz) return {};
  Result<std::string> text = gunzip(*gz);
  EXPECT_TRUE(text.is_ok()) << path;
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (text && start < text->size()) {
    const std::size_t end = text->find('\n', start);
    EXPECT_NE(end, std::string::npos) << "unterminated last line in " << path;
    if (end == std::string::npos) break;
    lines.push_back(text->substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::int64_t id_of(const std::string& line) { return Json::parse(line)["data"]["t"].get<std::int64_t>(); }

class AuditExportTest : public ::testing::Test {
 protected:
  // Runs the deep audit with an exporter into out_; the export's status.
  Status export_range(std::vector<std::string> symbols = {"BTCUSDT"},
                      std::uint64_t memory_limit = kDefaultExportMemoryLimit) {
    Result<AuditExporter> exporter = AuditExporter::open(out_, memory_limit);
    EXPECT_TRUE(exporter.is_ok()) << exporter.status().message();
    if (!exporter) return exporter.status();
    return export_with(*exporter, std::move(symbols), 1, kBaseMs + 600'000);
  }

  // Runs the deep audit of [kBaseMs, to_ms) on jobs threads, feeding exporter; the export's status.
  Status export_with(AuditExporter& exporter, std::vector<std::string> symbols, unsigned jobs, std::int64_t to_ms) {
    const LocalStoreReader reader(store_.path());
    Result<AuditReport> report = run_audit(reader,
                                           {.prefix = "raw/", .symbols = std::move(symbols), .from_ms = kBaseMs,
                                            .to_ms = to_ms, .deep = true, .jobs = jobs},
                                           &exporter);
    EXPECT_TRUE(report.is_ok()) << report.status().message();
    if (!report) return report.status();
    report_ = std::move(report).value();
    return exporter.finish(report_);
  }

  Json manifest() const {
    Result<std::string> text = read_file(out_ / "_export.json");
    EXPECT_TRUE(text.is_ok());
    return text ? Json::parse(*text) : Json{};
  }

  // Every exported file of a symbol, by path relative to out_.
  std::map<std::string, std::vector<std::string>> exported(const std::string& symbol) const {
    std::map<std::string, std::vector<std::string>> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(out_ / ("symbol=" + symbol))) {
      if (entry.is_regular_file()) {
        files[std::filesystem::relative(entry.path(), out_).string()] = read_lines(entry.path());
      }
    }
    return files;
  }

  testing::TempDir store_;
  testing::TempDir out_parent_;
  std::filesystem::path out_ = out_parent_.path() / "export";  // missing: open() creates it
  AuditStoreBuilder builder_{store_.path()};
  AuditReport report_;
};

// Two instances with overlapping parts; i-b received 1-50 earlier than i-a; i-b backfilled 42 (also
// live in i-a) and 300 (live nowhere, traded at 04:59, before the range).
void two_instances(AuditStoreBuilder& builder, std::string& backfill_42, std::string& backfill_300) {
  builder.add_part("i-a", kBaseMs + 1000, id_run(1, 100));    // T 05:00:01.000 + i
  builder.add_part("i-a", kBaseMs + 61'000, id_run(101, 200));  // 05:01
  builder.add_part("i-b", kBaseMs + 500, id_run(1, 50));      // received first
  builder.add_part("i-b", kBaseMs + 61'500, id_run(150, 160));
  backfill_42 = trade_line(42, kBaseMs + 1041, (kBaseMs + 62'000) * 1000, /*rest=*/true);
  backfill_300 = trade_line(300, kBaseMs - 30'000, (kBaseMs + 62'001) * 1000, /*rest=*/true);
  builder.add_lines_part("i-b", kBaseMs + 62'000,
                         trade_line(201, kBaseMs + 62'000, (kBaseMs + 62'000) * 1000) + backfill_42 + backfill_300);
}

TEST_F(AuditExportTest, EachIdOnceInOrderLivePreferredEarliestReceiptMinuteFilesByTradeTime) {
  std::string backfill_42;
  std::string backfill_300;
  two_instances(builder_, backfill_42, backfill_300);
  ASSERT_TRUE(export_range().is_ok());

  const std::map<std::string, std::vector<std::string>> files = exported("BTCUSDT");
  ASSERT_EQ(files.size(), 3u);
  const std::string minute_0459 = "symbol=BTCUSDT/dt=2026-11-25/04/59.jsonl.gz";
  const std::string minute_0500 = "symbol=BTCUSDT/dt=2026-11-25/05/00.jsonl.gz";
  const std::string minute_0501 = "symbol=BTCUSDT/dt=2026-11-25/05/01.jsonl.gz";
  ASSERT_TRUE(files.contains(minute_0459) && files.contains(minute_0500) && files.contains(minute_0501));

  // 300 traded at 04:59 is in 04:59's file, byte for byte its backfilled line.
  EXPECT_EQ(files.at(minute_0459), (std::vector<std::string>{backfill_300.substr(0, backfill_300.size() - 1)}));

  std::vector<std::int64_t> ids;
  for (const auto& [path, lines] : files) {
    for (const std::string& line : lines) ids.push_back(id_of(line));
  }
  // 300 comes first by file (04:59), the rest ascending within and across files
  std::vector<std::int64_t> by_file = {300};
  for (const std::int64_t id : id_run(1, 201)) by_file.push_back(id);
  EXPECT_EQ(ids, by_file);

  const std::vector<std::string>& first_minute = files.at(minute_0500);
  ASSERT_EQ(first_minute.size(), 100u);
  // 1-50: i-b's lines (received at +500 ms, before i-a's at +1000 ms)
  const std::string line_1 = trade_line(1, kBaseMs + 500, (kBaseMs + 500) * 1000);
  EXPECT_EQ(first_minute[0], line_1.substr(0, line_1.size() - 1));
  EXPECT_EQ(Json::parse(first_minute[49])["recv_us"].get<std::int64_t>(), (kBaseMs + 549) * 1000);
  // 42: i-b's earlier live line, never the later REST one
  EXPECT_EQ(first_minute[41].find("\"src\""), std::string::npos);
  EXPECT_EQ(Json::parse(first_minute[41])["recv_us"].get<std::int64_t>(), (kBaseMs + 541) * 1000);
  // 51-100: i-a's
  EXPECT_EQ(Json::parse(first_minute[50])["recv_us"].get<std::int64_t>(), (kBaseMs + 1050) * 1000);
  EXPECT_EQ(files.at(minute_0501).size(), 101u);  // 101-201
}

TEST_F(AuditExportTest, LiveLineWinsOverAnEarlierRestLine) {
  const std::string rest = trade_line(7, kBaseMs + 1000, (kBaseMs + 1000) * 1000, /*rest=*/true);
  const std::string live = trade_line(7, kBaseMs + 1000, (kBaseMs + 2000) * 1000);
  builder_.add_lines_part("i-a", kBaseMs + 1000, rest);
  builder_.add_lines_part("i-b", kBaseMs + 2000, live);
  ASSERT_TRUE(export_range().is_ok());
  const auto files = exported("BTCUSDT");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files.begin()->second, (std::vector<std::string>{live.substr(0, live.size() - 1)}));
}

TEST_F(AuditExportTest, ExportManifestDescribesRangeSymbolsAndEveryFile) {
  std::string backfill_42;
  std::string backfill_300;
  two_instances(builder_, backfill_42, backfill_300);
  builder_.add_part("i-a", kBaseMs + 2000, id_run(1000, 1009), "ETHUSDT");
  ASSERT_TRUE(export_range({"BTCUSDT", "ETHUSDT", "SOLUSDT"}).is_ok());

  const Json m = manifest();
  EXPECT_EQ(m["from_ms"], kBaseMs);
  EXPECT_EQ(m["to_ms"], kBaseMs + 600'000);
  EXPECT_EQ(m["from"], "2026-11-25T05:00:00.000Z");
  EXPECT_EQ(m["audit_exit_code"], 1);  // 202-299 are missing between 201 and 300
  EXPECT_EQ(m["complete"], false);
  // SOLUSDT has no part in the range: not clean either.
  ASSERT_EQ(m["findings"].size(), 1u);
  EXPECT_EQ(m["findings"][0]["kind"], "no_data");
  EXPECT_EQ(m["findings"][0]["key"], "SOLUSDT");
  ASSERT_EQ(m["symbols"].size(), 3u);
  const Json& btc = m["symbols"][0];
  EXPECT_EQ(btc["symbol"], "BTCUSDT");
  EXPECT_EQ(btc["first_id"], 1);
  EXPECT_EQ(btc["last_id"], 300);
  EXPECT_EQ(btc["ids"], 202);
  EXPECT_EQ(btc["ids"].get<std::uint64_t>(), report_.symbols[0].ids.count());
  EXPECT_EQ(btc["missing_count"], 98);
  EXPECT_EQ(btc["missing"], Json::parse("[[202, 299]]"));
  EXPECT_EQ(btc["files"], 3);
  EXPECT_EQ(m["symbols"][1]["ids"], 10);
  EXPECT_EQ(m["symbols"][1]["files"], 1);
  EXPECT_TRUE(m["symbols"][2]["first_id"].is_null());
  EXPECT_EQ(m["symbols"][2]["files"], 0);

  ASSERT_EQ(m["files"].size(), 4u);
  for (const Json& file : m["files"]) {
    const std::filesystem::path path = out_ / file["path"].get<std::string>();
    Result<std::string> bytes = read_file(path);
    ASSERT_TRUE(bytes.is_ok()) << path;
    EXPECT_EQ(file["sha256"], *sha256_hex(*bytes)) << path;
    EXPECT_EQ(file["bytes"], bytes->size());
    const std::vector<std::string> lines = read_lines(path);
    EXPECT_EQ(file["lines"], lines.size());
    EXPECT_EQ(file["first_id"], id_of(lines.front()));
    EXPECT_EQ(file["last_id"], id_of(lines.back()));
  }
  EXPECT_EQ(m["files"][3]["path"], "symbol=ETHUSDT/dt=2026-11-25/05/00.jsonl.gz");
  EXPECT_EQ(m["files"][3]["minute"], "2026-11-25T05:00:00.000Z");
  // no temporary file is left behind
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out_)) {
    EXPECT_FALSE(entry.path().string().ends_with(".tmp")) << entry.path();
  }
}

TEST_F(AuditExportTest, CorruptPartContributesNothingAndIsNamed) {
  builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 100));
  const PartName corrupt = builder_.add_part("i-b", kBaseMs + 6000, id_run(101, 120));
  {
    std::fstream file(builder_.path_of(corrupt.part_key()), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(30);
    char c = 0;
    file.get(c);
    file.seekp(30);
    file.put(static_cast<char>(c ^ 0x40));
  }
  ASSERT_TRUE(export_range().is_ok());
  const Json m = manifest();
  EXPECT_EQ(m["audit_exit_code"], 1);
  EXPECT_EQ(m["complete"], false);
  ASSERT_EQ(m["findings"].size(), 1u);
  EXPECT_EQ(m["findings"][0]["kind"], "sha256_mismatch");
  EXPECT_EQ(m["findings"][0]["key"], corrupt.part_key());
  EXPECT_EQ(m["symbols"][0]["ids"], 100);
  const auto files = exported("BTCUSDT");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(id_of(files.begin()->second.back()), 100);
}

TEST_F(AuditExportTest, CleanAuditIsComplete) {
  builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 100));
  builder_.add_part("i-b", kBaseMs + 1000, id_run(1, 100));
  ASSERT_TRUE(export_range().is_ok());
  EXPECT_EQ(manifest()["audit_exit_code"], 0);
  EXPECT_EQ(manifest()["complete"], true);
  EXPECT_EQ(exported("BTCUSDT").begin()->second.size(), 100u);
}

TEST_F(AuditExportTest, RefusesANonEmptyDirectoryOrAFile) {
  builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 10));
  ASSERT_TRUE(export_range().is_ok());
  Result<AuditExporter> again = AuditExporter::open(out_);
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(again.status().message().find("already holds an export"), std::string::npos);

  const std::filesystem::path other = out_parent_.path() / "other";
  std::filesystem::create_directories(other / "x");
  Result<AuditExporter> not_empty = AuditExporter::open(other);
  ASSERT_FALSE(not_empty.is_ok());
  EXPECT_NE(not_empty.status().message().find("is not empty"), std::string::npos);

  ASSERT_TRUE(write_file_atomic(out_parent_.path() / "file", "x").is_ok());
  EXPECT_FALSE(AuditExporter::open(out_parent_.path() / "file").is_ok());

  std::filesystem::create_directories(out_parent_.path() / "empty");
  EXPECT_TRUE(AuditExporter::open(out_parent_.path() / "empty").is_ok());
}

TEST_F(AuditExportTest, MemoryGuardFailsTheExportWithoutAManifest) {
  builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 100));
  const Status status = export_range({"BTCUSDT"}, /*memory_limit=*/10 * kExportLineOverheadBytes);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("shorter --from/--to range"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out_ / "_export.json"));
  EXPECT_FALSE(std::filesystem::exists(out_ / "symbol=BTCUSDT"));
}

// Every file under dir, by relative path, with its bytes.
std::map<std::string, std::string> tree(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    Result<std::string> bytes = read_file(entry.path());
    EXPECT_TRUE(bytes.is_ok()) << entry.path();
    files[std::filesystem::relative(entry.path(), dir).string()] = bytes ? *bytes : "";
  }
  return files;
}

// Three instances, two symbols, three hours: many minute files, each id in several parts.
void three_hours(AuditStoreBuilder& builder) {
  for (const std::string symbol : {"BTCUSDT", "ETHUSDT"}) {
    for (const std::string instance : {"i-a", "i-b", "i-c"}) {
      for (std::int64_t part = 0; part < 36; ++part) {
        if (instance == "i-b" && part % 7 == 3) continue;
        const std::int64_t first = 1 + part * 40;
        builder.add_part(instance, kBaseMs + part * 300'000 + (instance == "i-c" ? 11 : 0), id_run(first, first + 39),
                         symbol);
      }
    }
  }
}

TEST_F(AuditExportTest, OneAndFourThreadsWriteTheSameTreeAndManifest) {
  three_hours(builder_);
  const std::int64_t to_ms = kBaseMs + 3 * 3'600'000;
  std::map<unsigned, std::map<std::string, std::string>> trees;
  for (const unsigned jobs : {1U, 4U}) {
    const std::filesystem::path out = out_parent_.path() / fmt::format("jobs-{}", jobs);
    Result<AuditExporter> exporter = AuditExporter::open(out);
    ASSERT_TRUE(exporter.is_ok());
    ASSERT_TRUE(export_with(*exporter, {"BTCUSDT", "ETHUSDT"}, jobs, to_ms).is_ok()) << jobs;
    EXPECT_EQ(exporter->files().size(), 2u * 36);  // each part's 40 trades fall in its own minute
    trees[jobs] = tree(out);
  }
  ASSERT_TRUE(trees[1].contains("_export.json"));
  EXPECT_EQ(trees[1].size(), 2u * 36 + 1);
  EXPECT_EQ(trees[4], trees[1]);
}

TEST_F(AuditExportTest, AMinuteThatCannotBeWrittenFailsTheExportWithTheFirstFailureInMinuteOrder) {
  three_hours(builder_);
  Result<AuditExporter> exporter = AuditExporter::open(out_);
  ASSERT_TRUE(exporter.is_ok());
  // A directory where two minute files go: their rename fails.
  for (const char* minute : {"05/15.jsonl.gz", "06/40.jsonl.gz"}) {
    std::filesystem::create_directories(out_ / "symbol=BTCUSDT/dt=2026-11-25" / minute / "x");
  }
  const Status status = export_with(*exporter, {"BTCUSDT", "ETHUSDT"}, 4, kBaseMs + 3 * 3'600'000);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("05/15.jsonl.gz"), std::string::npos) << status.message();
  EXPECT_FALSE(std::filesystem::exists(out_ / "_export.json"));
  ASSERT_EQ(exporter->files().size(), 3u);  // 05:00, 05:05 and 05:10, recorded in order
  EXPECT_EQ(exporter->files().back().path, "symbol=BTCUSDT/dt=2026-11-25/05/10.jsonl.gz");
  EXPECT_FALSE(std::filesystem::exists(out_ / "symbol=ETHUSDT"));  // the next symbol is not started
}

}  // namespace
}  // namespace mc
