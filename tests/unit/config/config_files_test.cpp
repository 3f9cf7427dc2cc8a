// The checked-in files that mirror the configuration table: configs/collector.yaml and README.md.

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/config_builder.hpp"
#include "config/config_sources.hpp"
#include "config/config_table.hpp"
#include "config_fields.hpp"

namespace mc {
namespace {

const std::filesystem::path kSourceDir = MC_SOURCE_DIR;

TEST(CollectorYamlTest, HoldsExactlyTheTableKeysInTableOrder) {
  const YAML::Node root = YAML::LoadFile((kSourceDir / "configs/collector.yaml").string());
  std::vector<std::string> file_keys;
  for (const auto& entry : root) file_keys.push_back(entry.first.Scalar());
  std::vector<std::string> table_keys;
  for (const ConfigKey& key : config_table()) table_keys.emplace_back(key.yaml);
  EXPECT_EQ(file_keys, table_keys);
}

TEST(CollectorYamlTest, LoadingItYieldsTheDefaults) {
  ConfigBuilder builder;
  apply_yaml_file(kSourceDir / "configs/collector.yaml", builder);
  EXPECT_EQ(testing::config_fields(builder.config()), testing::config_fields(Config{}));
}

TEST(ReadmeTest, ConfigurationTableMatchesTheCode) {
  constexpr std::string_view kBegin = "<!-- config-table:begin -->";
  constexpr std::string_view kEnd = "<!-- config-table:end -->";
  const std::string fix = "Paste the output of `market-collector config-table` between the lines " +
                          std::string(kBegin) + " and " + std::string(kEnd) + " of README.md.";
  std::ifstream readme(kSourceDir / "README.md");
  ASSERT_TRUE(readme.good()) << "README.md not found. " << fix;
  std::string line;
  std::string between;
  bool inside = false;
  bool found_begin = false;
  bool found_end = false;
  while (std::getline(readme, line)) {
    if (line == kBegin) {
      inside = found_begin = true;
    } else if (line == kEnd && inside) {
      inside = false;
      found_end = true;
    } else if (inside) {
      between += line + "\n";
    }
  }
  ASSERT_TRUE(found_begin && found_end) << "README.md lacks the config-table markers. " << fix;
  EXPECT_EQ(between, config_markdown_table()) << "README.md's configuration table is out of date. " << fix;
}

}  // namespace
}  // namespace mc
