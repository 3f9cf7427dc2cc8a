#include "keys/head_object.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include <nlohmann/json.hpp>

namespace mc {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kHeadsDir = "_collector/heads/";
constexpr std::string_view kHeadVersion = "1";

Status corrupt(const std::string& what) { return Status::corrupt("head object: " + what); }

}  // namespace

std::string heads_prefix(std::string_view prefix) { return std::string(prefix) + std::string(kHeadsDir); }

std::string head_key(std::string_view prefix, std::string_view instance_id, std::int64_t epoch_ms) {
  return heads_prefix(prefix) + std::string(instance_id) + "/" + std::to_string(epoch_ms) + ".json";
}

bool parse_head_key(std::string_view prefix, std::string_view key, std::string& instance_id, std::int64_t& epoch_ms) {
  const std::string root = heads_prefix(prefix);
  if (!key.starts_with(root) || !key.ends_with(".json")) return false;
  std::string_view rest = key.substr(root.size(), key.size() - root.size() - 5);
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  const std::string_view digits = rest.substr(slash + 1);
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), epoch_ms);
  if (ec != std::errc{} || ptr != digits.data() + digits.size() || digits.empty()) return false;
  instance_id = std::string(rest.substr(0, slash));
  return true;
}

std::string render_head(const Head& head) {
  Json writers = Json::array();
  for (const HeadWriter& writer : head.writers) {
    writers.push_back({{"stream", writer.stream},
                       {"symbol", writer.symbol},
                       {"part_number", writer.part_number},
                       {"part_key", writer.part_key}});
  }
  const Json document = {{"version", kHeadVersion},
                         {"instance_id", head.instance_id},
                         {"created_at_ms", head.created_at_ms},
                         {"reason", head.reason},
                         {"writers", std::move(writers)}};
  return document.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<Head> parse_head(std::string_view text) {
  const Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return corrupt("not a JSON object");
  if (document.value("version", "") != kHeadVersion) return corrupt("version is not \"1\"");
  Head head;
  const auto instance = document.find("instance_id");
  const auto created = document.find("created_at_ms");
  const auto writers = document.find("writers");
  if (instance == document.end() || !instance->is_string()) return corrupt("instance_id is not a string");
  if (created == document.end() || !created->is_number_integer()) return corrupt("created_at_ms is not an integer");
  if (writers == document.end() || !writers->is_array()) return corrupt("writers is not an array");
  head.instance_id = instance->get<std::string>();
  head.created_at_ms = created->get<std::int64_t>();
  head.reason = document.value("reason", "");
  for (const Json& entry : *writers) {
    if (!entry.is_object()) return corrupt("a writer is not an object");
    const auto number = entry.find("part_number");
    if (number == entry.end() || !number->is_number_unsigned() || number->get<std::uint64_t>() == 0) {
      return corrupt("writer " + entry.dump() + " has no part_number >= 1");
    }
    if (!entry.contains("stream") || !entry["stream"].is_string() || !entry.contains("symbol") ||
        !entry["symbol"].is_string() || !entry.contains("part_key") || !entry["part_key"].is_string()) {
      return corrupt("writer " + entry.dump() + " lacks stream, symbol or part_key");
    }
    head.writers.push_back({.stream = entry["stream"].get<std::string>(),
                            .symbol = entry["symbol"].get<std::string>(),
                            .part_number = number->get<std::uint64_t>(),
                            .part_key = entry["part_key"].get<std::string>()});
  }
  return head;
}

}  // namespace mc
