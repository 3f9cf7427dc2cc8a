#pragma once
// The INI dialect of the AWS shared config and credentials files: "[section]" headers, "key = value"
// lines, whole-line comments starting with '#' or ';', blank lines. An indented line under a key with an
// empty value is a nested setting ("s3 =\n  max_concurrent_requests = 10"); those are skipped, none
// concerns credentials or region. Values are kept verbatim (no inline comments): secrets may hold any
// character.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

using IniSection = std::map<std::string, std::string>;  // key (lower-cased) -> value (trimmed)

struct IniFile {
  // A section that appears twice is merged; a later value for a key replaces the earlier one.
  std::map<std::string, IniSection> sections;
};

// source names the text in errors: "<source>:<line>: <what is wrong>". A bad line is kFatal.
Result<IniFile> parse_ini(std::string_view text, std::string_view source);

// nullopt when the file does not exist; reading or parsing errors are kFatal.
Result<std::optional<IniFile>> load_ini_file(const std::filesystem::path& path);

}  // namespace mc
