#include "audit/store_reader.hpp"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "common/file_util.hpp"
#include "store/local_store.hpp"

namespace mc {

LocalStoreReader::LocalStoreReader(const std::filesystem::path& root) : root_(std::filesystem::absolute(root)) {}

Result<std::vector<StoredObject>> LocalStoreReader::list(std::string_view prefix) const {
  // Walk only the deepest directory the prefix names, then keep the keys that start with it.
  const std::size_t slash = prefix.rfind('/');
  const std::string_view dir_key = slash == std::string_view::npos ? std::string_view{} : prefix.substr(0, slash);
  const std::filesystem::path start = dir_key.empty() ? root_ : root_ / std::filesystem::path(dir_key);

  std::vector<StoredObject> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(start, ec)) return out;
  std::filesystem::recursive_directory_iterator it(start, ec);
  if (ec) return Status::from_errno(ec.value(), fmt::format("listing {}", start.string()));
  for (const auto end = std::filesystem::recursive_directory_iterator(); it != end; it.increment(ec)) {
    if (ec) return Status::from_errno(ec.value(), fmt::format("listing {}", start.string()));
    const std::filesystem::path relative = it->path().lexically_relative(root_);
    if (it.depth() == 0 && dir_key.empty() && relative == std::filesystem::path(kIncomingDir)) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::string key = relative.generic_string();
    if (!key.starts_with(prefix)) continue;
    const std::uintmax_t size = it->file_size(ec);
    if (ec) return Status::from_errno(ec.value(), fmt::format("size of {}", key));
    out.push_back({std::move(key), static_cast<std::uint64_t>(size)});
  }
  std::sort(out.begin(), out.end(), [](const StoredObject& a, const StoredObject& b) { return a.key < b.key; });
  return out;
}

Result<std::string> LocalStoreReader::get(std::string_view key) const {
  if (Status valid = validate_object_key(key); !valid) return valid;
  const std::filesystem::path path = root_ / std::filesystem::path(key);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::corrupt(fmt::format("{}: object vanished", key));
  return read_file(path);
}

Result<std::vector<std::string>> StoreReader::list_folders(std::string_view prefix) const {
  Result<std::vector<StoredObject>> objects = list(prefix);
  if (!objects) return objects.status();
  std::vector<std::string> folders;
  for (const StoredObject& object : *objects) {
    const std::size_t slash = object.key.find('/', prefix.size());
    if (slash == std::string::npos) continue;
    std::string folder = object.key.substr(0, slash + 1);
    if (folders.empty() || folders.back() != folder) folders.push_back(std::move(folder));
  }
  return folders;
}

Result<std::vector<std::string>> LocalStoreReader::list_folders(std::string_view prefix) const {
  std::vector<std::string> folders;
  if (!prefix.empty() && prefix.back() != '/') return StoreReader::list_folders(prefix);
  const std::filesystem::path dir = prefix.empty() ? root_ : root_ / std::filesystem::path(prefix);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return folders;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Status::from_errno(ec.value(), fmt::format("listing {}", dir.string()));
  for (const auto end = std::filesystem::directory_iterator(); it != end; it.increment(ec)) {
    if (ec) return Status::from_errno(ec.value(), fmt::format("listing {}", dir.string()));
    const std::string name = it->path().filename().string();
    if (!it->is_directory(ec) || (prefix.empty() && name == kIncomingDir)) continue;
    folders.push_back(std::string(prefix) + name + "/");
  }
  std::sort(folders.begin(), folders.end());
  return folders;
}

std::string LocalStoreReader::describe() const { return "local:" + root_.string(); }

}  // namespace mc
