#include "spool/part_sequence.hpp"

#include <nlohmann/json.hpp>

#include <system_error>
#include <utility>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "spool/stored_marks.hpp"

namespace mc {

struct PartSequence::Lease::Writer {
  std::mutex mutex;          // held by a lease for the whole seal
  std::uint64_t number = 0;  // the newest number taken; 0: none
  std::string part_key;      // the part that took it
  std::string previous_key;  // that part's previous_key
};

PartSequence::Lease::Lease(Writer& writer, std::string part_key)
    : writer_(&writer), lock_(writer.mutex), part_key_(std::move(part_key)) {
  if (writer.number > 0 && writer.part_key == part_key_) {
    number_ = PartNumber{.number = writer.number, .previous_key = writer.previous_key};
  } else {
    number_ = PartNumber{.number = writer.number + 1, .previous_key = writer.part_key};
  }
}

void PartSequence::Lease::commit() {
  writer_->number = number_.number;
  writer_->part_key = part_key_;
  writer_->previous_key = number_.previous_key;
}

PartSequence::PartSequence() = default;
PartSequence::~PartSequence() = default;

PartSequence::Lease::Writer& PartSequence::writer(const std::string& writer_key) {
  const std::lock_guard lock(mutex_);
  std::unique_ptr<Lease::Writer>& slot = writers_[writer_key];
  if (!slot) slot = std::make_unique<Lease::Writer>();
  return *slot;
}

PartSequence::Lease PartSequence::lease(const PartName& name) {
  return Lease(writer(name.writer_key()), name.part_key());
}

void PartSequence::raise(const std::string& writer_key, std::uint64_t number, const std::string& part_key) {
  Lease::Writer& entry = writer(writer_key);
  const std::lock_guard lock(entry.mutex);
  if (number <= entry.number) return;
  entry.number = number;
  entry.part_key = part_key;
  entry.previous_key.clear();  // not known at start-up; only a re-seal of this very part would need it
}

std::optional<std::uint64_t> PartSequence::newest(const std::string& writer_key) const {
  const std::lock_guard lock(mutex_);
  const auto found = writers_.find(writer_key);
  if (found == writers_.end()) return std::nullopt;
  const std::lock_guard writer_lock(found->second->mutex);
  if (found->second->number == 0) return std::nullopt;
  return found->second->number;
}

Status PartSequence::restore(const SpoolLayout& layout) {
  const auto log = make_logger("spool");
  std::error_code ec;
  for (const std::filesystem::path& dir : {layout.stored_dir(), layout.sealed_dir()}) {
    if (!std::filesystem::exists(dir, ec)) continue;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::optional<std::string> key = key_from_spool_file_name(it->path().filename().string());
      if (!key) continue;
      if (dir == layout.stored_dir()) {
        const std::optional<StoredMark> mark = read_stored_mark_file(it->path());
        if (mark && mark->part_number > 0) raise(*key, mark->part_number, mark->part_key);
        continue;
      }
      const std::optional<PartName> name = parse_part_key(*key);
      if (!name || name->manifest_key() != *key) continue;
      const Result<std::string> text = read_file(it->path());
      if (!text) {
        log->warn("part numbering: cannot read a sealed manifest, its number may be given again file={} error=\"{}\"",
                  it->path().string(), text.status().message());
        continue;
      }
      if (const std::optional<PartNumber> numbered = part_number_of_manifest(*text)) {
        raise(name->writer_key(), numbered->number, name->part_key());
      }
    }
    if (ec) return Status::from_errno(ec.value(), "listing " + dir.string());
  }
  return Status::ok();
}

std::optional<PartNumber> part_number_of_manifest(std::string_view manifest_text) {
  const nlohmann::json manifest = nlohmann::json::parse(manifest_text, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object()) return std::nullopt;
  const auto extra = manifest.find("extra");
  if (extra == manifest.end() || !extra->is_object()) return std::nullopt;
  const auto number = extra->find("part_number");
  if (number == extra->end() || !number->is_number_unsigned() || number->get<std::uint64_t>() == 0) return std::nullopt;
  PartNumber out{.number = number->get<std::uint64_t>()};
  const auto previous = extra->find("previous_part_key");
  if (previous != extra->end() && previous->is_string()) out.previous_key = previous->get<std::string>();
  return out;
}

}  // namespace mc
