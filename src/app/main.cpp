// market-collector: captures Binance trade streams into rotated gzip parts with manifests.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "app/collector.hpp"
#include "app/audit_command.hpp"
#include "app/ohlcv_command.hpp"
#include "common/log.hpp"
#include "config/command_line.hpp"
#include "config/config_error.hpp"
#include "config/config_sources.hpp"
#include "config/unknown_env.hpp"
#include "net/http_client.hpp"

namespace {

// A misspelt setting would silently leave its default in force; other software shares the
// environment, so this warns and goes on.
void warn_unknown_environment() {
  const std::vector<std::string> names = mc::process_environment_names();
  for (const mc::UnknownVariable& variable : mc::find_unknown_variables(names)) {
    mc::make_logger("config")->warn("unknown environment variable {}; did you mean {}?", variable.name,
                                    variable.likely_key);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask and only sigwait sees the signals.
  // (Output errors on stderr/stdout are ignored below: there is nowhere left to report them.)
  mc::block_stop_signals();

  mc::Invocation invocation;
  try {
    invocation = mc::parse_invocation(argc, argv, mc::process_environment());
  } catch (const mc::ConfigError& error) {
    (void)std::fprintf(stderr, "config error: %s\n", error.what());
    return mc::kExitConfigError;
  }

  switch (invocation.command) {
    case mc::Invocation::Command::kHelp:
    case mc::Invocation::Command::kConfigTable:
      (void)std::fputs(invocation.text.c_str(), stdout);
      return 0;
    case mc::Invocation::Command::kAudit: {
      if (!mc::init_logging(invocation.config.log_level, invocation.config.log_format)) {
        (void)std::fprintf(stderr, "config error: LOG_LEVEL=\"%s\": unknown level\n",
                           invocation.config.log_level.c_str());
        return mc::kExitConfigError;
      }
      warn_unknown_environment();
      const mc::HttpRuntime http_runtime;  // S3 reads and the exchange go through libcurl
      return mc::run_audit_command(invocation.config, invocation.audit);
    }
    case mc::Invocation::Command::kOhlcv: {
      if (!mc::init_logging(invocation.config.log_level, invocation.config.log_format)) {
        (void)std::fprintf(stderr, "config error: LOG_LEVEL=\"%s\": unknown level\n",
                           invocation.config.log_level.c_str());
        return mc::kExitConfigError;
      }
      warn_unknown_environment();
      const mc::HttpRuntime http_runtime;  // S3 reads go through libcurl
      return mc::run_ohlcv_command(invocation.config, invocation.ohlcv, mc::process_environment());
    }
    case mc::Invocation::Command::kRun:
      break;
  }

  const mc::Config& config = invocation.config;
  if (!mc::init_logging(config.log_level, config.log_format)) {
    (void)std::fprintf(stderr, "config error: LOG_LEVEL=\"%s\": unknown level\n", config.log_level.c_str());
    return mc::kExitConfigError;
  }
  warn_unknown_environment();
  try {
    const mc::HttpRuntime http_runtime;  // before the collector starts any thread
    return mc::Collector(config, mc::process_environment()).run();
  } catch (const std::exception& error) {
    // Only start-up can throw (a thread that cannot be created, memory); the data on disk is safe.
    mc::make_logger("app")->critical("fatal: {}", error.what());
    return 1;
  }
}
