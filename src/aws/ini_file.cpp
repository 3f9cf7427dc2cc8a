#include "aws/ini_file.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>

#include "common/file_util.hpp"

namespace mc {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Status line_error(std::string_view source, std::size_t line_number, std::string_view what) {
  return Status::fatal(std::string(source) + ":" + std::to_string(line_number) + ": " + std::string(what));
}

}  // namespace

Result<IniFile> parse_ini(std::string_view text, std::string_view source) {
  IniFile file;
  IniSection* section = nullptr;
  // The last key had an empty value: indented lines below it are its nested settings.
  bool in_nested_block = false;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);

    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (in_nested_block && is_space(raw.front())) continue;
    in_nested_block = false;

    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string_view::npos) return line_error(source, line_number, "section header without ']'");
      const std::string_view rest = trim(line.substr(close + 1));
      if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
        return line_error(source, line_number, "text after the section header");
      }
      const std::string_view name = trim(line.substr(1, close - 1));
      if (name.empty()) return line_error(source, line_number, "empty section name");
      section = &file.sections[std::string(name)];
      continue;
    }

    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) return line_error(source, line_number, "expected 'key = value'");
    const std::string_view key = trim(line.substr(0, equals));
    if (key.empty()) return line_error(source, line_number, "empty key before '='");
    if (section == nullptr) return line_error(source, line_number, "setting before any [section]");
    const std::string_view value = trim(line.substr(equals + 1));
    (*section)[lower(key)] = std::string(value);
    in_nested_block = value.empty();
  }
  return file;
}

Result<std::optional<IniFile>> load_ini_file(const std::filesystem::path& path) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (ec) return Status::fatal("checking " + path.string() + ": " + ec.message());
  if (!exists) return std::optional<IniFile>();
  Result<std::string> text = read_file(path);
  if (!text) return Status::fatal(text.status().message());
  Result<IniFile> parsed = parse_ini(*text, path.string());
  if (!parsed) return parsed.status();
  return std::optional<IniFile>(std::move(parsed).value());
}

}  // namespace mc
