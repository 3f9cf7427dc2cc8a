#include "keys/part_name.hpp"

#include <charconv>
#include <ctime>
#include <vector>

#include <fmt/format.h>

namespace mc {
namespace {

constexpr std::string_view kQuarantineDir = "_quarantine/";
constexpr std::string_view kExchangeDir = "exchange=binance";

std::vector<std::string_view> split_slashes(std::string_view key) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(key.substr(start));
      return parts;
    }
    parts.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
}

bool strip_prefix(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (!s.ends_with(suffix)) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// "part-<instance>-<epoch_ms>" -> instance, epoch; the instance may itself contain '-'.
bool parse_stem(std::string_view stem, std::string& instance, std::int64_t& epoch_ms) {
  const std::size_t dash = stem.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  const std::string_view digits = stem.substr(dash + 1);
  if (digits.empty()) return false;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), epoch_ms);
  if (ec != std::errc{} || end != digits.data() + digits.size() || epoch_ms < 0) return false;
  instance = std::string(stem.substr(0, dash));
  return true;
}

}  // namespace

std::string PartName::directory_key() const {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{}{}{}/stream={}/symbol={}/dt={:04}-{:02}-{:02}/{:02}/{:02}/", prefix,
                     kind == PartKind::kQuarantine ? kQuarantineDir : std::string_view{}, kExchangeDir, stream,
                     symbol, utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min);
}

std::string PartName::part_key() const { return open_key() + ".gz"; }

std::string PartName::writer_key() const {
  return fmt::format("{}{}{}/stream={}/symbol={}/{}", prefix,
                     kind == PartKind::kQuarantine ? kQuarantineDir : std::string_view{}, kExchangeDir, stream, symbol,
                     instance_id);
}

std::string PartName::open_key() const {
  return fmt::format("{}part-{}-{}.jsonl", directory_key(), instance_id, epoch_ms);
}

std::string PartName::manifest_key() const {
  return fmt::format("{}manifest-{}-{}.json", directory_key(), instance_id, epoch_ms);
}

std::optional<PartName> parse_part_key(std::string_view key) {
  const std::vector<std::string_view> parts = split_slashes(key);
  // ... exchange=binance / stream=x / symbol=y / dt=d / HH / MM / file
  if (parts.size() < 7) return std::nullopt;
  const std::size_t n = parts.size();
  PartName name;

  std::string_view file = parts[n - 1];
  bool is_part = strip_prefix(file, "part-");
  if (is_part) {
    if (!strip_suffix(file, ".jsonl.gz") && !strip_suffix(file, ".jsonl")) return std::nullopt;
  } else {
    if (!strip_prefix(file, "manifest-") || !strip_suffix(file, ".json")) return std::nullopt;
  }
  if (!parse_stem(file, name.instance_id, name.epoch_ms)) return std::nullopt;

  std::string_view stream = parts[n - 6];
  std::string_view symbol = parts[n - 5];
  if (parts[n - 7] != kExchangeDir || !strip_prefix(stream, "stream=") || !strip_prefix(symbol, "symbol=") ||
      stream.empty() || symbol.empty()) {
    return std::nullopt;
  }
  name.stream = std::string(stream);
  name.symbol = std::string(symbol);

  // Everything before "exchange=binance/" is the prefix, then an optional quarantine folder.
  std::size_t head_length = 0;
  for (std::size_t i = 0; i + 7 < n; ++i) head_length += parts[i].size() + 1;
  std::string_view head = key.substr(0, head_length);
  if (head.ends_with(kQuarantineDir)) {
    name.kind = PartKind::kQuarantine;
    head.remove_suffix(kQuarantineDir.size());
  }
  name.prefix = std::string(head);

  // The folders must be the ones epoch_ms names; anything else is not a key we wrote.
  if (name.directory_key() != key.substr(0, key.size() - parts[n - 1].size())) return std::nullopt;
  return name;
}

std::string spool_file_name(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 24);
  for (const char c : key) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> key_from_spool_file_name(std::string_view file_name) {
  std::string out;
  out.reserve(file_name.size());
  for (std::size_t i = 0; i < file_name.size(); ++i) {
    const char c = file_name[i];
    if (c == '/') return std::nullopt;
    if (c != '%') {
      out += c;
      continue;
    }
    const std::string_view escape = file_name.substr(i, 3);
    if (escape == "%25") {
      out += '%';
    } else if (escape == "%2F") {
      out += '/';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

}  // namespace mc
