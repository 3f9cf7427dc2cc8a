#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include "config/config.hpp"

namespace mc {
namespace {

// The JSON pattern leaves the message unescaped; the text messages of this project never contain
// quotes or backslashes in field values they do not quote themselves.
constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ [%n] %v";
constexpr const char* kJsonPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","component":"%n","msg":"%v"})";

}  // namespace

bool init_logging(std::string_view level, LogFormat format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  spdlog::set_pattern(format == LogFormat::kJson ? kJsonPattern : kTextPattern, spdlog::pattern_time_type::utc);
  return true;
}

std::shared_ptr<spdlog::logger> make_logger(std::string_view component) {
  const std::string name(component);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::default_logger()->clone(name);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace mc
