#include "spool/spool_recovery.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "spool/rejected.hpp"

namespace mc {
namespace {

enum class FileRole { kOpen, kPart, kManifest };

struct SpoolFile {
  PartName name;
  FileRole role = FileRole::kOpen;
};

std::optional<SpoolFile> classify(const std::filesystem::path& file) {
  const std::optional<std::string> key = key_from_spool_file_name(file.filename().string());
  if (!key) return std::nullopt;
  std::optional<PartName> name = parse_part_key(*key);
  if (!name) return std::nullopt;
  if (*key == name->open_key()) return SpoolFile{std::move(*name), FileRole::kOpen};
  if (*key == name->part_key()) return SpoolFile{std::move(*name), FileRole::kPart};
  return SpoolFile{std::move(*name), FileRole::kManifest};
}

Result<std::vector<std::filesystem::path>> list_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    files.push_back(it->path());
  }
  if (ec) return Status::from_errno(ec.value(), "list " + dir.string());
  std::sort(files.begin(), files.end());
  return files;
}

bool older(const PartName& a, const PartName& b) {
  return std::tie(a.epoch_ms, a.instance_id, a.symbol, a.stream) < std::tie(b.epoch_ms, b.instance_id, b.symbol, b.stream);
}

class Recovery {
 public:
  explicit Recovery(const SpoolLayout& layout) : layout_(layout), log_(make_logger("spool")) {}

  Result<RecoveryPlan> run() {
    for (const auto& dir : {layout_.open_dir(), layout_.sealed_dir()}) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) return Status::from_errno(ec.value(), "spool recovery: create directory " + dir.string());
    }
    if (Status scanned = scan_open(); !scanned) return scanned.with_context("spool recovery");
    if (Status scanned = scan_sealed(); !scanned) return scanned.with_context("spool recovery");

    std::sort(open_.begin(), open_.end(), [](const auto& a, const auto& b) { return older(a.first, b.first); });
    for (auto& [name, file] : open_) plan_.open_files.push_back(std::move(file));
    std::sort(plan_.sealed_parts.begin(), plan_.sealed_parts.end(),
              [](const SealedPart& a, const SealedPart& b) { return older(a.name, b.name); });

    RecoveryCounts& counts = plan_.counts;
    counts.open_files = plan_.open_files.size();
    counts.sealed_parts = plan_.sealed_parts.size();
    log_->info("spool recovery dir={} to_seal={} to_upload={} temp_removed={} uploaded_manifests_removed={} rejected={}",
               layout_.root().string(), counts.open_files, counts.sealed_parts, counts.temp_removed,
               counts.uploaded_manifests_removed, counts.rejected);
    return std::move(plan_);
  }

 private:
  // Removes a *.tmp; true when the file was one.
  Result<bool> remove_if_temp(const std::filesystem::path& file) {
    if (!file.filename().string().ends_with(kTempSuffix)) return false;
    if (Status removed = remove_file(file); !removed) return removed;
    ++plan_.counts.temp_removed;
    log_->info("removed an interrupted write file={}", file.string());
    return true;
  }

  Status reject(const std::filesystem::path& file, std::string_view why) {
    Result<std::filesystem::path> moved = move_to_rejected(layout_, file);
    if (!moved) return moved.status();
    ++plan_.counts.rejected;
    log_->error("moved to rejected/: {} file={} to={}", why, file.string(), moved->string());
    return Status::ok();
  }

  // Files that are neither regular files nor temp files are left alone or rejected, never deleted.
  Result<std::vector<std::filesystem::path>> data_files(const std::filesystem::path& dir) {
    Result<std::vector<std::filesystem::path>> files = list_files(dir);
    if (!files) return files.status();
    std::vector<std::filesystem::path> kept;
    for (auto& file : files.value()) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(file, ec)) {
        log_->warn("not a regular file; left alone file={}", file.string());
        continue;
      }
      Result<bool> temp = remove_if_temp(file);
      if (!temp) return temp.status();
      if (!temp.value()) kept.push_back(std::move(file));
    }
    return kept;
  }

  Status scan_open() {
    Result<std::vector<std::filesystem::path>> files = data_files(layout_.open_dir());
    if (!files) return files.status();
    for (auto& file : files.value()) {
      std::optional<SpoolFile> parsed = classify(file);
      if (!parsed || parsed->role != FileRole::kOpen) {
        if (Status rejected = reject(file, "not an open part's name"); !rejected) return rejected;
        continue;
      }
      open_keys_.insert(parsed->name.part_key());
      open_.emplace_back(std::move(parsed->name), std::move(file));
    }
    return Status::ok();
  }

  Status scan_sealed() {
    Result<std::vector<std::filesystem::path>> files = data_files(layout_.sealed_dir());
    if (!files) return files.status();

    struct Pair {
      std::optional<PartName> name;
      std::optional<std::filesystem::path> part;
      std::optional<std::filesystem::path> manifest;
    };
    std::map<std::string, Pair> pairs;  // by part key
    for (auto& file : files.value()) {
      std::optional<SpoolFile> parsed = classify(file);
      if (!parsed || parsed->role == FileRole::kOpen) {
        if (Status rejected = reject(file, "not a sealed part's or manifest's name"); !rejected) return rejected;
        continue;
      }
      Pair& pair = pairs[parsed->name.part_key()];
      (parsed->role == FileRole::kPart ? pair.part : pair.manifest) = std::move(file);
      pair.name = std::move(parsed->name);
    }

    for (auto& [key, pair] : pairs) {
      if (pair.part && open_keys_.contains(key)) {
        // Sealing the open file again rewrites this part (same bytes) and its manifest.
        log_->info("found a part whose seal was interrupted; its open file will be sealed again key={}", key);
      } else if (pair.part && pair.manifest) {
        plan_.sealed_parts.push_back(layout_.sealed(*pair.name));
      } else if (pair.manifest) {
        if (Status removed = remove_file(*pair.manifest); !removed) return removed;
        ++plan_.counts.uploaded_manifests_removed;
        log_->info("removed the manifest of a part uploaded before the stop key={}", pair.name->manifest_key());
      } else if (Status rejected = reject(*pair.part, "part without manifest nor open file"); !rejected) {
        return rejected;
      }
    }
    return Status::ok();
  }

  const SpoolLayout& layout_;
  const std::shared_ptr<spdlog::logger> log_;
  std::vector<std::pair<PartName, std::filesystem::path>> open_;
  std::set<std::string> open_keys_;  // part keys of the open files
  RecoveryPlan plan_;
};

}  // namespace

Result<RecoveryPlan> recover_spool(const SpoolLayout& layout) { return Recovery(layout).run(); }

Result<std::vector<SealedPart>> list_sealed_pairs(const SpoolLayout& layout) {
  Result<std::vector<std::filesystem::path>> files = list_files(layout.sealed_dir());
  if (!files) return files.status();
  std::map<std::string, std::pair<PartName, int>> seen;  // by part key: the name, and how many of its two files
  for (const std::filesystem::path& file : files.value()) {
    std::optional<SpoolFile> parsed = classify(file);
    if (!parsed || parsed->role == FileRole::kOpen) continue;  // temp files and foreign names do not parse
    auto [it, inserted] = seen.try_emplace(parsed->name.part_key(), parsed->name, 0);
    ++it->second.second;
  }
  std::vector<SealedPart> pairs;
  for (auto& [key, entry] : seen) {
    std::error_code ec;
    if (entry.second == 2 && !std::filesystem::exists(layout.open_file(entry.first), ec) && !ec) {
      pairs.push_back(layout.sealed(entry.first));
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const SealedPart& a, const SealedPart& b) { return older(a.name, b.name); });
  return pairs;
}

}  // namespace mc
