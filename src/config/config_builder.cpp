#include "config/config_builder.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "config/config_error.hpp"
#include "config/shard.hpp"
#include "config/value_parsers.hpp"

namespace mc {
namespace {

// Keeps a message on one line whatever bytes it quotes; inside quotes, quotes are escaped too.
void append_escaped(std::string& out, std::string_view text, bool quoted) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      if (quoted && (c == '"' || c == '\\')) out += '\\';
      out += c;
    }
  }
}

std::size_t row_index(const ConfigKey& key) {
  const std::span<const ConfigKey> table = config_table();
  return static_cast<std::size_t>(&key - table.data());
}

std::string host_instance_id() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host) != 0) {
    throw ConfigError(fmt::format("INSTANCE_ID is empty and the host name cannot be read ({}); set INSTANCE_ID",
                                  std::strerror(errno)));  // NOLINT(concurrency-mt-unsafe): start-up
  }
  std::string id = instance_id_from_host_name(host);
  if (id.empty()) throw ConfigError("INSTANCE_ID is empty and so is the host name; set INSTANCE_ID");
  return id;
}

// `name="value": complaint` on one line; the value is escaped, or hidden for secrets.
std::string config_error_message(const ConfigKey& key, std::string_view name, std::string_view text,
                                 std::string_view complaint) {
  constexpr std::size_t kMaxShown = 200;
  std::string out(name);
  if (key.secret) {
    out += "=<redacted>";
  } else {
    out += "=\"";
    append_escaped(out, text.substr(0, kMaxShown), true);
    out += text.size() > kMaxShown ? "\"..." : "\"";
  }
  out += ": ";
  append_escaped(out, complaint, false);  // complaints may quote pieces of the value
  return out;
}

}  // namespace

ConfigBuilder::ConfigBuilder() {
  for (const ConfigKey& key : config_table()) {
    origins_.push_back({std::string(key.env), std::string(key.default_value)});
    const Status status = key.apply(key.default_value, config_);
    // The defaults are constants of the table; a unit test applies them all.
    if (!status) throw ConfigError(config_error_message(key, key.env, key.default_value, status.message()));
  }
}

void ConfigBuilder::set(const ConfigKey& key, std::string_view text, std::string source_name) {
  const Status status = key.apply(text, config_);
  if (!status) throw ConfigError(config_error_message(key, source_name, text, status.message()));
  origins_[row_index(key)] = {std::move(source_name), std::string(text)};
}

Config ConfigBuilder::finish() && {
  if (config_.instance_id.empty()) {
    config_.instance_id = host_instance_id();
    config_.instance_id_from_host = true;
  }
  for (const ConfigKey& key : config_table()) {
    if (key.check_final == nullptr) continue;
    const Status status = key.check_final(config_);
    if (!status) {
      const Origin& origin = origins_[row_index(key)];
      throw ConfigError(config_error_message(key, origin.name, origin.text, status.message()));
    }
  }
  keep_shard_symbols();
  return std::move(config_);
}

void ConfigBuilder::keep_shard_symbols() {
  // SYMBOL=ALL: the collector applies SHARD to the exchange's list once it has read it.
  if (config_.all_symbols) return;
  config_.symbols_listed = config_.symbols.size();
  Result<std::vector<std::string>> kept = symbols_of_shard(config_.symbols, config_.shard);
  Status status = kept.status();
  if (kept && kept->empty()) {
    status = Status::fatal(fmt::format(
        "shard {} of {} gets none of the {} symbols in SYMBOL; list more symbols or run fewer shards",
        config_.shard.index, config_.shard.count, config_.symbols.size()));
  }
  if (!status) {
    const ConfigKey& key = *find_config_key_by_yaml("shard");
    const Origin& origin = origins_[row_index(key)];
    throw ConfigError(config_error_message(key, origin.name, origin.text, status.message()));
  }
  config_.symbols = std::move(kept).value();
}

}  // namespace mc
