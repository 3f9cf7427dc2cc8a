#pragma once
// `market-collector audit` (docs/AUDIT.md): the store, the exchange's ids at the range's ends
// (unless --offline), the report and the optional export, wired together.

#include "config/command_line.hpp"
#include "config/config.hpp"

namespace mc {

// The process's exit code: 0 clean, 1 problems found (or the store could not be listed), 2 bad usage,
// kExitExchangeUnavailable (3) when nothing was wrong but the exchange could not be asked.
// Needs an HttpRuntime alive (S3 and the exchange are asked over libcurl).
int run_audit_command(const Config& config, const AuditOptions& options);

}  // namespace mc
