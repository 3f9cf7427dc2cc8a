#include "audit/audit_scan.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <iterator>
#include <map>
#include <optional>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audit/listing_plan.hpp"
#include "audit/ordered_pool.hpp"
#include "keys/part_name.hpp"

namespace mc {
namespace {

constexpr std::size_t kDayFolderLength = 14;  // "dt=YYYY-MM-DD/"
constexpr std::size_t kSha256HexLength = 64;

using Json = nlohmann::json;

bool is_instance_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

std::optional<int> two_digits(std::string_view text, int max) {
  if (text.size() != 2 || text[0] < '0' || text[0] > '9' || text[1] < '0' || text[1] > '9') return std::nullopt;
  const int value = (text[0] - '0') * 10 + (text[1] - '0');
  if (value > max) return std::nullopt;
  return value;
}

// A listed object's file name: "part-<instance>-<epoch_ms>.jsonl.gz" or the manifest's.
struct ListedName {
  bool is_part = false;
  std::string instance_id;
  std::int64_t epoch_ms = 0;
};

// The file name's problem, or the name.
Result<ListedName> parse_file_name(std::string_view file) {
  ListedName name;
  if (file.starts_with("part-") && file.ends_with(".jsonl.gz")) {
    name.is_part = true;
    file = file.substr(5, file.size() - 5 - 9);
  } else if (file.starts_with("manifest-") && file.ends_with(".json")) {
    file = file.substr(9, file.size() - 9 - 5);
  } else {
    return Status::corrupt("not a part-<instance>-<epoch_ms>.jsonl.gz or manifest-<instance>-<epoch_ms>.json name");
  }
  const std::size_t dash = file.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return Status::corrupt("no instance id in the name");
  const std::string_view instance = file.substr(0, dash);
  const std::string_view millis = file.substr(dash + 1);
  if (!std::all_of(instance.begin(), instance.end(), is_instance_char)) {
    return Status::corrupt(fmt::format("instance id \"{}\" is not [A-Za-z0-9._-]+", instance));
  }
  const auto [end, error] = std::from_chars(millis.data(), millis.data() + millis.size(), name.epoch_ms);
  if (millis.empty() || error != std::errc{} || end != millis.data() + millis.size() || name.epoch_ms < 0) {
    return Status::corrupt(fmt::format("epoch_ms \"{}\" is not a number of milliseconds", millis));
  }
  name.instance_id = std::string(instance);
  return name;
}

// Typed access to a manifest member; each failure names the member.
class Members {
 public:
  explicit Members(const Json& object) : object_(object) {}
  const Json* get(std::string_view name) const {
    const auto it = object_.find(name);
    return it == object_.end() ? nullptr : &*it;
  }

 private:
  const Json& object_;
};

Result<std::int64_t> integer(const Json& object, std::string_view section, std::string_view name) {
  const Json* value = Members(object).get(name);
  if (value == nullptr) return Status::corrupt(fmt::format("{}.{} is missing", section, name));
  if (!value->is_number_integer()) return Status::corrupt(fmt::format("{}.{} is not an integer", section, name));
  return value->get<std::int64_t>();
}

// An integer or null (nullopt).
Result<std::optional<std::int64_t>> nullable_integer(const Json& object, std::string_view section,
                                                     std::string_view name) {
  const Json* value = Members(object).get(name);
  if (value != nullptr && value->is_null()) return std::optional<std::int64_t>{};
  Result<std::int64_t> number = integer(object, section, name);
  if (!number) return Status::corrupt(number.status().message() + " nor null");
  return std::optional<std::int64_t>{*number};
}

Result<std::string> string(const Json& object, std::string_view section, std::string_view name) {
  const Json* value = Members(object).get(name);
  if (value == nullptr) return Status::corrupt(fmt::format("{}.{} is missing", section, name));
  if (!value->is_string()) return Status::corrupt(fmt::format("{}.{} is not a string", section, name));
  return value->get<std::string>();
}

Status expect_string(const Json& object, std::string_view section, std::string_view name, std::string_view wanted) {
  Result<std::string> value = string(object, section, name);
  if (!value) return value.status();
  if (*value != wanted) {
    return Status::corrupt(fmt::format("{}.{} is \"{}\", expected \"{}\"", section, name, *value, wanted));
  }
  return Status::ok();
}

// extra.id_gaps, when the manifest lists every gap; empty otherwise.
IdSet listed_gaps(const Json& manifest) {
  IdSet gaps;
  const auto extra = manifest.find("extra");
  if (extra == manifest.end() || !extra->is_object()) return gaps;
  const auto truncated = extra->find("id_gaps_truncated");
  if (truncated == extra->end() || !truncated->is_boolean() || truncated->get<bool>()) return gaps;
  const auto list = extra->find("id_gaps");
  if (list == extra->end() || !list->is_array()) return gaps;
  for (const Json& gap : *list) {
    if (gap.is_array() && gap.size() == 2 && gap[0].is_number_integer() && gap[1].is_number_integer()) {
      gaps.add(gap[0].get<std::int64_t>(), gap[1].get<std::int64_t>());
    }
  }
  return gaps;
}

// extra.<name>: [[from, to], ...] when present (manifests older than the field have none).
Result<IdSet> noted_ranges(const Json& manifest, std::string_view name) {
  IdSet ranges;
  const auto extra = manifest.find("extra");
  if (extra == manifest.end() || !extra->is_object()) return ranges;
  const auto list = extra->find(name);
  if (list == extra->end()) return ranges;
  if (!list->is_array()) return Status::corrupt(fmt::format("extra.{} is not an array", name));
  for (const Json& range : *list) {
    if (!range.is_array() || range.size() != 2 || !range[0].is_number_integer() || !range[1].is_number_integer() ||
        range[0].get<std::int64_t>() > range[1].get<std::int64_t>()) {
      return Status::corrupt(fmt::format("extra.{} holds {}, not [from, to]", name, range.dump()));
    }
    ranges.add(range[0].get<std::int64_t>(), range[1].get<std::int64_t>());
  }
  return ranges;
}

struct Pair {
  std::optional<StoredObject> part;
  std::optional<StoredObject> manifest;
};
using PairId = std::pair<std::string, std::int64_t>;  // instance id, epoch_ms

// A listed pair's finding, or the part with its checked manifest (one GET: the manifest).
std::variant<Finding, AuditedPart> check_pair(const StoreReader& store, const std::string& symbol, const PairId& id,
                                              const Pair& pair) {
  if (!pair.manifest) {
    return Finding{FindingKind::kOrphanPart, pair.part->key,
                   "part without manifest: upload interrupted or still in progress"};
  }
  if (!pair.part) {
    return Finding{FindingKind::kOrphanManifest, pair.manifest->key, "manifest without part: the part is lost"};
  }
  Result<std::string> text = store.get(pair.manifest->key);
  if (!text) return Finding{FindingKind::kUnreadable, pair.manifest->key, text.status().message()};
  Result<ManifestFacts> facts = check_manifest(*text, pair.part->key, symbol, id.first, pair.part->size);
  if (!facts) return Finding{FindingKind::kBadManifest, pair.manifest->key, facts.status().message()};
  return AuditedPart{symbol, id.first, id.second, pair.part->key, pair.manifest->key, pair.part->size,
                     std::move(facts).value()};
}

// What a symbol's listings hold: its objects paired by name, and the keys that break the layout.
struct ListedSymbol {
  std::map<PairId, Pair> pairs;
  std::vector<Finding> bad_keys;
};

// "<prefix>exchange=binance/stream=trade/symbol=<SYMBOL>/"
std::string symbol_folder(const AuditRequest& request, std::size_t symbol) {
  return fmt::format("{}exchange=binance/stream=trade/symbol={}/", request.prefix, request.symbols[symbol]);
}

// Files each listed object of a symbol's folder as a part or a manifest of its pair, or as a bad key.
void file_listing(const AuditRequest& request, const std::string& symbol, std::string_view symbol_key,
                  std::vector<StoredObject> objects, ListedSymbol& listed) {
  for (StoredObject& object : objects) {
    // "dt=YYYY-MM-DD/HH/MM/<file>": every folder of the plan is a day folder or lies in one.
    const std::string_view rest = std::string_view(object.key).substr(symbol_key.size() + kDayFolderLength);
    const std::optional<int> hour = two_digits(rest.substr(0, 2), 23);
    const std::optional<int> minute = rest.size() > 6 ? two_digits(rest.substr(3, 2), 59) : std::nullopt;
    if (!hour || !minute || rest[2] != '/' || rest[5] != '/' || rest.find('/', 6) != std::string_view::npos) {
      listed.bad_keys.push_back({FindingKind::kBadKey, object.key, "not under a dt=YYYY-MM-DD/HH/MM/ folder"});
      continue;
    }
    Result<ListedName> name = parse_file_name(rest.substr(6));
    if (!name) {
      listed.bad_keys.push_back({FindingKind::kBadKey, object.key, name.status().message()});
      continue;
    }
    const PartName expected{.prefix = request.prefix, .stream = "trade", .symbol = symbol,
                            .instance_id = name->instance_id, .epoch_ms = name->epoch_ms};
    const std::string expected_key = name->is_part ? expected.part_key() : expected.manifest_key();
    if (expected_key != object.key) {
      listed.bad_keys.push_back(
          {FindingKind::kBadKey, object.key,
           fmt::format("folder does not match epoch_ms {}: expected {}", name->epoch_ms, expected.directory_key())});
      continue;
    }
    Pair& pair = listed.pairs[{name->instance_id, name->epoch_ms}];
    (name->is_part ? pair.part : pair.manifest) = std::move(object);
  }
}

}  // namespace

std::string_view to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::kOrphanPart: return "orphan_part";
    case FindingKind::kOrphanManifest: return "orphan_manifest";
    case FindingKind::kBadKey: return "bad_key";
    case FindingKind::kBadManifest: return "bad_manifest";
    case FindingKind::kShaMismatch: return "sha256_mismatch";
    case FindingKind::kCorruptPart: return "corrupt_part";
    case FindingKind::kStatsMismatch: return "stats_mismatch";
    case FindingKind::kUnreadable: return "unreadable";
    case FindingKind::kLostPart: return "lost_part";
    case FindingKind::kEmptyStore: return "empty_store";
    case FindingKind::kNoData: return "no_data";
    case FindingKind::kInstanceStopped: return "instance_stopped";
    case FindingKind::kMissingStart: return "missing_start";
    case FindingKind::kMissingEnd: return "missing_end";
    case FindingKind::kExchangeUnavailable: return "exchange_unavailable";
  }
  return "unknown";
}

Result<ManifestFacts> check_manifest(std::string_view text, std::string_view part_key, std::string_view symbol,
                                     std::string_view instance_id, std::uint64_t part_size) {
  const Json manifest = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.is_object()) return Status::corrupt("not a JSON object");
  if (Status s = expect_string(manifest, "manifest", "version", "1"); !s) return s;
  const Json* source = Members(manifest).get("source");
  const Json* payload = Members(manifest).get("payload");
  if (source == nullptr || !source->is_object()) return Status::corrupt("source is missing or not an object");
  if (payload == nullptr || !payload->is_object()) return Status::corrupt("payload is missing or not an object");
  for (const auto& [name, wanted] : {std::pair<std::string_view, std::string_view>{"exchange", "binance"},
                                     {"stream", "trade"},
                                     {"symbol", symbol},
                                     {"instance_id", instance_id}}) {
    if (Status s = expect_string(*source, "source", name, wanted); !s) return s;
  }
  if (Status s = expect_string(*payload, "payload", "s3_key", part_key); !s) return s;
  if (Result<std::int64_t> created = integer(manifest, "manifest", "created_at_ms"); !created) return created.status();

  ManifestFacts facts;
  struct Field {
    std::string_view name;
    std::int64_t* out;
  };
  std::int64_t record_count = 0;
  std::int64_t bytes_uncompressed = 0;
  std::int64_t bytes_gzip = 0;
  for (const Field& field : {Field{"record_count", &record_count}, Field{"bytes_uncompressed", &bytes_uncompressed},
                             Field{"bytes_gzip", &bytes_gzip}}) {
    Result<std::int64_t> value = integer(*payload, "payload", field.name);
    if (!value) return value.status();
    *field.out = *value;
  }
  struct NullableField {
    std::string_view name;
    std::optional<std::int64_t>* out;
  };
  for (const NullableField& field :
       {NullableField{"time_min_ms", &facts.time_min_ms}, NullableField{"time_max_ms", &facts.time_max_ms},
        NullableField{"id_first", &facts.id_first}, NullableField{"id_last", &facts.id_last}}) {
    Result<std::optional<std::int64_t>> value = nullable_integer(*payload, "payload", field.name);
    if (!value) return value.status();
    *field.out = *value;
  }
  Result<std::string> sha = string(*payload, "payload", "sha256");
  if (!sha) return sha.status();
  facts.sha256 = std::move(sha).value();

  if (record_count <= 0) return Status::corrupt(fmt::format("payload.record_count is {}, expected > 0", record_count));
  if (bytes_uncompressed <= 0) {
    return Status::corrupt(fmt::format("payload.bytes_uncompressed is {}, expected > 0", bytes_uncompressed));
  }
  if (bytes_gzip < 0 || static_cast<std::uint64_t>(bytes_gzip) != part_size) {
    return Status::corrupt(fmt::format("payload.bytes_gzip is {} but the part is {} bytes", bytes_gzip, part_size));
  }
  // null only for a part none of whose lines parse: then all four are null.
  if (facts.time_min_ms.has_value() != facts.time_max_ms.has_value() ||
      facts.id_first.has_value() != facts.id_last.has_value()) {
    return Status::corrupt("payload's time or id range is half null");
  }
  if (facts.time_min_ms && *facts.time_min_ms > *facts.time_max_ms) {
    return Status::corrupt(
        fmt::format("payload.time_min_ms {} > time_max_ms {}", *facts.time_min_ms, *facts.time_max_ms));
  }
  if (facts.id_first && *facts.id_first > *facts.id_last) {
    return Status::corrupt(fmt::format("payload.id_first {} > id_last {}", *facts.id_first, *facts.id_last));
  }
  if (facts.sha256.size() != kSha256HexLength ||
      !std::all_of(facts.sha256.begin(), facts.sha256.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return Status::corrupt("payload.sha256 is not 64 lower-case hex digits");
  }
  facts.record_count = static_cast<std::uint64_t>(record_count);
  facts.bytes_uncompressed = static_cast<std::uint64_t>(bytes_uncompressed);
  facts.bytes_gzip = static_cast<std::uint64_t>(bytes_gzip);
  if (facts.id_first) {
    facts.ids.add(*facts.id_first, *facts.id_last);
    facts.ids = facts.ids.subtract(listed_gaps(manifest));
  }
  Result<IdSet> feed_gaps = noted_ranges(manifest, "feed_gaps");
  if (!feed_gaps) return feed_gaps.status();
  facts.feed_gaps = std::move(feed_gaps).value();
  Result<IdSet> unrecoverable = noted_ranges(manifest, "unrecoverable_gaps");
  if (!unrecoverable) return unrecoverable.status();
  facts.unrecoverable = std::move(unrecoverable).value();
  if (const auto extra = manifest.find("extra"); extra != manifest.end() && extra->contains("part_number")) {
    const Json& number = (*extra)["part_number"];
    if (!number.is_number_unsigned() || number.get<std::uint64_t>() == 0) {
      return Status::corrupt("extra.part_number is not an integer >= 1");
    }
    facts.part_number = number.get<std::uint64_t>();
    const auto previous = extra->find("previous_part_key");
    if (previous != extra->end() && previous->is_string()) facts.previous_part_key = previous->get<std::string>();
  }
  return facts;
}

Result<ScanResult> scan_store(const StoreReader& store, const AuditRequest& request) {
  const std::vector<std::string> folders = listing_plan(request.from_ms, request.to_ms);
  struct Listing {
    std::size_t symbol = 0;  // index in request.symbols
    std::string prefix;
  };
  std::vector<Listing> listings;
  listings.reserve(request.symbols.size() * folders.size());
  for (std::size_t s = 0; s < request.symbols.size(); ++s) {
    for (const std::string& folder : folders) listings.push_back({s, symbol_folder(request, s) + folder});
  }

  // Every folder is listed on request.jobs threads and filed in plan order, which is key order, so the
  // bad keys come out sorted whatever the number of threads. After a failure the folders not yet
  // started are skipped (nullopt), and a skipped folder is never the reason given: it may precede the
  // failing one in the plan when threads run ahead. The audit fails on the first folder of the plan
  // whose listing failed.
  std::vector<ListedSymbol> listed(request.symbols.size());
  std::atomic<bool> failed{false};
  Status failure;
  run_ordered(
      listings.size(), request.jobs,
      [&store, &listings, &failed](std::size_t i) -> std::optional<Result<std::vector<StoredObject>>> {
        if (failed.load()) return std::nullopt;
        Result<std::vector<StoredObject>> objects = store.list(listings[i].prefix);
        if (!objects) failed.store(true);
        return objects;
      },
      [&](std::size_t i, std::optional<Result<std::vector<StoredObject>>> objects) {
        if (!failure || !objects) return;
        if (!*objects) {
          failure = objects->status().with_context(fmt::format("listing {}", listings[i].prefix));
          return;
        }
        const std::size_t s = listings[i].symbol;
        file_listing(request, request.symbols[s], symbol_folder(request, s), std::move(*objects).value(), listed[s]);
      });
  if (!failure) return failure;

  ScanResult result;
  for (std::size_t s = 0; s < request.symbols.size(); ++s) {
    const std::string& symbol = request.symbols[s];
    std::move(listed[s].bad_keys.begin(), listed[s].bad_keys.end(), std::back_inserter(result.findings));
    // Manifests are read on request.jobs threads and checked there; results are kept in key order.
    std::vector<std::pair<const PairId*, const Pair*>> pairs;
    pairs.reserve(listed[s].pairs.size());
    for (const auto& [id, pair] : listed[s].pairs) pairs.emplace_back(&id, &pair);
    run_ordered(
        pairs.size(), request.jobs,
        [&store, &pairs, &symbol](std::size_t i) {
          return check_pair(store, symbol, *pairs[i].first, *pairs[i].second);
        },
        [&result](std::size_t, std::variant<Finding, AuditedPart> checked) {
          if (Finding* finding = std::get_if<Finding>(&checked)) {
            result.findings.push_back(std::move(*finding));
          } else {
            result.parts.push_back(std::get<AuditedPart>(std::move(checked)));
          }
        });
  }
  return result;
}

}  // namespace mc
