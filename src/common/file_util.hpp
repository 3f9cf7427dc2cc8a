#pragma once
// Durable file operations. Every state change on disk goes through write_file_atomic or
// rename_durable, or their parts (write_synced_file, rename_file, fsync_directory) in the same order:
// write to a temporary name, fdatasync, rename, fsync the directory.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

// Suffix of temporary files; start-up removes any it finds in the spool.
inline constexpr std::string_view kTempSuffix = ".tmp";

// Writes every byte to fd (retrying short writes and EINTR); path names the file in errors.
Status write_all(int fd, std::string_view bytes, const std::filesystem::path& path);
// path with kTempSuffix appended: where write_file_atomic writes before it renames.
std::filesystem::path temp_path_of(const std::filesystem::path& path);
// Creates (or truncates) path, writes every byte and fdatasyncs it; removes it on failure. Its name
// is not durable until its directory is fsynced: meant for a temporary file renamed afterwards.
Status write_synced_file(const std::filesystem::path& path, std::string_view bytes);
// The same without the fdatasync: for files that one sync_file_system makes durable, together with
// others, before any of them is renamed.
Status write_unsynced_file(const std::filesystem::path& path, std::string_view bytes);
// Writes bytes to path.tmp, fdatasyncs it, renames it over path and fsyncs the directory.
Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes);
// Renames without a directory fsync: for several renames in one directory made durable by one
// fsync_directory afterwards.
Status rename_file(const std::filesystem::path& from, const std::filesystem::path& to);
// Renames and fsyncs the target's directory.
Status rename_durable(const std::filesystem::path& from, const std::filesystem::path& to);
Status fsync_directory(const std::filesystem::path& dir);
// syncfs(2) of the file system holding path: every write made before it, to any file and directory
// there, is durable after it. One call (one cache flush) instead of an fsync per file, for many files.
Status sync_file_system(const std::filesystem::path& path);
Status remove_file(const std::filesystem::path& path);  // missing is not an error
Result<std::string> read_file(const std::filesystem::path& path);
// The whole file read into buffer, whose memory is reused from call to call: the view covers the
// file's bytes, and the buffer may be longer. For a thread reading file after file (the sealer).
Result<std::string_view> read_file_into(const std::filesystem::path& path, std::string& buffer);
// Creates the directory (and parents) and checks a file can be created, written and removed in it.
Status ensure_writable_directory(const std::filesystem::path& dir);
// Whether the file system holding dir has at least min_free_bytes available to this user. True when
// it cannot be asked (statvfs fails): then write(2) is left to judge.
bool has_free_space(const std::filesystem::path& dir, std::uint64_t min_free_bytes);

// The size of the file system holding path and what of it is free to this user (statvfs f_bavail:
// what the spool's writers can still use, less the blocks reserved for root).
struct FileSystemSpace {
  std::uint64_t size_bytes = 0;
  std::uint64_t available_bytes = 0;
};
Result<FileSystemSpace> file_system_space(const std::filesystem::path& path);

}  // namespace mc
