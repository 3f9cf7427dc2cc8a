#include "config/config_table.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "common/file_util.hpp"
#include "config/rot_secs_overrides.hpp"
#include "config/shard.hpp"
#include "config/value_parsers.hpp"

namespace mc {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1024} * 1024;
constexpr std::uint64_t kGiB = 1024 * kMiB;
// exchangeInfo costs 20 of the IP's 6000 weight a minute; more often than this would add nothing.
constexpr std::uint64_t kMinSymbolsRefreshSecs = 5;
// Binance refuses a connection that asks for more streams.
constexpr std::uint64_t kMaxStreamsPerConnection = 1024;
// The record builder's kMaxRecordBytes: a longer message could not be parsed as a trade anyway.
constexpr std::uint64_t kMaxWsMessageBytes = 8 * kMiB;
// Binance's trade messages are a few hundred bytes, its subscription replies less.
constexpr std::uint64_t kMinWsMessageBytes = 1024;

template <typename Field>
Status set_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max, Field& field) {
  static_assert(std::numeric_limits<Field>::is_integer);
  Result<std::uint64_t> value = parse_unsigned(text, min, max);
  if (!value) return value.status();
  field = static_cast<Field>(*value);
  return Status::ok();
}

Status set_text(std::string_view text, const Status& check, std::string& field) {
  if (!check) return check;
  field = std::string(text);
  return Status::ok();
}

Status require_path(std::string_view text) {
  return text.empty() ? Status::fatal("expected a directory path") : Status::ok();
}

Status check_writable_directory(const std::string& dir) {
  Status status = ensure_writable_directory(dir);
  if (status) return status;
  return Status::fatal(fmt::format("{}; expected a directory the collector can create and write", status.message()));
}

Status set_rot_secs(std::string_view text, Config& config) {
  Result<std::uint32_t> secs = parse_rot_secs(text);
  if (!secs) return secs.status();
  config.rot_secs = *secs;
  return Status::ok();
}

Status set_rot_secs_overrides(std::string_view text, Config& config) {
  Result<RotSecsOverrides> overrides = parse_rot_secs_overrides(text);
  if (!overrides) return overrides.status();
  config.rot_secs_overrides = std::move(overrides).value();
  return Status::ok();
}

Status set_symbols(std::string_view text, Config& config) {
  Result<std::vector<std::string>> symbols = parse_symbol_list(text);
  if (!symbols) return symbols.status();
  const bool all = std::find(symbols->begin(), symbols->end(), kAllSymbols) != symbols->end();
  if (all && symbols->size() > 1) {
    return Status::fatal(fmt::format("{} stands for every symbol and cannot be combined with others", kAllSymbols));
  }
  config.all_symbols = all;
  config.symbols = all ? std::vector<std::string>{} : std::move(symbols).value();
  return Status::ok();
}

Status set_shard(std::string_view text, Config& config) {
  Result<Shard> shard = parse_shard(text);
  if (!shard) return shard.status();
  config.shard = *shard;
  return Status::ok();
}

Status set_bool(std::string_view text, bool& field) {
  Result<bool> value = parse_bool(text);
  if (!value) return value.status();
  field = *value;
  return Status::ok();
}

Status set_log_format(std::string_view text, Config& config) {
  Status status = check_choice(text, {"text", "json"});
  if (!status) return status;
  config.log_format = text == "json" ? LogFormat::kJson : LogFormat::kText;
  return Status::ok();
}

const std::array kTable{
    ConfigKey{
        .env = "RAW_BUCKET", .yaml = "raw_bucket", .flag = "--raw-bucket", .type = ValueType::kText,
        .default_value = "", .default_note = "empty",
        .help = "S3 bucket; empty: objects go to `LOCAL_STORE_DIR` (the embedded default)",
        .apply = [](std::string_view v, Config& c) { return set_text(v, check_bucket_name(v), c.raw_bucket); }},
    ConfigKey{
        .env = "LOCAL_STORE_DIR", .yaml = "local_store_dir", .flag = "--local-store-dir", .type = ValueType::kPath,
        .default_value = "./data/store", .default_note = "",
        .help = "local object store root, mirrors the bucket's keys (used when `RAW_BUCKET` is empty)",
        .apply = [](std::string_view v, Config& c) { return set_text(v, require_path(v), c.local_store_dir); },
        .check_final = [](const Config& c) {
          return c.raw_bucket.empty() ? check_writable_directory(c.local_store_dir) : Status::ok();
        }},
    ConfigKey{
        .env = "SYMBOL", .yaml = "symbol", .flag = "--symbol", .type = ValueType::kSymbolList,
        .default_value = "BTCUSDT", .default_note = "",
        .help = "one symbol or a comma list (upper-cased; each 2 to 20 letters or digits); `ALL`: every spot "
                "symbol `exchangeInfo` at `BINANCE_REST_URL` lists as TRADING, followed as it changes (docs/FLEET.md)",
        .apply = set_symbols},
    ConfigKey{
        .env = "SYMBOLS_REFRESH_SECS", .yaml = "symbols_refresh_secs", .flag = "--symbols-refresh-secs",
        .type = ValueType::kInteger, .default_value = "300", .default_note = "",
        .help = "with `SYMBOL=ALL`, how often the exchange's symbol list is read again: new listings are "
                "subscribed, delisted symbols unsubscribed (5 to 86400; each read costs 20 of the 6000 request weight a minute Binance allows an IP)",
        .apply = [](std::string_view v, Config& c) {
          return set_unsigned(v, kMinSymbolsRefreshSecs, kSecondsPerDay, c.symbols_refresh_secs);
        }},
    ConfigKey{
        .env = "SHARD", .yaml = "shard", .flag = "--shard", .type = ValueType::kText,
        .default_value = "", .default_note = "every symbol",
        .help = "`i/n`: collect only the symbols of `SYMBOL` that rendezvous hashing gives to shard i of n "
                "(0 <= i < n <= 256); every replica of a shard collects the same symbols, and changing n moves "
                "about 1/n of them; none kept: exit 2 (docs/FLEET.md)",
        .apply = set_shard},
    ConfigKey{
        .env = "LOCAL_DIR", .yaml = "local_dir", .flag = "--local-dir", .type = ValueType::kPath,
        .default_value = "./data/spool", .default_note = "",
        .help = "the spool (open and sealed parts not yet stored)",
        .apply = [](std::string_view v, Config& c) { return set_text(v, require_path(v), c.local_dir); },
        .check_final = [](const Config& c) { return check_writable_directory(c.local_dir); }},
    ConfigKey{
        .env = "ROT_BYTES", .yaml = "rot_bytes", .flag = "--rot-bytes", .type = ValueType::kInteger,
        .default_value = "2097152", .default_note = "",
        .help = "size cap of a part, uncompressed (1024 to 1073741824)",
        .apply = [](std::string_view v, Config& c) { return set_unsigned(v, 1024, kGiB, c.rot_bytes); }},
    ConfigKey{
        .env = "ROT_SECS", .yaml = "rot_secs", .flag = "--rot-secs", .type = ValueType::kInteger,
        .default_value = "5", .default_note = "",
        .help = "window length; windows aligned on the UTC clock (must divide 86400)",
        .apply = set_rot_secs},
    ConfigKey{
        .env = "ROT_SECS_OVERRIDES", .yaml = "rot_secs_overrides", .flag = "--rot-secs-overrides",
        .type = ValueType::kText, .default_value = "", .default_note = "none",
        .help = "window per symbol, `SYMBOL:SECS[,SYMBOL:SECS...]`, each like `ROT_SECS`; `*:SECS` sets the "
                "window of every symbol not listed in place of `ROT_SECS`; each symbol must be in `SYMBOL`; "
                "quarantine parts keep `ROT_SECS` (docs/FLEET.md)",
        .apply = set_rot_secs_overrides,
        // With SYMBOL=ALL the list is the exchange's and changes: an entry names a symbol that may come.
        .check_final = [](const Config& c) {
          return c.all_symbols ? Status::ok() : c.rot_secs_overrides.check_symbols(c.symbols);
        }},
    ConfigKey{
        .env = "INSTANCE_ID", .yaml = "instance_id", .flag = "--instance-id", .type = ValueType::kText,
        .default_value = "", .default_note = "EC2 instance id via IMDSv2, else host name",
        .help = "goes into keys and manifests; `[A-Za-z0-9._-]{1,64}`; empty: with `RAW_BUCKET` on EC2 the "
                "instance id from IMDSv2 (held to the same rule: exit 2 if it breaks it), otherwise the host name "
                "with other characters replaced by `-`",
        .apply = [](std::string_view v, Config& c) { return set_text(v, check_instance_id(v), c.instance_id); }},
    ConfigKey{
        .env = "BINANCE_WS_URL", .yaml = "binance_ws_url", .flag = "--binance-ws-url", .type = ValueType::kUrl,
        .default_value = "wss://stream.binance.com:9443", .default_note = "",
        .help = "base URL of the stream endpoint (`ws://` or `wss://`)",
        .apply = [](std::string_view v, Config& c) {
          return set_text(v, check_url(v, {"ws", "wss"}), c.binance_ws_url);
        }},
    ConfigKey{
        .env = "BINANCE_REST_URL", .yaml = "binance_rest_url", .flag = "--binance-rest-url", .type = ValueType::kUrl,
        .default_value = "https://api.binance.com", .default_note = "",
        .help = "base URL for the REST backfill of missing trade ids (`http://` or `https://`)",
        .apply = [](std::string_view v, Config& c) {
          return set_text(v, check_url(v, {"http", "https"}), c.binance_rest_url);
        }},
    ConfigKey{
        .env = "BINANCE_API_KEY", .yaml = "binance_api_key", .flag = "--binance-api-key", .type = ValueType::kText,
        .default_value = "", .default_note = "empty",
        .help = "optional `X-MBX-APIKEY` for REST (never logged)",
        .apply = [](std::string_view v, Config& c) { return set_text(v, check_header_token(v), c.binance_api_key); },
        .secret = true},
    ConfigKey{
        .env = "TLS_CA_FILE", .yaml = "tls_ca_file", .flag = "--tls-ca-file", .type = ValueType::kPath,
        .default_value = "", .default_note = "system store",
        .help = "extra trust anchor (PEM) for WS and REST",
        .apply = [](std::string_view v, Config& c) { return set_text(v, Status::ok(), c.tls_ca_file); },
        .check_final = [](const Config& c) {
          return c.tls_ca_file.empty() ? Status::ok() : check_pem_certificates(c.tls_ca_file);
        }},
    ConfigKey{
        .env = "S3_ENDPOINT", .yaml = "s3_endpoint", .flag = "--s3-endpoint", .type = ValueType::kUrl,
        .default_value = "", .default_note = "AWS",
        .help = "S3-compatible endpoint, `http(s)://host[:port]` without a path; implies path-style",
        .apply = [](std::string_view v, Config& c) {
          return set_text(v, v.empty() ? Status::ok() : check_endpoint(v), c.s3_endpoint);
        }},
    ConfigKey{
        .env = "S3_PREFIX", .yaml = "s3_prefix", .flag = "--s3-prefix", .type = ValueType::kText,
        .default_value = "raw/", .default_note = "",
        .help = "key prefix: empty, or ending in `/`; with `INSTANCE_ID` it must leave every key and spool file name "
                "within its limit (`docs/S3_LAYOUT.md`), else exit 2",
        .apply = [](std::string_view v, Config& c) { return set_text(v, check_s3_prefix(v), c.s3_prefix); }},
    ConfigKey{
        .env = "S3_FORCE_PATH_STYLE", .yaml = "s3_force_path_style", .flag = "--s3-force-path-style",
        .type = ValueType::kBoolean, .default_value = "false", .default_note = "",
        .help = "path-style addressing on AWS too (always used for bucket names with dots)",
        .apply = [](std::string_view v, Config& c) { return set_bool(v, c.s3_force_path_style); }},
    ConfigKey{
        .env = "AWS_REGION", .yaml = "aws_region", .flag = "--aws-region", .type = ValueType::kText,
        .default_value = "", .default_note = "from the AWS chain",
        .help = "region for signing; empty: `AWS_DEFAULT_REGION`, the profile's `region`, then IMDSv2",
        .apply = [](std::string_view v, Config& c) { return set_text(v, check_region(v), c.aws_region); }},
    ConfigKey{
        .env = "S3_SSE", .yaml = "s3_sse", .flag = "--s3-sse", .type = ValueType::kText,
        .default_value = "AES256", .default_note = "",
        .help = "server-side encryption of every object: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS)",
        .apply = [](std::string_view v, Config& c) { return set_text(v, check_choice(v, {"AES256", "aws:kms"}), c.s3_sse); }},
    ConfigKey{
        .env = "S3_SSE_KMS_KEY_ID", .yaml = "s3_sse_kms_key_id", .flag = "--s3-sse-kms-key-id", .type = ValueType::kText,
        .default_value = "", .default_note = "empty",
        .help = "KMS key id or ARN for `S3_SSE=aws:kms`; empty: the bucket's default KMS key",
        .apply = [](std::string_view v, Config& c) { return set_text(v, check_header_token(v), c.s3_sse_kms_key_id); },
        .check_final = [](const Config& c) {
          return c.s3_sse_kms_key_id.empty() || c.s3_sse == "aws:kms"
                     ? Status::ok()
                     : Status::fatal("set only with S3_SSE=aws:kms (S3_SSE is " + c.s3_sse + ")");
        }},
    ConfigKey{
        .env = "GZIP_LEVEL", .yaml = "gzip_level", .flag = "--gzip-level", .type = ValueType::kInteger,
        .default_value = "6", .default_note = "",
        .help = "gzip compression level, 1–9",
        .apply = [](std::string_view v, Config& c) { return set_unsigned(v, 1, 9, c.gzip_level); }},
    ConfigKey{
        .env = "WS_IDLE_SECS", .yaml = "ws_idle_secs", .flag = "--ws-idle-secs", .type = ValueType::kInteger,
        .default_value = "60", .default_note = "",
        .help = "reconnect when no complete message or control frame arrived for this long (5 to 3600)",
        .apply = [](std::string_view v, Config& c) { return set_unsigned(v, 5, 3600, c.ws_idle_secs); }},
    ConfigKey{
        .env = "WS_MAX_AGE_SECS", .yaml = "ws_max_age_secs", .flag = "--ws-max-age-secs", .type = ValueType::kInteger,
        .default_value = "85800", .default_note = "",
        .help = "open a replacement connection before this age, minus up to 10 % jitter, and switch to it once both overlap (2 to 86400)",
        .apply = [](std::string_view v, Config& c) { return set_unsigned(v, 2, kSecondsPerDay, c.ws_max_age_secs); }},
    ConfigKey{
        .env = "WS_STREAMS_PER_CONNECTION", .yaml = "ws_streams_per_connection", .flag = "--ws-streams-per-connection",
        .type = ValueType::kInteger, .default_value = "200", .default_note = "",
        .help = "most streams one WebSocket connection carries (1 to 1024, Binance's limit); the symbols are split "
                "evenly, in `SYMBOL` order, over as many connections as that takes",
        .apply = [](std::string_view v, Config& c) {
          return set_unsigned(v, 1, kMaxStreamsPerConnection, c.ws_streams_per_connection);
        }},
    ConfigKey{
        .env = "WS_MAX_MESSAGE_BYTES", .yaml = "ws_max_message_bytes", .flag = "--ws-max-message-bytes",
        .type = ValueType::kInteger, .default_value = "8388608", .default_note = "",
        .help = "a WebSocket message longer than this is not held: it is quarantined as its first 4 KiB and its "
                "length, and the connection goes on (1024 to 8388608)",
        .apply = [](std::string_view v, Config& c) {
          return set_unsigned(v, kMinWsMessageBytes, kMaxWsMessageBytes, c.ws_max_message_bytes);
        }},
    ConfigKey{
        .env = "BACKFILL_ENABLED", .yaml = "backfill_enabled", .flag = "--backfill-enabled", .type = ValueType::kBoolean,
        .default_value = "true", .default_note = "",
        .help = "fetch trade ids missing from the stream over REST (`historicalTrades` at BINANCE_REST_URL)",
        .apply = [](std::string_view v, Config& c) { return set_bool(v, c.backfill_enabled); }},
    ConfigKey{
        .env = "BACKFILL_WEIGHT_PER_MIN", .yaml = "backfill_weight_per_min", .flag = "--backfill-weight-per-min",
        .type = ValueType::kInteger, .default_value = "2000", .default_note = "",
        .help = "REST request weight the backfill may use per minute (25 to 6000; Binance allows 6000 per IP)",
        .apply = [](std::string_view v, Config& c) { return set_unsigned(v, 25, 6000, c.backfill_weight_per_min); }},
    ConfigKey{
        .env = "BACKFILL_ALARM_SECS", .yaml = "backfill_alarm_secs", .flag = "--backfill-alarm-secs",
        .type = ValueType::kInteger, .default_value = "600", .default_note = "",
        .help = "a trade-id gap still not served by REST after this long raises `backfill_overdue_gaps` and a warn "
                "line (10 to 86400); the backfill keeps asking either way",
        .apply = [](std::string_view v, Config& c) { return set_unsigned(v, 10, 86400, c.backfill_alarm_secs); }},
    ConfigKey{
        .env = "FSYNC_SECS", .yaml = "fsync_secs", .flag = "--fsync-secs", .type = ValueType::kInteger,
        .default_value = "1", .default_note = "",
        .help = "bound on data a power loss can take from the open part (0 to 60; 0: fsync at every batch)",
        .apply = [](std::string_view v, Config& c) { return set_unsigned(v, 0, 60, c.fsync_secs); }},
    ConfigKey{
        .env = "SPOOL_MAX_BYTES", .yaml = "spool_max_bytes", .flag = "--spool-max-bytes", .type = ValueType::kInteger,
        .default_value = "1073741824", .default_note = "",
        .help = "spool size alarm (at least 1048576)",
        .apply = [](std::string_view v, Config& c) {
          return set_unsigned(v, kMiB, std::numeric_limits<std::uint64_t>::max(), c.spool_max_bytes);
        }},
    ConfigKey{
        .env = "STOP_TIMEOUT_SECS", .yaml = "stop_timeout_secs", .flag = "--stop-timeout-secs",
        .type = ValueType::kInteger, .default_value = "20", .default_note = "",
        .help = "drain deadline on SIGTERM (1 to 600)",
        .apply = [](std::string_view v, Config& c) { return set_unsigned(v, 1, 600, c.stop_timeout_secs); }},
    ConfigKey{
        .env = "METRICS_ADDR", .yaml = "metrics_addr", .flag = "--metrics-addr", .type = ValueType::kText,
        .default_value = "127.0.0.1:9108", .default_note = "",
        .help = "Prometheus endpoint `host:port`; empty disables",
        .apply = [](std::string_view v, Config& c) {
          return set_text(v, v.empty() ? Status::ok() : check_host_port(v), c.metrics_addr);
        }},
    ConfigKey{
        .env = "LOG_LEVEL", .yaml = "log_level", .flag = "--log-level", .type = ValueType::kChoice,
        .default_value = "info", .default_note = "",
        .help = "`trace`, `debug`, `info`, `warn` or `error`",
        .apply = [](std::string_view v, Config& c) {
          return set_text(v, check_choice(v, {"trace", "debug", "info", "warn", "error"}), c.log_level);
        }},
    ConfigKey{
        .env = "LOG_FORMAT", .yaml = "log_format", .flag = "--log-format", .type = ValueType::kChoice,
        .default_value = "text", .default_note = "",
        .help = "`text` for people, `json` for machine-read logs (one object per line)",
        .apply = set_log_format},
};

std::string markdown_row(std::string_view env, std::string_view flag, std::string_view default_cell,
                         std::string_view meaning) {
  return fmt::format("| `{}` | `{}` | {} | {} |\n", env, flag, default_cell, meaning);
}

}  // namespace

std::string_view value_type_name(ValueType type) {
  switch (type) {
    case ValueType::kText: return "TEXT";
    case ValueType::kInteger: return "INT";
    case ValueType::kBoolean: return "BOOL";
    case ValueType::kSymbolList: return "LIST";
    case ValueType::kUrl: return "URL";
    case ValueType::kPath: return "PATH";
    case ValueType::kChoice: return "NAME";
  }
  return "VALUE";
}

std::span<const ConfigKey> config_table() { return kTable; }

const ConfigKey* find_config_key_by_yaml(std::string_view yaml_key) {
  for (const ConfigKey& key : kTable) {
    if (key.yaml == yaml_key) return &key;
  }
  return nullptr;
}

std::string config_markdown_table() {
  std::string out = "| env var | flag | default | meaning |\n| --- | --- | --- | --- |\n";
  out += markdown_row(kConfigFileEnv, kConfigFileFlag, "none",
                      "YAML file with the settings below (snake_case keys, see `configs/collector.yaml`); "
                      "no file is read otherwise");
  for (const ConfigKey& key : kTable) {
    const std::string default_cell =
        key.default_note.empty() ? fmt::format("`{}`", key.default_value) : std::string(key.default_note);
    out += markdown_row(key.env, key.flag, default_cell, key.help);
  }
  return out;
}

}  // namespace mc
