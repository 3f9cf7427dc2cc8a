#pragma once
// One in-memory DuckDB database and a connection to it, through DuckDB's C API in a libduckdb.so
// opened at run time (dlopen): the collector and its image never load it. duckdb.h stays inside
// duckdb_session.cpp.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

// The environment variable naming libduckdb.so; unset: where scripts/install-deps.sh puts it.
inline constexpr std::string_view kLibDuckDbEnv = "MC_LIBDUCKDB";

// default_library_path(): the path this build was configured with (third_party/duckdb/...).
std::filesystem::path default_duckdb_library();

struct DuckDbSettings {
  std::filesystem::path temp_directory;  // where DuckDB spills what does not fit in memory
  unsigned threads = 1;
};

using DuckDbRow = std::vector<std::optional<std::string>>;  // each value as DuckDB renders it; nullopt: NULL

class DuckDbSession {
 public:
  // kFatal when the library cannot be loaded or lacks the C API (the message names the path, what
  // to install and kLibDuckDbEnv), when this build has no duckdb.h, or when the database cannot open.
  // Extensions are never installed or loaded from the network: json and parquet are built in.
  static Result<DuckDbSession> open(const std::filesystem::path& library, const DuckDbSettings& settings);

  DuckDbSession(DuckDbSession&&) noexcept;
  DuckDbSession& operator=(DuckDbSession&&) noexcept;
  DuckDbSession(const DuckDbSession&) = delete;
  DuckDbSession& operator=(const DuckDbSession&) = delete;
  ~DuckDbSession();

  // Runs statements; kFatal with DuckDB's error. query() returns the last statement's rows.
  Status run(std::string_view sql);
  Result<std::vector<DuckDbRow>> query(std::string_view sql);

  std::string version() const;  // "v1.4.4"

 private:
  struct Impl;
  explicit DuckDbSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc
