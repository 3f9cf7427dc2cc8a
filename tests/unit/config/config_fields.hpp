#pragma once
// Every field of a Config that a table row sets, as text, in declaration order: lets tests compare
// Configs and see which field a table row sets. A field added to Config must be added here too, unless
// it is derived at the end of parsing (instance_id_from_host).

#include <string>
#include <vector>

#include "config/config.hpp"

namespace mc::testing {

inline std::vector<std::string> config_fields(const Config& c) {
  std::string symbols;
  for (const std::string& s : c.symbols) symbols += s + ",";
  std::string overrides;
  for (const SymbolWindow& w : c.rot_secs_overrides.symbols) overrides += w.symbol + ":" + std::to_string(w.secs) + ",";
  if (c.rot_secs_overrides.default_secs) overrides += "*:" + std::to_string(*c.rot_secs_overrides.default_secs);
  return {
      "raw_bucket=" + c.raw_bucket,
      "local_store_dir=" + c.local_store_dir,
      "s3_endpoint=" + c.s3_endpoint,
      "s3_prefix=" + c.s3_prefix,
      "s3_force_path_style=" + std::to_string(c.s3_force_path_style),
      "aws_region=" + c.aws_region,
      "s3_sse=" + c.s3_sse,
      "s3_sse_kms_key_id=" + c.s3_sse_kms_key_id,
      // SYMBOL=ALL is one value of SYMBOL's field: the list is the exchange's.
      "symbols=" + (c.all_symbols ? std::string("ALL") : symbols),
      "symbols_refresh_secs=" + std::to_string(c.symbols_refresh_secs),
      "shard=" + std::to_string(c.shard.index) + "/" + std::to_string(c.shard.count),
      "instance_id=" + c.instance_id,
      "local_dir=" + c.local_dir,
      "rot_bytes=" + std::to_string(c.rot_bytes),
      "rot_secs=" + std::to_string(c.rot_secs),
      "rot_secs_overrides=" + overrides,
      "gzip_level=" + std::to_string(c.gzip_level),
      "fsync_secs=" + std::to_string(c.fsync_secs),
      "spool_max_bytes=" + std::to_string(c.spool_max_bytes),
      "binance_ws_url=" + c.binance_ws_url,
      "binance_rest_url=" + c.binance_rest_url,
      "binance_api_key=" + c.binance_api_key,
      "tls_ca_file=" + c.tls_ca_file,
      "ws_idle_secs=" + std::to_string(c.ws_idle_secs),
      "ws_max_age_secs=" + std::to_string(c.ws_max_age_secs),
      "ws_streams_per_connection=" + std::to_string(c.ws_streams_per_connection),
      "ws_max_message_bytes=" + std::to_string(c.ws_max_message_bytes),
      "backfill_enabled=" + std::to_string(static_cast<int>(c.backfill_enabled)),
      "backfill_weight_per_min=" + std::to_string(c.backfill_weight_per_min),
      "backfill_alarm_secs=" + std::to_string(c.backfill_alarm_secs),
      "stop_timeout_secs=" + std::to_string(c.stop_timeout_secs),
      "metrics_addr=" + c.metrics_addr,
      "log_level=" + c.log_level,
      "log_format=" + std::to_string(static_cast<int>(c.log_format)),
  };
}

}  // namespace mc::testing
