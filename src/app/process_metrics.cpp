#include "app/process_metrics.hpp"

#include <unistd.h>

#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "common/file_util.hpp"

namespace mc {
namespace {

// /proc/<pid>/stat fields, counted from 1 as in proc(5); the ones after the command name.
constexpr std::size_t kFirstFieldAfterComm = 3;  // state
constexpr std::size_t kUtime = 14;
constexpr std::size_t kStime = 15;
constexpr std::size_t kStartTime = 22;
constexpr std::size_t kVsize = 23;
constexpr std::size_t kRss = 24;

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find_first_not_of(" \t\n", at);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(text.find_first_of(" \t\n", start), text.size());
    words.push_back(text.substr(start, end - start));
    at = end;
  }
  return words;
}

bool parse_number(std::string_view word, std::uint64_t& value) {
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  return ec == std::errc{} && end == word.data() + word.size();
}

// The line of text that starts with prefix, without it.
std::string_view line_after(std::string_view text, std::string_view prefix) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    if (line.starts_with(prefix)) return line.substr(prefix.size());
    at = end + 1;
  }
  return {};
}

Result<std::uint64_t> count_open_fds(const std::filesystem::path& fd_dir) {
  std::error_code ec;
  std::uint64_t count = 0;
  for (auto it = std::filesystem::directory_iterator(fd_dir, ec); !ec && it != decltype(it){}; it.increment(ec)) {
    ++count;
  }
  if (ec) return Status::from_errno(ec.value(), "list " + fd_dir.string());
  return count;
}

}  // namespace

ProcfsUnits procfs_units() {
  ProcfsUnits units;
  if (const long ticks = ::sysconf(_SC_CLK_TCK); ticks > 0) units.ticks_per_second = static_cast<std::uint64_t>(ticks);
  if (const long page = ::sysconf(_SC_PAGESIZE); page > 0) units.page_bytes = static_cast<std::uint64_t>(page);
  return units;
}

Result<SelfStat> parse_self_stat(std::string_view text) {
  // The command name is in parentheses and may hold spaces and parentheses itself: the fields
  // start after the last ')'.
  const std::size_t comm_end = text.rfind(')');
  if (comm_end == std::string_view::npos) return Status::corrupt("no command name in parentheses");
  const std::vector<std::string_view> fields = split_spaces(text.substr(comm_end + 1));
  const auto field = [&fields](std::size_t number, std::uint64_t& value) {
    const std::size_t index = number - kFirstFieldAfterComm;
    return index < fields.size() && parse_number(fields[index], value);
  };
  SelfStat stat;
  if (!field(kUtime, stat.user_ticks) || !field(kStime, stat.system_ticks) || !field(kStartTime, stat.start_ticks) ||
      !field(kVsize, stat.virtual_bytes) || !field(kRss, stat.resident_pages)) {
    return Status::corrupt(fmt::format("expected numbers in fields {}..{}, found {} fields", kUtime, kRss,
                                       fields.size() + kFirstFieldAfterComm - 1));
  }
  return stat;
}

Result<std::uint64_t> parse_boot_time(std::string_view text) {
  const std::vector<std::string_view> words = split_spaces(line_after(text, "btime "));
  std::uint64_t boot = 0;
  if (words.size() != 1 || !parse_number(words[0], boot)) return Status::corrupt("no \"btime <seconds>\" line");
  return boot;
}

Result<std::uint64_t> parse_max_open_files(std::string_view text) {
  // "Max open files            1024                 1048576              files"
  const std::vector<std::string_view> words = split_spaces(line_after(text, "Max open files"));
  std::uint64_t soft = 0;
  if (!words.empty() && words[0] == "unlimited") return std::uint64_t{0};
  if (words.empty() || !parse_number(words[0], soft)) return Status::corrupt("no \"Max open files <soft>\" line");
  return soft;
}

Result<ProcessStats> read_process_stats(const ProcfsPaths& paths, const ProcfsUnits& units) {
  const auto in = [](const std::filesystem::path& file) {
    return [file](const Status& status) { return status.with_context(file.string()); };
  };
  const std::filesystem::path stat_file = paths.self / "stat";
  const std::filesystem::path limits_file = paths.self / "limits";
  Result<std::string> stat_text = read_file(stat_file);
  if (!stat_text) return stat_text.status();
  const Result<SelfStat> stat = parse_self_stat(*stat_text);
  if (!stat) return in(stat_file)(stat.status());
  Result<std::string> boot_text = read_file(paths.system_stat);
  if (!boot_text) return boot_text.status();
  const Result<std::uint64_t> boot = parse_boot_time(*boot_text);
  if (!boot) return in(paths.system_stat)(boot.status());
  Result<std::string> limits_text = read_file(limits_file);
  if (!limits_text) return limits_text.status();
  const Result<std::uint64_t> max_fds = parse_max_open_files(*limits_text);
  if (!max_fds) return in(limits_file)(max_fds.status());
  const Result<std::uint64_t> open_fds = count_open_fds(paths.self / "fd");
  if (!open_fds) return open_fds.status();

  const auto ticks = static_cast<double>(units.ticks_per_second);
  return ProcessStats{
      .cpu_seconds = static_cast<double>(stat->user_ticks + stat->system_ticks) / ticks,
      .resident_bytes = stat->resident_pages * units.page_bytes,
      .virtual_bytes = stat->virtual_bytes,
      .start_time_seconds = static_cast<double>(*boot) + static_cast<double>(stat->start_ticks) / ticks,
      .open_fds = *open_fds,
      .max_fds = *max_fds,
  };
}

std::string render_process_metrics(const ProcessStats& stats) {
  return fmt::format(
      "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
      "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {:.2f}\n"
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n"
      "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
      "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes {}\n"
      "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
      "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {:.2f}\n"
      "# HELP process_open_fds Number of open file descriptors.\n"
      "# TYPE process_open_fds gauge\nprocess_open_fds {}\n"
      "# HELP process_max_fds Maximum number of open file descriptors (0: unlimited).\n"
      "# TYPE process_max_fds gauge\nprocess_max_fds {}\n",
      stats.cpu_seconds, stats.resident_bytes, stats.virtual_bytes, stats.start_time_seconds, stats.open_fds,
      stats.max_fds);
}

}  // namespace mc
