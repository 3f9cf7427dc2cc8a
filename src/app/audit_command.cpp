#include "app/audit_command.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/audit_store_setup.hpp"
#include "app/collector.hpp"
#include "audit/audit.hpp"
#include "audit/audit_export.hpp"
#include "audit/exchange_ids.hpp"
#include "audit/store_symbols.hpp"
#include "backfill/agg_trades.hpp"
#include "common/clock.hpp"
#include "config/config_sources.hpp"
#include "net/http_client.hpp"

namespace mc {
namespace {

constexpr std::int64_t kDefaultAuditSpanMs = 3'600'000;

// What the exchange published per symbol, over BINANCE_REST_URL with the collector's TLS settings.
ExchangeTruth ask_exchange_for(const Config& config, const Clock& clock, const std::vector<std::string>& symbols,
                               std::int64_t from_ms, std::int64_t to_ms) {
  const std::unique_ptr<HttpClient> http = make_http_client({.ca_file = config.tls_ca_file});
  AggTradesClient client(config.binance_rest_url, config.binance_api_key, *http);
  ExchangeIds exchange(client, clock, [](std::chrono::microseconds wait) { std::this_thread::sleep_for(wait); },
                       config.backfill_weight_per_min);
  return ask_exchange(exchange, symbols, from_ms, to_ms);
}

}  // namespace

int run_audit_command(const Config& config, const AuditOptions& options) {
  if (config.all_symbols && !options.symbols_from_store) {
    // Without a list the audit would look for no symbol and call the store clean.
    (void)std::fprintf(stderr, "config error: SYMBOL=ALL: the audit checks the symbols SYMBOL lists; list them, "
                               "or pass --symbols-from-store to audit every symbol stored under the prefix\n");
    return kExitConfigError;
  }
  const SystemClock clock;
  Result<AuditStoreSetup> store = make_audit_store(config, process_environment(), clock);
  if (!store) {
    (void)std::fprintf(stderr, "config error: %s\n", store.status().message().c_str());
    return kExitConfigError;
  }
  const std::int64_t to_ms = options.to_ms.value_or(clock.system_now_us() / 1000);
  const std::int64_t from_ms = options.from_ms.value_or(to_ms - kDefaultAuditSpanMs);
  if (from_ms >= to_ms) {
    (void)std::fprintf(stderr, "config error: --from must be before --to\n");
    return kExitConfigError;
  }
  std::vector<std::string> symbols = config.symbols;
  if (options.symbols_from_store) {
    Result<std::vector<std::string>> found = symbols_in_store(*store->reader, config.s3_prefix);
    if (!found) {
      (void)std::fprintf(stderr, "audit: %s\n", found.status().message().c_str());
      return 1;
    }
    if (found->empty()) {
      (void)std::fprintf(stderr, "audit: --symbols-from-store: no symbol=<SYMBOL>/ folder under %s in %s (a wrong "
                                 "S3_PREFIX, or nothing stored)\n",
                         trade_stream_folder(config.s3_prefix).c_str(), store->reader->describe().c_str());
      return 1;
    }
    symbols = std::move(found).value();
  }
  std::optional<AuditExporter> exporter;
  if (options.export_dir) {
    Result<AuditExporter> opened = AuditExporter::open(*options.export_dir);
    if (!opened) {
      (void)std::fprintf(stderr, "config error: %s\n", opened.status().message().c_str());
      return kExitConfigError;
    }
    exporter.emplace(std::move(opened).value());
  }
  // Asked before the store is read: on a live store, parts keep arriving while the audit lists.
  std::optional<ExchangeTruth> truth;
  if (!options.offline) truth = ask_exchange_for(config, clock, symbols, from_ms, to_ms);
  Result<AuditReport> report = run_audit(
      *store->reader,
      {.prefix = config.s3_prefix, .symbols = symbols, .from_ms = from_ms, .to_ms = to_ms, .deep = options.deep,
       .jobs = options.jobs.value_or(default_audit_jobs())},
      exporter ? &*exporter : nullptr, truth ? &*truth : nullptr);
  if (!report) {
    (void)std::fprintf(stderr, "audit: %s\n", report.status().message().c_str());
    return 1;
  }
  if (truth) report->exchange = config.binance_rest_url;
  const std::string text = options.json ? render_json(*report) : render_table(*report);
  (void)std::fputs(text.c_str(), stdout);
  for (const Finding& finding : report->findings) {
    if (finding.kind != FindingKind::kExchangeUnavailable) continue;
    (void)std::fprintf(stderr, "audit: exchange_unavailable %s: %s\n", finding.key.c_str(), finding.reason.c_str());
  }
  if (exporter) {
    if (const Status exported = exporter->finish(*report); !exported) {
      (void)std::fprintf(stderr, "audit: %s\n", exported.message().c_str());
      return 1;
    }
    (void)std::fprintf(stderr, "audit: exported %zu files to %s\n", exporter->files().size(),
                       options.export_dir->c_str());
  }
  return report->exit_code();
}

}  // namespace mc
