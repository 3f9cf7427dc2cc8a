#include "ledger/ledger_state.hpp"

#include <system_error>

#include <nlohmann/json.hpp>

#include "common/file_util.hpp"

namespace mc {
namespace {

using Json = nlohmann::ordered_json;

Status corrupt(const std::string& what) { return Status::corrupt("ledger state: " + what); }

bool is_id(const Json& value) { return value.is_number_integer() && value.get<std::int64_t>() >= 0; }

Json ranges_json(const IdSet& ids) {
  Json out = Json::array();
  for (const IdRange& range : ids.ranges()) out.push_back(Json::array({range.first, range.last}));
  return out;
}

// Reads entry[name] (an array of [first, last] below last_written) into ids.
Status parse_ranges(const Json& entry, const char* name, const std::string& where, std::int64_t last_written,
                    IdSet& ids) {
  const auto list = entry.find(name);
  if (list == entry.end() || !list->is_array()) return corrupt(where + "." + name + " is not an array");
  for (const Json& range : *list) {
    if (!range.is_array() || range.size() != 2 || !is_id(range[0]) || !is_id(range[1]) ||
        range[0].get<std::int64_t>() > range[1].get<std::int64_t>() ||
        range[1].get<std::int64_t>() >= last_written) {
      return corrupt(where + "." + name + " holds " + range.dump() + ", not [first, last] below last_written");
    }
    ids.add(range[0].get<std::int64_t>(), range[1].get<std::int64_t>());
  }
  return Status::ok();
}

}  // namespace

std::string render_ledger_state(const LedgerState& state) {
  Json symbols = Json::object();
  for (const auto& [symbol, ledger] : state) {
    symbols[symbol] = {{"last_written", ledger.last_written},
                       {"pending", ranges_json(ledger.pending)},
                       {"given_up", ranges_json(ledger.given_up)}};
  }
  const Json document = {{"version", kLedgerStateVersion}, {"symbols", std::move(symbols)}};
  return document.dump() + "\n";
}

Result<LedgerState> parse_ledger_state(std::string_view text) {
  const Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return corrupt("not a JSON object");
  const auto version = document.find("version");
  if (version == document.end() || *version != kLedgerStateVersion) {
    return corrupt("version is not " + std::to_string(kLedgerStateVersion));
  }
  const auto symbols = document.find("symbols");
  if (symbols == document.end() || !symbols->is_object()) return corrupt("\"symbols\" is not an object");

  LedgerState state;
  for (const auto& [symbol, entry] : symbols->items()) {
    const std::string where = "symbols." + symbol;
    if (!entry.is_object()) return corrupt(where + " is not an object");
    const auto last = entry.find("last_written");
    if (last == entry.end() || !last->is_number_integer() || last->get<std::int64_t>() < -1) {
      return corrupt(where + ".last_written is not an integer >= -1");
    }
    SymbolLedger ledger{.last_written = last->get<std::int64_t>()};
    if (Status ok = parse_ranges(entry, "pending", where, ledger.last_written, ledger.pending); !ok) return ok;
    if (entry.contains("given_up")) {
      if (Status ok = parse_ranges(entry, "given_up", where, ledger.last_written, ledger.given_up); !ok) return ok;
    }
    state.emplace(symbol, std::move(ledger));
  }
  return state;
}

Result<LedgerState> load_ledger_state(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec) && !ec) return LedgerState{};
  Result<std::string> text = read_file(file);
  if (!text) return text.status();
  Result<LedgerState> state = parse_ledger_state(text.value());
  if (!state) return state.status().with_context(file.string());
  return state;
}

Status save_ledger_state(const std::filesystem::path& file, const LedgerState& state) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return Status::from_errno(ec.value(), "creating " + file.parent_path().string());
  return write_file_atomic(file, render_ledger_state(state));
}

}  // namespace mc
