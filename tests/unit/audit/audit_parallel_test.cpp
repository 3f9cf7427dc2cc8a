// The audit on several threads (AuditRequest::jobs, src/audit/ordered_pool.hpp) gives exactly the
// one-thread report and export, over a store with a fault of every kind.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audit/audit.hpp"
#include "audit/audit_export.hpp"
#include "audit/ordered_pool.hpp"
#include "audit_store_builder.hpp"
#include "common/file_util.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using testing::AuditStoreBuilder;
using testing::concat;
using testing::id_run;
using testing::kBaseMs;
using Json = nlohmann::json;

TEST(RunOrderedTest, ConsumesEveryIndexInOrderOnTheCallingThreadWithABoundedWindow) {
  constexpr std::size_t kCount = 200;
  constexpr unsigned kJobs = 4;
  std::mt19937 rng(7);
  std::vector<int> delays_us(kCount);
  for (int& delay : delays_us) delay = static_cast<int>(rng() % 300);
  std::atomic<std::size_t> produced{0};
  std::atomic<std::size_t> max_ahead{0};
  std::atomic<std::size_t> consumed{0};
  std::vector<std::size_t> order;
  std::set<std::thread::id> producers;
  std::mutex producers_mutex;
  const std::thread::id caller = std::this_thread::get_id();
  run_ordered(
      kCount, kJobs,
      [&](std::size_t i) {
        std::this_thread::sleep_for(std::chrono::microseconds(delays_us[i]));
        const std::size_t ahead = ++produced - consumed.load();
        std::size_t seen = max_ahead.load();
        while (ahead > seen && !max_ahead.compare_exchange_weak(seen, ahead)) {
        }
        const std::lock_guard lock(producers_mutex);
        producers.insert(std::this_thread::get_id());
        return i * 10;
      },
      [&](std::size_t i, std::size_t value) {
        EXPECT_EQ(std::this_thread::get_id(), caller);
        EXPECT_EQ(value, i * 10);
        order.push_back(i);
        ++consumed;
      });
  ASSERT_EQ(order.size(), kCount);
  for (std::size_t i = 0; i < kCount; ++i) EXPECT_EQ(order[i], i);
  EXPECT_GT(producers.size(), 1u);
  EXPECT_FALSE(producers.contains(caller));
  // Produced but not yet consumed never exceeds the window (plus the one being produced per thread).
  EXPECT_LE(max_ahead.load(), kOrderedWindowPerJob * kJobs + kJobs);
}

TEST(RunOrderedTest, OneJobRunsInlineAndNothingToDoCallsNothing) {
  std::vector<std::size_t> order;
  const std::thread::id caller = std::this_thread::get_id();
  run_ordered(
      3, 1,
      [&](std::size_t i) {
        EXPECT_EQ(std::this_thread::get_id(), caller);
        return i;
      },
      [&](std::size_t, std::size_t value) { order.push_back(value); });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2}));
  run_ordered(
      0, 4, [](std::size_t) { return 0; }, [](std::size_t, int) { ADD_FAILURE() << "nothing to consume"; });
}

class AuditParallelTest : public ::testing::Test {
 protected:
  // Two symbols, three instances, many parts, and one fault of each kind the audit reports.
  void SetUp() override {
    for (const std::string symbol : {"BTCUSDT", "ETHUSDT"}) {
      for (const std::string instance : {"i-a", "i-b", "i-c"}) {
        for (std::int64_t part = 0; part < 12; ++part) {
          const std::int64_t first = part * 50 + 1;
          if (instance == "i-b" && part == 3) continue;  // a hole the others fill
          // i-c holds a hole inside a part, which only the deep audit sees.
          const std::vector<std::int64_t> ids =
              instance == "i-c" && part == 5 ? concat(id_run(first, first + 19), id_run(first + 30, first + 49))
                                             : id_run(first, first + 49);
          names_[symbol + instance + std::to_string(part)] =
              builder_.add_part(instance, kBaseMs + part * 20'000 + (instance == "i-b" ? 7 : 0), ids, symbol);
        }
      }
    }
    // sha256_mismatch: a flipped byte.
    flip_byte(names_.at("BTCUSDTi-a2").part_key(), 40);
    // corrupt_part: not gzip, but the manifest's sha256 and size agree with it.
    rewrite_part(names_.at("BTCUSDTi-c7"), "this is not gzip at all");
    // stats_mismatch: the manifest says one more record.
    edit_manifest(names_.at("ETHUSDTi-a4"), [](Json& m) { m["payload"]["record_count"] = 51; });
    // bad_manifest, orphan_part, orphan_manifest.
    builder_.put(names_.at("ETHUSDTi-b6").manifest_key(), "{not json");
    std::filesystem::remove(builder_.path_of(names_.at("BTCUSDTi-b9").manifest_key()));
    std::filesystem::remove(builder_.path_of(names_.at("ETHUSDTi-c10").part_key()));
    // A backfilled copy of a live id: the export's choice of copy depends on the order parts are fed.
    builder_.add_lines_part(
        "i-c", kBaseMs + 250'000,
        fmt::format(R"({{"recv_us":1,"src":"rest","stream":"btcusdt@trade","data":{{"e":"trade","E":{},"s":"BTCUSDT","t":77,"p":"1.0","q":"1.0","T":{},"m":true,"M":true}}}})"
                    "\n",
                    kBaseMs, kBaseMs));
    same_instant_copies();
  }

  // Ids 1001-1010 twice, received at the same instant, with different bytes: the export keeps the first
  // read, i-a's, which only an export fed in the sequential order gets right.
  void same_instant_copies() {
    for (const std::string instance : {"i-c", "i-a"}) {
      std::string lines;
      for (std::int64_t id = 1001; id <= 1010; ++id) {
        lines += fmt::format(
            R"({{"recv_us":{},"stream":"btcusdt@trade","data":{{"e":"trade","E":{},"s":"BTCUSDT","t":{},"p":"{}","q":"1.0","T":{},"m":true,"M":true}}}})"
            "\n",
            (kBaseMs + 300'000) * 1000, kBaseMs + 300'000, id, instance, kBaseMs + 300'000);
      }
      builder_.add_lines_part(instance, kBaseMs + 300'000, lines);
    }
  }

  // The JSON report and, when exporting, every exported file's bytes by relative path.
  std::pair<std::string, std::map<std::string, std::string>> audit(unsigned jobs, bool deep, bool with_export,
                                                                   std::int64_t from_ms = kBaseMs,
                                                                   std::int64_t to_ms = kBaseMs + 600'000) {
    const std::filesystem::path out = out_.path() / fmt::format("export-{}-{}-{}-{}", jobs, deep, from_ms, to_ms);
    std::optional<AuditExporter> exporter;
    if (with_export) {
      Result<AuditExporter> opened = AuditExporter::open(out);
      EXPECT_TRUE(opened.is_ok());
      exporter.emplace(std::move(opened).value());
    }
    const LocalStoreReader reader(store_.path());
    Result<AuditReport> report =
        run_audit(reader,
                  {.prefix = "raw/", .symbols = {"BTCUSDT", "ETHUSDT"}, .from_ms = from_ms, .to_ms = to_ms,
                   .deep = deep, .jobs = jobs},
                  exporter ? &*exporter : nullptr);
    EXPECT_TRUE(report.is_ok()) << report.status().message();
    if (!report) return {};
    std::map<std::string, std::string> files;
    if (exporter) {
      EXPECT_TRUE(exporter->finish(*report).is_ok());
      for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
        if (!entry.is_regular_file()) continue;
        Result<std::string> bytes = read_file(entry.path());
        EXPECT_TRUE(bytes.is_ok());
        files[std::filesystem::relative(entry.path(), out).string()] = bytes ? *bytes : "";
      }
    }
    return {render_json(*report), files};
  }

  void flip_byte(const std::string& key, std::size_t offset) {
    std::fstream file(builder_.path_of(key), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    file.get(c);
    file.seekp(static_cast<std::streamoff>(offset));
    file.put(static_cast<char>(c ^ 0x40));
  }

  template <typename Edit>
  void edit_manifest(const PartName& name, Edit edit) {
    Result<std::string> text = read_file(builder_.path_of(name.manifest_key()));
    ASSERT_TRUE(text.is_ok());
    Json manifest = Json::parse(*text);
    edit(manifest);
    builder_.put(name.manifest_key(), manifest.dump());
  }

  void rewrite_part(const PartName& name, const std::string& body) {
    builder_.put(name.part_key(), body);
    edit_manifest(name, [&body](Json& m) {
      m["payload"]["sha256"] = *sha256_hex(body);
      m["payload"]["bytes_gzip"] = body.size();
    });
  }

  // Parts every 20 minutes from 05:20 to 09:20, a hole, faults, and keys outside the minute folders at
  // every level: a range from 04:59:30 to 09:41:10 lists a minute, four hours and 42 minutes per symbol.
  void add_hours() {
    for (const std::string symbol : {"BTCUSDT", "ETHUSDT"}) {
      for (const std::string instance : {"i-a", "i-b"}) {
        for (std::int64_t part = 1; part <= 13; ++part) {
          if (instance == "i-a" && part == 8) continue;
          const std::int64_t first = 2000 + part * 100;
          names_[symbol + instance + "h" + std::to_string(part)] = builder_.add_part(
              instance, kBaseMs + part * 1'200'000 + (instance == "i-b" ? 3 : 0), id_run(first, first + 99), symbol);
        }
      }
      const std::string day = fmt::format("raw/exchange=binance/stream=trade/symbol={}/dt=2026-11-25/", symbol);
      builder_.put(day + "stray.json", "x");           // not listed: the day is not wholly in range
      builder_.put(day + "06/stray.json", "x");        // bad_key, from hour 06's listing
      builder_.put(day + "09/41/notes.txt", "x");      // bad_key, from minute 09:41's listing
      builder_.put(day + "09/42/notes.txt", "x");      // after the range
    }
    flip_byte(names_.at("ETHUSDTi-bh5").part_key(), 30);
    std::filesystem::remove(builder_.path_of(names_.at("BTCUSDTi-bh9").part_key()));
  }

  testing::TempDir store_;
  testing::TempDir out_;
  AuditStoreBuilder builder_{store_.path()};
  std::map<std::string, PartName> names_;
};

TEST_F(AuditParallelTest, ShallowReportIsTheSequentialOne) {
  const auto [sequential, none] = audit(1, /*deep=*/false, /*with_export=*/false);
  for (const unsigned jobs : {2U, 4U, 16U}) EXPECT_EQ(audit(jobs, false, false).first, sequential) << jobs;
  const Json report = Json::parse(sequential);
  std::set<std::string> kinds;
  for (const Json& finding : report["findings"]) kinds.insert(finding["kind"].get<std::string>());
  EXPECT_EQ(kinds, (std::set<std::string>{"bad_manifest", "orphan_part", "orphan_manifest"}));
}

TEST_F(AuditParallelTest, DeepReportAndExportAreTheSequentialOnes) {
  const auto [sequential, sequential_files] = audit(1, /*deep=*/true, /*with_export=*/true);
  const Json report = Json::parse(sequential);
  std::set<std::string> kinds;
  for (const Json& finding : report["findings"]) kinds.insert(finding["kind"].get<std::string>());
  EXPECT_EQ(kinds, (std::set<std::string>{"bad_manifest", "orphan_part", "orphan_manifest", "sha256_mismatch",
                                          "corrupt_part", "stats_mismatch"}));
  EXPECT_EQ(report["symbols"][0]["instances"].size(), 3u);
  ASSERT_TRUE(sequential_files.contains("_export.json"));
  // Minutes 05:00-05:03 and 05:05 of BTCUSDT, 05:00-05:03 of ETHUSDT, and _export.json.
  EXPECT_EQ(sequential_files.size(), 10u);
  const std::string minute = "symbol=BTCUSDT/dt=2026-11-25/05/05.jsonl.gz";
  ASSERT_TRUE(sequential_files.contains(minute));
  Result<std::string> lines = gunzip(sequential_files.at(minute));
  ASSERT_TRUE(lines.is_ok());
  EXPECT_NE(lines->find(R"("p":"i-a")"), std::string::npos);
  EXPECT_EQ(lines->find(R"("p":"i-c")"), std::string::npos);
  for (const unsigned jobs : {2U, 4U, 16U}) {
    const auto [parallel, parallel_files] = audit(jobs, true, true);
    EXPECT_EQ(parallel, sequential) << jobs;
    EXPECT_EQ(parallel_files, sequential_files) << jobs;  // _export.json included: same findings, same order
  }
}

constexpr std::int64_t kHoursFromMs = kBaseMs - 30'000;                 // 04:59:30
constexpr std::int64_t kHoursToMs = kBaseMs + 4 * 3'600'000 + 2'470'000;  // 09:41:10

TEST_F(AuditParallelTest, ReportsOverSeveralHoursAreTheSequentialOneForAnyJobs) {
  add_hours();
  const auto [shallow, none] = audit(1, /*deep=*/false, /*with_export=*/false, kHoursFromMs, kHoursToMs);
  const auto [deep, files] = audit(1, /*deep=*/true, /*with_export=*/true, kHoursFromMs, kHoursToMs);
  const Json report = Json::parse(deep);
  std::vector<std::string> bad_keys;
  for (const Json& finding : report["findings"]) {
    if (finding["kind"] == "bad_key") bad_keys.push_back(finding["key"].get<std::string>().substr(49));
  }
  // In key order, each symbol's listing findings before its manifests' and parts' findings.
  EXPECT_EQ(bad_keys, (std::vector<std::string>{"dt=2026-11-25/06/stray.json", "dt=2026-11-25/09/41/notes.txt",
                                                 "dt=2026-11-25/06/stray.json", "dt=2026-11-25/09/41/notes.txt"}));
  // SetUp's 35 parts that verify (36, less a hole, three faults, plus three), and 24 of the added hours'.
  EXPECT_EQ(report["symbols"][0]["parts"], 59);
  for (const unsigned jobs : {2U, 8U}) {
    EXPECT_EQ(audit(jobs, false, false, kHoursFromMs, kHoursToMs).first, shallow) << jobs;
    const auto [parallel, parallel_files] = audit(jobs, true, true, kHoursFromMs, kHoursToMs);
    EXPECT_EQ(parallel, deep) << jobs;
    EXPECT_EQ(parallel_files, files) << jobs;
  }
}

// Lists through a local store, recording every prefix, and fails one.
class ListingSpy final : public StoreReader {
 public:
  ListingSpy(const StoreReader& store, std::string failing) : store_(store), failing_(std::move(failing)) {}
  Result<std::vector<StoredObject>> list(std::string_view prefix) const override {
    {
      const std::lock_guard lock(mutex_);
      listed_.emplace_back(prefix);
    }
    if (prefix == failing_) return Status::retryable("503 SlowDown");
    return store_.list(prefix);
  }
  Result<std::string> get(std::string_view key) const override { return store_.get(key); }
  std::string describe() const override { return store_.describe(); }
  std::vector<std::string> listed() const {
    const std::lock_guard lock(mutex_);
    return listed_;
  }

 private:
  const StoreReader& store_;
  std::string failing_;
  mutable std::mutex mutex_;
  mutable std::vector<std::string> listed_;
};

TEST_F(AuditParallelTest, ListsThePlansFoldersOnceEachAndFailsWhenAnyFolderCannotBeListed) {
  add_hours();
  const LocalStoreReader local(store_.path());
  const AuditRequest request{.prefix = "raw/", .symbols = {"BTCUSDT", "ETHUSDT"}, .from_ms = kHoursFromMs,
                             .to_ms = kHoursToMs, .deep = false, .jobs = 8};
  const ListingSpy spy(local, "");
  ASSERT_TRUE(run_audit(spy, request).is_ok());
  std::vector<std::string> listed = spy.listed();
  std::sort(listed.begin(), listed.end());
  // The plan's folders of both symbols, and the heads once.
  ASSERT_EQ(listed.size(), 2u * (1 + 4 + 42) + 1);
  EXPECT_EQ(listed[0], "raw/_collector/heads/");
  EXPECT_EQ(listed[1], "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2026-11-25/04/59/");
  EXPECT_EQ(listed[2], "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2026-11-25/05/");
  EXPECT_EQ(std::adjacent_find(listed.begin(), listed.end()), listed.end());

  const std::string failing = "raw/exchange=binance/stream=trade/symbol=ETHUSDT/dt=2026-11-25/07/";
  for (const unsigned jobs : {1U, 8U}) {
    const ListingSpy broken(local, failing);
    AuditRequest with_jobs = request;
    with_jobs.jobs = jobs;
    Result<AuditReport> report = run_audit(broken, with_jobs);
    ASSERT_FALSE(report.is_ok()) << jobs;
    EXPECT_EQ(report.status().message(), "listing " + failing + ": 503 SlowDown") << jobs;
  }
}

}  // namespace
}  // namespace mc
