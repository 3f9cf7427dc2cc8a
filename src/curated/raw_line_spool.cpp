#include "curated/raw_line_spool.hpp"

#include <fcntl.h>

#include <cerrno>

#include <fmt/format.h>

#include "common/file_util.hpp"

namespace mc {

std::string raw_day_of_key(std::string_view key) {
  constexpr std::string_view kMarker = "/dt=";
  constexpr std::size_t kDayLength = 10;
  const std::size_t at = key.find(kMarker);
  if (at == std::string_view::npos || at + kMarker.size() + kDayLength > key.size()) return {};
  return std::string(key.substr(at + kMarker.size(), kDayLength));
}

void RawLineSpool::add_part(const AuditedPart& part, const DeepCheck& check) {
  if (!error_) return;
  const std::string day = raw_day_of_key(part.part_key);
  if (day.empty()) {
    error_ = Status::corrupt(fmt::format("{}: no dt= folder in the key", part.part_key));
    return;
  }
  // The key is a layout-checked object key (letters, digits, '=', '-', '.', '/'): no JSON escaping.
  const std::string prefix = fmt::format("{{\"object_key\":\"{}\",", part.part_key);
  std::string bytes;
  bytes.reserve(check.lines.size() + check.trades.size() * prefix.size());
  for (const TradeLine& trade : check.trades) {
    const std::string_view line = std::string_view(check.lines).substr(trade.offset, trade.length);
    if (line.size() < 2 || line.front() != '{') continue;  // the deep audit located a trade: an object
    bytes.append(prefix).append(line.substr(1)).push_back('\n');
    ++lines_;
  }
  ++parts_;
  error_ = append(part.symbol, day, bytes);
}

Status RawLineSpool::append(const std::string& symbol, const std::string& day, std::string_view bytes) {
  if (symbol != open_symbol_) {
    for (auto& [open_day, fd] : open_) {
      if (Status closed = fd.close("raw lines"); !closed) return closed;
    }
    open_.clear();
    open_symbol_ = symbol;
  }
  auto open = open_.find(day);
  const std::filesystem::path path = dir_ / ("symbol=" + symbol) / ("dt=" + day) / "lines.jsonl";
  if (open == open_.end()) {
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) return Status::fatal(fmt::format("{}: {}", path.parent_path().string(), error.message()));
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2)'s mode argument
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd.valid()) return Status::from_errno(errno, path.string());
    open = open_.emplace(day, std::move(fd)).first;
    files_.emplace(std::make_pair(day, symbol), path);
  }
  return write_all(open->second.get(), bytes, path);
}

Status RawLineSpool::finish() {
  for (auto& [day, fd] : open_) {
    if (Status closed = fd.close("raw lines"); !closed && error_) error_ = closed;
  }
  open_.clear();
  return error_;
}

std::vector<std::string> RawLineSpool::files_of_days(const std::string& first_day, const std::string& last_day) const {
  std::vector<std::string> out;
  for (const auto& [key, path] : files_) {
    if (key.first >= first_day && key.first <= last_day) out.push_back(path.string());
  }
  return out;
}

}  // namespace mc
