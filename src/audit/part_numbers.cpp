#include "audit/part_numbers.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "keys/part_name.hpp"

namespace mc {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;

// Whether the part a key names lies in the audited range (its minute folder overlaps it).
bool key_in_range(const std::string& part_key, const AuditRequest& request) {
  const std::optional<PartName> name = parse_part_key(part_key);
  if (!name) return false;
  const std::int64_t minute = name->epoch_ms / kMinuteMs * kMinuteMs;
  return minute < request.to_ms && minute + kMinuteMs > request.from_ms;
}

struct WriterParts {
  std::map<std::uint64_t, const AuditedPart*> by_number;
};

}  // namespace

Result<NewestHeads> read_newest_heads(const StoreReader& store, std::string_view prefix) {
  Result<std::vector<StoredObject>> listed = store.list(heads_prefix(prefix));
  if (!listed) return listed.status().with_context("listing the heads");
  std::map<std::string, std::pair<std::int64_t, std::string>> newest;  // instance -> (epoch_ms, key)
  NewestHeads out;
  for (const StoredObject& object : *listed) {
    std::string instance;
    std::int64_t epoch_ms = 0;
    if (!parse_head_key(prefix, object.key, instance, epoch_ms)) {
      out.findings.push_back({FindingKind::kBadKey, object.key, "not <prefix>_collector/heads/<instance>/<epoch_ms>.json"});
      continue;
    }
    auto& slot = newest[instance];
    if (slot.second.empty() || epoch_ms > slot.first) slot = {epoch_ms, object.key};
  }
  for (const auto& [instance, newest_head] : newest) {
    Result<std::string> text = store.get(newest_head.second);
    if (!text) {
      out.findings.push_back({FindingKind::kUnreadable, newest_head.second, text.status().message()});
      continue;
    }
    Result<Head> head = parse_head(*text);
    if (!head) {
      out.findings.push_back({FindingKind::kBadManifest, newest_head.second, head.status().message()});
      continue;
    }
    out.by_instance.emplace(instance, std::move(head).value());
  }
  return out;
}

std::vector<Finding> find_lost_parts(const std::vector<AuditedPart>& parts, const std::map<std::string, Head>& heads,
                                     const AuditRequest& request) {
  // (instance, symbol) -> the numbered parts found
  std::map<std::pair<std::string, std::string>, WriterParts> writers;
  for (const AuditedPart& part : parts) {
    if (!part.manifest.part_number) continue;
    writers[{part.instance_id, part.symbol}].by_number[*part.manifest.part_number] = &part;
  }
  for (const auto& [instance, head] : heads) {
    for (const HeadWriter& writer : head.writers) {
      if (std::find(request.symbols.begin(), request.symbols.end(), writer.symbol) == request.symbols.end()) continue;
      writers.try_emplace({instance, writer.symbol});
    }
  }

  std::vector<Finding> findings;
  for (const auto& [writer, found] : writers) {
    const auto& [instance, symbol] = writer;
    std::map<std::uint64_t, std::string> lost;  // number -> key when known
    const auto lose = [&lost](std::uint64_t number, const std::string& key) {
      std::string& slot = lost[number];
      if (slot.empty()) slot = key;
    };
    std::uint64_t newest_found = 0;
    for (auto it = found.by_number.begin(); it != found.by_number.end(); ++it) {
      const auto [number, part] = *it;
      const auto next = std::next(it);
      if (next != found.by_number.end()) {
        for (std::uint64_t n = number + 1; n < next->first; ++n) {
          lose(n, n + 1 == next->first ? next->second->manifest.previous_part_key : std::string());
        }
      }
      const std::string& previous = part->manifest.previous_part_key;
      if (number > 1 && !previous.empty() && !found.by_number.contains(number - 1) && key_in_range(previous, request)) {
        lose(number - 1, previous);
      }
      newest_found = number;
    }
    if (const auto head = heads.find(instance); head != heads.end()) {
      for (const HeadWriter& entry : head->second.writers) {
        if (entry.symbol != symbol || entry.stream != "trade" || entry.part_number <= newest_found) continue;
        if (!key_in_range(entry.part_key, request)) continue;
        // Numbers follow time within a writer: every number after the newest found lies in the range
        // too. With none found, only the head's own part is known to lie in it.
        const std::uint64_t first = newest_found > 0 ? newest_found + 1 : entry.part_number;
        for (std::uint64_t n = first; n <= entry.part_number; ++n) {
          lose(n, n == entry.part_number ? entry.part_key : std::string());
        }
      }
    }
    for (const auto& [number, key] : lost) {
      findings.push_back({FindingKind::kLostPart, key.empty() ? fmt::format("{}/{}#{}", instance, symbol, number) : key,
                          fmt::format("part number {} of instance {} symbol {} is not in the store", number, instance,
                                      symbol)});
    }
  }
  return findings;
}

}  // namespace mc
