#include "common/log.hpp"

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>


namespace mc {
namespace {

std::vector<nlohmann::json> parse_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));  // throws when not JSON
  return lines;
}

TEST(LogTest, JsonLinesStayValidWhateverTheMessageHolds) {
  ASSERT_TRUE(init_logging("debug", LogFormat::kJson));
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("cap\"ture", std::move(sink));
  spdlog::initialize_logger(logger);  // takes the format init_logging set

  const std::vector<std::string> messages{
      R"(quote " and backslash \ and {"json":"inside"})",
      "newline\nreturn\rtab\tbell\x07 nul" + std::string(1, '\0') + " del\x7f end",
      "utf-8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 kept",
  };
  for (const std::string& message : messages) logger->info(message);
  logger->warn("invalid utf-8 \xff\xc3 and overlong \xc0\xaf");
  spdlog::drop(logger->name());

  const std::vector<nlohmann::json> lines = parse_lines(captured.str());
  ASSERT_EQ(lines.size(), messages.size() + 1);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(lines[i]["msg"], messages[i]);
    EXPECT_EQ(lines[i]["level"], "info");
    EXPECT_EQ(lines[i]["component"], "cap\"ture");
    EXPECT_TRUE(lines[i]["ts"].is_string());
  }
  EXPECT_EQ(lines.back()["msg"], "invalid utf-8 \xef\xbf\xbd\xef\xbf\xbd and overlong \xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(lines.back()["level"], "warning");
}

TEST(LogTest, ComponentLoggersWriteToStderrAtTheConfiguredLevel) {
  ASSERT_TRUE(init_logging("info", LogFormat::kJson));
  const auto logger = make_logger("feed");
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  logger->debug("hidden at info");
  logger->info("connected url=\"wss://x\"");
  const std::string err = ::testing::internal::GetCapturedStderr();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out, "");
  const std::vector<nlohmann::json> lines = parse_lines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_EQ(lines[0]["component"], "feed");
  EXPECT_EQ(lines[0]["msg"], "connected url=\"wss://x\"");
}

TEST(LogTest, TextFormatNamesTheComponent) {
  ASSERT_TRUE(init_logging("info", LogFormat::kText));
  const auto logger = make_logger("spool");
  ::testing::internal::CaptureStderr();
  logger->info("sealed part");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("[spool] sealed part\n"), std::string::npos) << err;
  EXPECT_NE(err.find("info"), std::string::npos) << err;
}

TEST(LogTest, BeforeInitLoggingComponentsLogTextToStderr) {
  // spdlog's own initial default logger: unnamed, on stdout.
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::stdout_sink_mt>()));
  const auto logger = make_logger("app");
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  logger->debug("hidden at info");
  logger->info("starting");
  const std::string err = ::testing::internal::GetCapturedStderr();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("[app] starting\n"), std::string::npos) << err;
  EXPECT_EQ(err.find("hidden"), std::string::npos) << err;
}

TEST(LogTest, UnknownLevelIsRefused) {
  EXPECT_FALSE(init_logging("loud", LogFormat::kText));
  EXPECT_TRUE(init_logging("off", LogFormat::kText));
}

TEST(LogTest, MakeLoggerIsSafeFromManyThreadsWithTheSameName) {
  ASSERT_TRUE(init_logging("info", LogFormat::kText));
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  std::vector<std::jthread> threads;
  std::atomic<int> made{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made] {
      for (int i = 0; i < kCalls; ++i) {
        if (make_logger("store")->name() == "store") ++made;
      }
    });
  }
  threads.clear();  // joins
  EXPECT_EQ(made.load(), kThreads * kCalls);
}

TEST(LogSafe, QuotesBackslashesAndControlBytesBecomeUnderscoresWithinTheLimit) {
  EXPECT_EQ(log_safe("say \"hi\"\\\n\tok"), "say _hi____ok");
  EXPECT_EQ(log_safe("abcdef", 3), "abc");
  EXPECT_EQ(log_safe(""), "");
}

}  // namespace
}  // namespace mc
