// market-collector: captures Binance trade streams into rotated gzip parts with manifests.
#include <cstdio>
#include <exception>

#include "app/collector.hpp"
#include "common/log.hpp"
#include "config/command_line.hpp"
#include "config/config_error.hpp"
#include "config/config_sources.hpp"
#include "net/http_client.hpp"

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
    case mc::Invocation::Command::kRun:
      break;
  }

  const mc::Config& config = invocation.config;
  if (!mc::init_logging(config.log_level, config.log_format)) {
    (void)std::fprintf(stderr, "config error: LOG_LEVEL=\"%s\": unknown level\n", config.log_level.c_str());
    return mc::kExitConfigError;
  }
  try {
    const mc::HttpRuntime http_runtime;  // before the collector starts any thread
    return mc::Collector(config, mc::process_environment()).run();
  } catch (const std::exception& error) {
    // Only start-up can throw (a thread that cannot be created, memory); the data on disk is safe.
    mc::make_logger("app")->critical("fatal: {}", error.what());
    return 1;
  }
}
