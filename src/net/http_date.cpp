#include "net/http_date.hpp"

#include <array>
#include <charconv>
#include <string>

namespace mc {

namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool read_number(std::string_view text, std::size_t pos, std::size_t digits, int& out) {
  if (pos + digits > text.size()) return false;
  const char* first = text.data() + pos;
  const char* last = first + digits;
  auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last;
}

std::optional<std::chrono::system_clock::time_point> make_time(int year, int month, int day, int hour, int minute,
                                                               int second) {
  using namespace std::chrono;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  // "Wed, 25 Nov 2026 05:21:10 GMT": fixed positions.
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") return std::nullopt;
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!read_number(text, 5, 2, day) || !read_number(text, 12, 4, year) || !read_number(text, 17, 2, hour) ||
      !read_number(text, 20, 2, minute) || !read_number(text, 23, 2, second) || text[19] != ':' || text[22] != ':') {
    return std::nullopt;
  }
  int month = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (text.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  }
  return make_time(year, month, day, hour, minute, second);
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text) {
  // "2026-11-25T05:21:10Z" or "2026-11-25T05:21:10.123456Z"
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_number(text, 0, 4, year) || !read_number(text, 5, 2, month) || !read_number(text, 8, 2, day) ||
      !read_number(text, 11, 2, hour) || !read_number(text, 14, 2, minute) || !read_number(text, 17, 2, second)) {
    return std::nullopt;
  }
  const std::string_view fraction = text.substr(19, text.size() - 20);
  if (!fraction.empty()) {
    if (fraction.size() < 2 || fraction.front() != '.') return std::nullopt;
    for (char c : fraction.substr(1)) {
      if (c < '0' || c > '9') return std::nullopt;
    }
  }
  return make_time(year, month, day, hour, minute, second);
}

}  // namespace mc
