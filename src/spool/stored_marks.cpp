#include "spool/stored_marks.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <system_error>
#include <tuple>

#include "common/file_util.hpp"
#include "keys/part_name.hpp"
#include "spool/part_sequence.hpp"

namespace mc {
namespace {

template <typename Int>
bool parse_int(std::string_view text, Int& out) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

std::optional<StoredMark> parse_mark(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  StoredMark mark;
  const std::size_t space = text.find(' ');
  if (!parse_int(text.substr(0, space), mark.epoch_ms)) return std::nullopt;
  if (space == std::string_view::npos) return mark;
  const std::string_view rest = text.substr(space + 1);
  const std::size_t second = rest.find(' ');
  if (second == std::string_view::npos || second + 1 == rest.size()) return std::nullopt;
  if (!parse_int(rest.substr(0, second), mark.part_number)) return std::nullopt;
  mark.part_key = std::string(rest.substr(second + 1));
  return mark;
}

std::string mark_text(const StoredMark& mark) {
  std::string text = std::to_string(mark.epoch_ms);
  if (mark.part_number > 0) text += " " + std::to_string(mark.part_number) + " " + mark.part_key;
  return text + "\n";
}

Status write_mark(const std::filesystem::path& mark_file, const StoredMark& mark) {
  std::error_code ec;
  std::filesystem::create_directories(mark_file.parent_path(), ec);
  if (ec) return Status::from_errno(ec.value(), "create directory " + mark_file.parent_path().string());
  return write_file_atomic(mark_file, mark_text(mark));
}

// One mark file and the parts of the group that raise it.
struct MarkChange {
  std::filesystem::path file;
  std::vector<std::size_t> parts;  // indexes into the group
  std::string text;  // the new mark; empty when the mark stays as it is
  Status status;
};

}  // namespace

std::optional<StoredMark> read_stored_mark_file(const std::filesystem::path& mark_file) {
  const Result<std::string> text = read_file(mark_file);
  if (!text) return std::nullopt;
  return parse_mark(*text);
}

std::optional<std::int64_t> read_stored_mark(const std::filesystem::path& mark_file) {
  const std::optional<StoredMark> mark = read_stored_mark_file(mark_file);
  if (!mark) return std::nullopt;
  return mark->epoch_ms;
}

Status raise_stored_mark(const std::filesystem::path& mark_file, std::int64_t epoch_ms) {
  const std::optional<StoredMark> current = read_stored_mark_file(mark_file);
  if (current && current->epoch_ms >= epoch_ms) return Status::ok();
  StoredMark mark = current.value_or(StoredMark{});
  mark.epoch_ms = epoch_ms;
  return write_mark(mark_file, mark);
}

std::vector<Status> raise_stored_marks(std::span<const StoredPart> parts) {
  std::vector<MarkChange> changes;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::filesystem::path& file = parts[i].part->stored_mark;
    if (file.empty()) continue;
    auto change = std::ranges::find(changes, file, &MarkChange::file);
    if (change == changes.end()) change = changes.insert(changes.end(), MarkChange{.file = file});
    change->parts.push_back(i);
  }
  std::size_t writes = 0;
  for (MarkChange& change : changes) {
    const std::optional<StoredMark> current = read_stored_mark_file(change.file);
    StoredMark mark = current.value_or(StoredMark{});
    for (const std::size_t i : change.parts) {
      const SealedPart& part = *parts[i].part;
      mark.epoch_ms = std::max(mark.epoch_ms, part.name.epoch_ms);
      if (const std::optional<PartNumber> numbered = part_number_of_manifest(parts[i].manifest);
          numbered && numbered->number > mark.part_number) {
        mark.part_number = numbered->number;
        mark.part_key = part.name.part_key();
      }
    }
    if (current && *current == mark) continue;
    change.text = mark_text(mark);
    ++writes;
  }
  // Every temporary file is durable before any is renamed, so a power loss never leaves a mark whose
  // name survived and whose text did not: an fdatasync for one, one syncfs for several.
  const bool sync_together = writes > 1;
  const auto write = sync_together ? write_unsynced_file : write_synced_file;
  std::vector<std::filesystem::path> dirs;
  for (MarkChange& change : changes) {
    if (change.text.empty()) continue;
    const std::filesystem::path dir = change.file.parent_path();
    if (std::ranges::find(dirs, dir) == dirs.end()) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        change.status = Status::from_errno(ec.value(), "create directory " + dir.string());
        continue;
      }
      dirs.push_back(dir);
    }
    change.status = write(temp_path_of(change.file), change.text);
  }
  Status group = sync_together && !dirs.empty() ? sync_file_system(dirs.front()) : Status::ok();
  for (MarkChange& change : changes) {
    if (change.text.empty() || !change.status) continue;
    if (group) change.status = rename_file(temp_path_of(change.file), change.file);
    if (!group || !change.status) static_cast<void>(remove_file(temp_path_of(change.file)));
  }
  for (const std::filesystem::path& dir : dirs) {
    if (Status synced = fsync_directory(dir); !synced && group) group = synced;
  }
  std::vector<Status> out(parts.size(), group);
  for (const MarkChange& change : changes) {
    if (!change.status) {
      for (const std::size_t i : change.parts) out[i] = change.status;
    }
  }
  return out;
}

std::vector<HeadWriter> stored_writers(const SpoolLayout& layout, std::string_view prefix,
                                       std::string_view instance_id) {
  std::vector<HeadWriter> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(layout.stored_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    // A crash may leave a mark's temporary file: what it says was never made the mark.
    if (it->path().filename().string().ends_with(kTempSuffix)) continue;
    const std::optional<StoredMark> mark = read_stored_mark_file(it->path());
    if (!mark || mark->part_number == 0) continue;
    const std::optional<PartName> name = parse_part_key(mark->part_key);
    if (!name || name->kind != PartKind::kData || name->prefix != prefix || name->instance_id != instance_id) continue;
    out.push_back({.stream = name->stream, .symbol = name->symbol, .part_number = mark->part_number,
                   .part_key = mark->part_key});
  }
  std::sort(out.begin(), out.end(), [](const HeadWriter& a, const HeadWriter& b) {
    return std::tie(a.stream, a.symbol) < std::tie(b.stream, b.symbol);
  });
  return out;
}

}  // namespace mc
