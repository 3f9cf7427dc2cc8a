#pragma once
// The process's entry into configuration: the subcommand, then settings from flags, environment,
// YAML file and defaults, in that order of precedence.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/config_sources.hpp"

namespace mc {

// `audit`'s own options; an unset bound is resolved against the clock by the caller.
struct AuditOptions {
  bool deep = false;
  bool json = false;
  std::optional<std::int64_t> from_ms;  // --from: ISO 8601 UTC or epoch ms
  std::optional<std::int64_t> to_ms;    // --to
  std::optional<std::string> export_dir;  // --export DIR (implies deep)
  std::optional<unsigned> jobs;  // --jobs N, 1..kMaxAuditJobs; default: the audit's (default_audit_jobs)
  bool offline = false;             // --offline: do not ask the exchange for the range's ids
  bool symbols_from_store = false;  // --symbols-from-store: every symbol folder under the prefix, not SYMBOL
};

// `ohlcv`'s own options (docs/OHLCV.md): whole UTC days [from, to).
struct OhlcvOptions {
  std::int64_t from_ms = 0;  // --from: ISO 8601 UTC midnight, a date (2025-02-09) or epoch ms
  std::int64_t to_ms = 0;    // --to (exclusive)
  std::string out_dir;       // --out DIR
  bool require_complete = false;  // --require-complete: exit 1 when a day has missing ids
  std::optional<unsigned> jobs;   // --jobs N: threads reading parts, as audit's
};

// The largest --jobs accepted: each audit thread may hold a few parts' lines and one S3 connection.
inline constexpr unsigned kMaxAuditJobs = 64;

struct Invocation {
  enum class Command {
    kRun,          // collect with `config`
    kHelp,         // print `text` (the help or the version) and exit 0
    kConfigTable,  // print `text` (the README's Markdown table) and exit 0
    kAudit,        // audit the store of `config` over `audit`'s range (docs/AUDIT.md)
    kOhlcv,        // write curated trades and 1 s bars of `ohlcv`'s days (docs/OHLCV.md)
  };
  Command command = Command::kRun;
  Config config;     // validated; defaults unless command is kRun, kAudit or kOhlcv
  std::string text;  // what to print for kHelp and kConfigTable
  AuditOptions audit;  // for kAudit
  OhlcvOptions ohlcv;  // for kOhlcv
};

// argv[0] is the program name; an optional first argument names the subcommand (default: run).
// Throws ConfigError (main prints "config error: <what>" and exits 2).
Invocation parse_invocation(int argc, const char* const* argv, const Environment& env);

// An instant of --from/--to: "2026-11-25T05:00:00Z" (fraction and "+00:00" allowed) or epoch
// milliseconds. nullopt when it is neither.
std::optional<std::int64_t> parse_utc_instant_ms(std::string_view text);

}  // namespace mc
