#include "spool/stored_marks.hpp"

#include <charconv>
#include <string>
#include <system_error>

#include "common/file_util.hpp"

namespace mc {

std::optional<std::int64_t> read_stored_mark(const std::filesystem::path& mark_file) {
  const Result<std::string> text = read_file(mark_file);
  if (!text) return std::nullopt;
  std::int64_t epoch_ms = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, epoch_ms);
  if (ec != std::errc{} || (ptr != end && *ptr != '\n')) return std::nullopt;
  return epoch_ms;
}

Status raise_stored_mark(const std::filesystem::path& mark_file, std::int64_t epoch_ms) {
  const std::optional<std::int64_t> current = read_stored_mark(mark_file);
  if (current && *current >= epoch_ms) return Status::ok();
  std::error_code ec;
  std::filesystem::create_directories(mark_file.parent_path(), ec);
  if (ec) return Status::from_errno(ec.value(), "create directory " + mark_file.parent_path().string());
  return write_file_atomic(mark_file, std::to_string(epoch_ms) + "\n");
}

}  // namespace mc
