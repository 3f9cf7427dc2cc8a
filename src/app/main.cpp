// market-collector: captures Binance trade streams into rotated gzip parts with manifests.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "app/collector.hpp"
#include "app/audit_store_setup.hpp"
#include "audit/audit.hpp"
#include "audit/audit_export.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "config/command_line.hpp"
#include "config/config_error.hpp"
#include "config/config_sources.hpp"
#include "config/unknown_env.hpp"
#include "net/http_client.hpp"

namespace {

constexpr std::int64_t kDefaultAuditSpanMs = 3'600'000;

// `market-collector audit`: 0 clean, 1 problems found, 2 bad usage (docs/AUDIT.md).
int run_audit_command(const mc::Config& config, const mc::AuditOptions& options) {
  if (config.all_symbols) {
    // The audit reads a store, not the exchange: it must be told which symbols to look for.
    (void)std::fprintf(stderr, "config error: SYMBOL=ALL: the audit checks the symbols SYMBOL lists; "
                               "list them (e.g. the symbols in the collectors' start-up lines)\n");
    return mc::kExitConfigError;
  }
  const mc::SystemClock clock;
  mc::Result<mc::AuditStoreSetup> store = mc::make_audit_store(config, mc::process_environment(), clock);
  if (!store) {
    (void)std::fprintf(stderr, "config error: %s\n", store.status().message().c_str());
    return mc::kExitConfigError;
  }
  const std::int64_t to_ms = options.to_ms.value_or(clock.system_now_us() / 1000);
  const std::int64_t from_ms = options.from_ms.value_or(to_ms - kDefaultAuditSpanMs);
  if (from_ms >= to_ms) {
    (void)std::fprintf(stderr, "config error: --from must be before --to\n");
    return mc::kExitConfigError;
  }
  std::optional<mc::AuditExporter> exporter;
  if (options.export_dir) {
    mc::Result<mc::AuditExporter> opened = mc::AuditExporter::open(*options.export_dir);
    if (!opened) {
      (void)std::fprintf(stderr, "config error: %s\n", opened.status().message().c_str());
      return mc::kExitConfigError;
    }
    exporter.emplace(std::move(opened).value());
  }
  const mc::Result<mc::AuditReport> report = mc::run_audit(
      *store->reader, {.prefix = config.s3_prefix, .symbols = config.symbols, .from_ms = from_ms, .to_ms = to_ms,
              .deep = options.deep, .jobs = options.jobs.value_or(mc::default_audit_jobs())},
      exporter ? &*exporter : nullptr);
  if (!report) {
    (void)std::fprintf(stderr, "audit: %s\n", report.status().message().c_str());
    return 1;
  }
  const std::string text = options.json ? mc::render_json(*report) : mc::render_table(*report);
  (void)std::fputs(text.c_str(), stdout);
  if (exporter) {
    if (const mc::Status exported = exporter->finish(*report); !exported) {
      (void)std::fprintf(stderr, "audit: %s\n", exported.message().c_str());
      return 1;
    }
    (void)std::fprintf(stderr, "audit: exported %zu files to %s\n", exporter->files().size(),
                       options.export_dir->c_str());
  }
  return report->exit_code();
}

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
      const mc::HttpRuntime http_runtime;  // S3 reads go through libcurl
      return run_audit_command(invocation.config, invocation.audit);
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
