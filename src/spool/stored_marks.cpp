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

Status write_mark(const std::filesystem::path& mark_file, const StoredMark& mark) {
  std::error_code ec;
  std::filesystem::create_directories(mark_file.parent_path(), ec);
  if (ec) return Status::from_errno(ec.value(), "create directory " + mark_file.parent_path().string());
  std::string text = std::to_string(mark.epoch_ms);
  if (mark.part_number > 0) text += " " + std::to_string(mark.part_number) + " " + mark.part_key;
  return write_file_atomic(mark_file, text + "\n");
}

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

Status raise_stored_mark(const SealedPart& part, std::string_view manifest) {
  const std::optional<StoredMark> current = read_stored_mark_file(part.stored_mark);
  StoredMark mark = current.value_or(StoredMark{.epoch_ms = part.name.epoch_ms});
  mark.epoch_ms = std::max(mark.epoch_ms, part.name.epoch_ms);
  if (const std::optional<PartNumber> numbered = part_number_of_manifest(manifest);
      numbered && numbered->number > mark.part_number) {
    mark.part_number = numbered->number;
    mark.part_key = part.name.part_key();
  }
  if (current && *current == mark) return Status::ok();
  return write_mark(part.stored_mark, mark);
}

std::vector<HeadWriter> stored_writers(const SpoolLayout& layout, std::string_view prefix,
                                       std::string_view instance_id) {
  std::vector<HeadWriter> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(layout.stored_dir(), ec), end; !ec && it != end; it.increment(ec)) {
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
