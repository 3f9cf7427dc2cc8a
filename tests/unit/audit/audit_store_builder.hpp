#pragma once
// Builds a small local store with real parts: JSON lines gzip'ed by the project's gzip, manifests
// rendered by the project's render_manifest from scan_part's numbers, exactly as the sealer does.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "spool/manifest.hpp"
#include "keys/part_name.hpp"
#include "spool/part_scan.hpp"
#include "store/local_store.hpp"

namespace mc::testing {

// 2026-11-25T05:00:00Z
inline constexpr std::int64_t kBaseMs = 1795582800000;

class AuditStoreBuilder {
 public:
  explicit AuditStoreBuilder(std::filesystem::path root) : store_(std::move(root)) {}

  // Writes a part holding the given trade ids (one line each, in order) and its manifest.
  PartName add_part(const std::string& instance, std::int64_t epoch_ms, const std::vector<std::int64_t>& ids,
                    const std::string& symbol = "BTCUSDT", const PartNotes& notes = {}) {
    std::string lines;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const std::int64_t event_ms = epoch_ms + static_cast<std::int64_t>(i);
      lines += fmt::format(
          R"({{"recv_us":{},"stream":"{}@trade","data":{{"e":"trade","E":{},"s":"{}","t":{},"p":"1.0","q":"1.0","T":{},"m":true,"M":true}}}})"
          "\n",
          event_ms * 1000, "btcusdt", event_ms, symbol, ids[i], event_ms);
    }
    return add_lines_part(instance, epoch_ms, lines, symbol, notes);
  }

  // Writes a part holding exactly these JSON lines (each ending with '\n') and its manifest.
  PartName add_lines_part(const std::string& instance, std::int64_t epoch_ms, const std::string& lines,
                          const std::string& symbol = "BTCUSDT", const PartNotes& notes = {}) {
    const PartName name{.prefix = "raw/", .stream = "trade", .symbol = symbol, .instance_id = instance,
                        .epoch_ms = epoch_ms};
    Result<std::string> gz = gzip_compress(lines, 6);
    EXPECT_TRUE(gz.is_ok());
    Result<std::string> sha = sha256_hex(*gz);
    EXPECT_TRUE(sha.is_ok());
    const ManifestInput input{.name = name, .stats = scan_part(simdjson::padded_string(lines), PartKind::kData),
                              .bytes_gzip = gz->size(), .sha256_hex = *sha, .created_at_ms = epoch_ms + 5000,
                              .gzip_level = 6, .notes = notes};
    put(name.part_key(), *gz);
    put(name.manifest_key(), render_manifest(input));
    return name;
  }

  // Replaces an object already under the key, as tampering with the store would: the store itself
  // never overwrites.
  void put(const std::string& key, const std::string& body) {
    std::filesystem::remove(store_.path_of(key));
    const Status status = store_.put({.key = key, .body = body, .content_type = "", .sha256_hex = ""});
    EXPECT_TRUE(status.is_ok()) << status.message();
  }
  std::filesystem::path path_of(const std::string& key) const { return store_.path_of(key); }

 private:
  LocalStore store_;
};

inline std::vector<std::int64_t> id_run(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> ids;
  for (std::int64_t id = first; id <= last; ++id) ids.push_back(id);
  return ids;
}

inline std::vector<std::int64_t> concat(std::vector<std::int64_t> head, const std::vector<std::int64_t>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace mc::testing
