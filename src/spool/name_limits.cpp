#include "spool/name_limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "common/file_util.hpp"
#include "keys/part_name.hpp"
#include "spool/rejected.hpp"

namespace mc {
namespace {

// Atomic writes append ".tmp", rejected/ up to ".1000" to a spool file name: the longer one counts.
std::string longest_file_name_suffix() {
  const std::string rejected = fmt::format(".{}", kMaxRejectedNameSuffix);
  return rejected.size() > kTempSuffix.size() ? rejected : std::string(kTempSuffix);
}

struct TooLong {
  std::string what;
  std::string name;
  std::size_t limit = 0;
  std::size_t excess() const { return name.size() - limit; }
};

class LengthCheck {
 public:
  explicit LengthCheck(const NameLimits& limits) : limits_(limits), suffix_(longest_file_name_suffix()) {}

  void object_key(const std::string& key) {
    over("object key", key, limits_.object_key_bytes);
    if (limits_.store_name_bytes == 0) return;
    for (std::size_t start = 0; start < key.size();) {
      const std::size_t slash = std::min(key.find('/', start), key.size());
      over("local store file name", key.substr(start, slash - start), limits_.store_name_bytes);
      start = slash + 1;
    }
  }
  void spool_file(const std::string& key) {
    over("spool file name", spool_file_name(key) + suffix_, limits_.file_name_bytes);
  }

  // Names the worst: the others differ from it only in the route or the kind of file.
  Status result(std::string_view prefix, std::string_view instance_id) const {
    if (too_long_.empty()) return Status::ok();
    const TooLong& worst = *std::max_element(too_long_.begin(), too_long_.end(),
                                             [](const TooLong& a, const TooLong& b) { return a.excess() < b.excess(); });
    return Status::fatal(fmt::format(
        "S3_PREFIX ({} bytes), INSTANCE_ID ({} bytes) and the symbols make {} names too long, the longest a {} of {} "
        "bytes (limit {}): {}; shorten S3_PREFIX or INSTANCE_ID",
        prefix.size(), instance_id.size(), too_long_.size(), worst.what, worst.name.size(), worst.limit, worst.name));
  }

 private:
  void over(std::string_view what, std::string name, std::size_t limit) {
    if (name.size() > limit) too_long_.push_back({std::string(what), std::move(name), limit});
  }

  const NameLimits& limits_;
  const std::string suffix_;
  std::vector<TooLong> too_long_;
};

}  // namespace

std::size_t file_name_limit(const std::filesystem::path& dir) {
  const long limit = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  return limit > 0 ? static_cast<std::size_t>(limit) : kDefaultFileNameBytes;
}

Status check_name_lengths(std::string_view prefix, std::string_view instance_id, const RouteTable& routes,
                          std::span<const std::string> other_keys, const NameLimits& limits) {
  LengthCheck check(limits);
  for (const Route& route : routes.routes()) {
    const PartName name{.prefix = std::string(prefix), .kind = route.kind, .stream = route.stream,
                        .symbol = route.symbol, .instance_id = std::string(instance_id), .epoch_ms = kLongestEpochMs};
    for (const std::string& key : {name.part_key(), name.manifest_key()}) {
      check.object_key(key);
      check.spool_file(key);
    }
    check.spool_file(name.open_key());
    check.spool_file(name.writer_key());
  }
  for (const std::string& key : other_keys) check.object_key(key);
  return check.result(prefix, instance_id);
}

}  // namespace mc
