#pragma once
// Logging: spdlog loggers named by component ("feed", "spool", "store", ...). Text for people,
// JSON lines for machines. Messages carry key=value fields and never secrets.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace mc {

// LOG_FORMAT: lines for people, or one JSON object per line for machines.
enum class LogFormat { kText, kJson };

// Sets the level ("trace".."error", "off") and the format for every logger made afterwards.
// Returns false when the level name is not known.
bool init_logging(std::string_view level, LogFormat format);

// A logger for one component, sharing the process-wide sink set up by init_logging. Safe to call
// before init_logging (then it logs text at info to stderr).
std::shared_ptr<spdlog::logger> make_logger(std::string_view component);

// Text from outside (a server's reason, an error body) made safe inside a quoted log field: quotes,
// backslashes and control bytes become '_'; at most max_bytes of it.
std::string log_safe(std::string_view text, std::size_t max_bytes = std::string_view::npos);

}  // namespace mc
