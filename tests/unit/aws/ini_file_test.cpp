#include "aws/ini_file.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace mc {
namespace {

TEST(IniFileTest, ParsesSectionsKeysCommentsAndWhitespace) {
  const Result<IniFile> file = parse_ini(
      "# a comment\n"
      "; another\n"
      "\n"
      "[default]\r\n"
      "  aws_access_key_id   =   AKIDEXAMPLE  \r\n"
      "AWS_Secret_Access_Key=wJalr/K7MDENG+bPxRfiCY=\n"
      "[profile ci]  # trailing comment\n"
      "region = eu-west-1\n",
      "config");
  ASSERT_TRUE(file) << file.status().message();
  ASSERT_EQ(file->sections.size(), 2u);
  const IniSection& defaults = file->sections.at("default");
  EXPECT_EQ(defaults.at("aws_access_key_id"), "AKIDEXAMPLE");
  // Keys are case-insensitive; values keep every character, '=' and '/' included.
  EXPECT_EQ(defaults.at("aws_secret_access_key"), "wJalr/K7MDENG+bPxRfiCY=");
  EXPECT_EQ(file->sections.at("profile ci").at("region"), "eu-west-1");
}

TEST(IniFileTest, SkipsNestedSettingsUnderAnEmptyValue) {
  const Result<IniFile> file = parse_ini(
      "[default]\n"
      "s3 =\n"
      "  max_concurrent_requests = 10\n"
      "  addressing_style = path\n"
      "region = us-east-2\n",
      "config");
  ASSERT_TRUE(file) << file.status().message();
  const IniSection& section = file->sections.at("default");
  EXPECT_EQ(section.at("s3"), "");
  EXPECT_EQ(section.at("region"), "us-east-2");
  EXPECT_FALSE(section.contains("max_concurrent_requests"));
}

TEST(IniFileTest, RepeatedSectionsMergeAndLaterValuesWin) {
  const Result<IniFile> file = parse_ini("[a]\nx = 1\ny = 2\n[b]\nz = 3\n[a]\nx = 4\n", "f");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->sections.at("a").at("x"), "4");
  EXPECT_EQ(file->sections.at("a").at("y"), "2");
}

TEST(IniFileTest, BadLinesAreFatalWithFileAndLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"[default]\nthis line has no equals\n", "creds:2: expected 'key = value'"},
      {"key = value\n", "creds:1: setting before any [section]"},
      {"\n\n[default\n", "creds:3: section header without ']'"},
      {"[]\n", "creds:1: empty section name"},
      {"[default]\n = value\n", "creds:2: empty key before '='"},
      {"[default] junk\n", "creds:1: text after the section header"},
  };
  for (const Case& c : cases) {
    const Result<IniFile> file = parse_ini(c.text, "creds");
    ASSERT_FALSE(file) << c.text;
    EXPECT_EQ(file.status().kind(), ErrorKind::kFatal);
    EXPECT_EQ(file.status().message(), c.expected);
  }
}

TEST(IniFileTest, LoadsFilesAndReportsMissingOnesAsAbsent) {
  testing::TempDir dir;
  const Result<std::optional<IniFile>> missing = load_ini_file(dir.path() / "nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());

  const auto path = dir.path() / "credentials";
  std::ofstream(path) << "[default]\naws_access_key_id = AKID\n";
  const Result<std::optional<IniFile>> loaded = load_ini_file(path);
  ASSERT_TRUE(loaded) << loaded.status().message();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->sections.at("default").at("aws_access_key_id"), "AKID");

  std::ofstream(path) << "[default]\nbroken\n";
  const Result<std::optional<IniFile>> broken = load_ini_file(path);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.status().message(), path.string() + ":2: expected 'key = value'");
}

}  // namespace
}  // namespace mc
