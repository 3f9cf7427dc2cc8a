#pragma once
// The collector's settings after parsing and validation. Every field comes from one row of the
// configuration table (config_table.hpp); nothing else constructs a Config from outside input.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.hpp"
#include "config/rot_secs_overrides.hpp"
#include "config/shard.hpp"

namespace mc {

// SYMBOL's value for every symbol the exchange trades.
inline constexpr std::string_view kAllSymbols = "ALL";

struct Config {
  // where objects go
  std::string raw_bucket;                 // RAW_BUCKET; empty: the local store
  std::string local_store_dir = "./data/store";  // LOCAL_STORE_DIR
  std::string s3_endpoint;                // S3_ENDPOINT; empty: AWS
  std::string s3_prefix = "raw/";         // S3_PREFIX
  bool s3_force_path_style = false;       // S3_FORCE_PATH_STYLE
  std::string aws_region;                 // AWS_REGION; empty: from the AWS chain
  std::string s3_sse = "AES256";          // S3_SSE: "AES256" or "aws:kms"
  std::string s3_sse_kms_key_id;          // S3_SSE_KMS_KEY_ID; with aws:kms, empty: the bucket's default key

  // what to collect
  // SYMBOL, upper case, validated; once parsing is finished only the symbols of this SHARD. Empty
  // with SYMBOL=ALL until the collector read the exchange's list (exchange_symbols.hpp).
  std::vector<std::string> symbols{"BTCUSDT"};
  // SYMBOL=ALL: every spot symbol the exchange lists as TRADING, re-read every symbols_refresh_secs.
  bool all_symbols = false;
  std::uint32_t symbols_refresh_secs = 300;  // SYMBOLS_REFRESH_SECS
  Shard shard;                            // SHARD; count 1: every symbol
  // How many symbols SYMBOL listed before SHARD kept this shard's; set at the end of parsing.
  std::size_t symbols_listed = 0;
  std::string instance_id;                // INSTANCE_ID; resolved to the host name when empty
  // True when INSTANCE_ID was not set and instance_id holds the host name: with S3 on EC2 the
  // collector replaces it with the instance id from IMDSv2.
  bool instance_id_from_host = false;

  // spool and rotation
  std::string local_dir = "./data/spool";  // LOCAL_DIR
  std::uint64_t rot_bytes = 2097152;      // ROT_BYTES
  std::uint32_t rot_secs = 5;             // ROT_SECS
  RotSecsOverrides rot_secs_overrides;    // ROT_SECS_OVERRIDES: data windows per symbol
  int gzip_level = 6;                     // GZIP_LEVEL
  std::uint32_t fsync_secs = 1;           // FSYNC_SECS
  std::uint64_t spool_max_bytes = 1073741824;  // SPOOL_MAX_BYTES

  // exchange
  std::string binance_ws_url = "wss://stream.binance.com:9443";  // BINANCE_WS_URL
  std::string binance_rest_url = "https://api.binance.com";      // BINANCE_REST_URL
  std::string binance_api_key;            // BINANCE_API_KEY (secret: never logged)
  std::string tls_ca_file;                // TLS_CA_FILE; empty: the system store
  std::uint32_t ws_idle_secs = 60;        // WS_IDLE_SECS
  std::uint32_t ws_max_age_secs = 85800;  // WS_MAX_AGE_SECS
  std::uint32_t ws_streams_per_connection = 200;  // WS_STREAMS_PER_CONNECTION
  std::uint32_t ws_max_message_bytes = 8388608;   // WS_MAX_MESSAGE_BYTES
  bool backfill_enabled = true;           // BACKFILL_ENABLED
  std::uint32_t backfill_weight_per_min = 2000;  // BACKFILL_WEIGHT_PER_MIN
  std::uint32_t backfill_alarm_secs = 600;       // BACKFILL_ALARM_SECS

  // process
  std::uint32_t stop_timeout_secs = 20;   // STOP_TIMEOUT_SECS
  std::string metrics_addr = "127.0.0.1:9108";  // METRICS_ADDR; empty disables
  std::string log_level = "info";         // LOG_LEVEL
  LogFormat log_format = LogFormat::kText;  // LOG_FORMAT
};

}  // namespace mc
