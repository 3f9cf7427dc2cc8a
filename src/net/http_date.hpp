#pragma once
// HTTP dates (RFC 9110 IMF-fixdate, "Wed, 25 Nov 2026 05:21:10 GMT"): S3's Date header corrects a
// skewed signing clock, and Retry-After may carry one.

#include <chrono>
#include <optional>
#include <string_view>

namespace mc {

// Empty when the text is not an IMF-fixdate.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// ISO 8601 UTC as AWS writes it: "2026-11-25T05:21:10Z", optionally with fractional seconds
// ("2026-11-25T05:21:10.123Z"). Empty when the text is anything else.
std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text);

}  // namespace mc
