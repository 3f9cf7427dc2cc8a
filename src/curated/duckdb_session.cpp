#include "curated/duckdb_session.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

#if MC_HAVE_DUCKDB_H
#include <duckdb.h>
#endif

namespace mc {

std::filesystem::path default_duckdb_library() { return MC_DEFAULT_LIBDUCKDB; }

#if MC_HAVE_DUCKDB_H

namespace {

// The C API functions the session calls, looked up by name in the loaded library.
struct DuckDbApi {
  decltype(&duckdb_create_config) create_config = nullptr;
  decltype(&duckdb_set_config) set_config = nullptr;
  decltype(&duckdb_destroy_config) destroy_config = nullptr;
  decltype(&duckdb_open_ext) open_ext = nullptr;
  decltype(&duckdb_close) close = nullptr;
  decltype(&duckdb_connect) connect = nullptr;
  decltype(&duckdb_disconnect) disconnect = nullptr;
  decltype(&duckdb_query) query = nullptr;
  decltype(&duckdb_result_error) result_error = nullptr;
  decltype(&duckdb_destroy_result) destroy_result = nullptr;
  decltype(&duckdb_row_count) row_count = nullptr;
  decltype(&duckdb_column_count) column_count = nullptr;
  decltype(&duckdb_value_is_null) value_is_null = nullptr;
  decltype(&duckdb_value_varchar) value_varchar = nullptr;
  decltype(&duckdb_free) free = nullptr;
  decltype(&duckdb_library_version) library_version = nullptr;
};

template <typename Fn>
bool resolve(void* library, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(::dlsym(library, name));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  return fn != nullptr;
}

// Closes the dlopen handle; DuckDB's objects are gone by then (Impl's destructor order).
struct LibraryHandle {
  void* handle = nullptr;
  LibraryHandle() = default;
  explicit LibraryHandle(void* h) : handle(h) {}
  LibraryHandle(const LibraryHandle&) = delete;
  LibraryHandle& operator=(const LibraryHandle&) = delete;
  ~LibraryHandle() {
    if (handle != nullptr) (void)::dlclose(handle);
  }
};

}  // namespace

struct DuckDbSession::Impl {
  LibraryHandle library;
  DuckDbApi api;
  duckdb_database database = nullptr;
  duckdb_connection connection = nullptr;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (connection != nullptr) api.disconnect(&connection);
    if (database != nullptr) api.close(&database);
  }
};

Result<DuckDbSession> DuckDbSession::open(const std::filesystem::path& library, const DuckDbSettings& settings) {
  auto impl = std::make_unique<Impl>();
  impl->library.handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (impl->library.handle == nullptr) {
    const char* why = ::dlerror();  // NOLINT(concurrency-mt-unsafe): ohlcv opens one library, before any thread
    return Status::fatal(fmt::format(
        "cannot load libduckdb ({}): {}; install it with scripts/install-deps.sh (npm package "
        "@duckdb/node-bindings-linux-x64, linux-arm64 on ARM) or set {} to its path",
        library.string(), why != nullptr ? why : "unknown error", kLibDuckDbEnv));
  }
  DuckDbApi& api = impl->api;
  void* h = impl->library.handle;
  const bool complete =
      resolve(h, "duckdb_create_config", api.create_config) && resolve(h, "duckdb_set_config", api.set_config) &&
      resolve(h, "duckdb_destroy_config", api.destroy_config) && resolve(h, "duckdb_open_ext", api.open_ext) &&
      resolve(h, "duckdb_close", api.close) && resolve(h, "duckdb_connect", api.connect) &&
      resolve(h, "duckdb_disconnect", api.disconnect) && resolve(h, "duckdb_query", api.query) &&
      resolve(h, "duckdb_result_error", api.result_error) && resolve(h, "duckdb_destroy_result", api.destroy_result) &&
      resolve(h, "duckdb_row_count", api.row_count) && resolve(h, "duckdb_column_count", api.column_count) &&
      resolve(h, "duckdb_value_is_null", api.value_is_null) && resolve(h, "duckdb_value_varchar", api.value_varchar) &&
      resolve(h, "duckdb_free", api.free) && resolve(h, "duckdb_library_version", api.library_version);
  if (!complete) {
    return Status::fatal(fmt::format("{} is not a libduckdb with the C API this build needs (DuckDB 1.4); set {} "
                                     "to the libduckdb.so scripts/install-deps.sh installs",
                                     library.string(), kLibDuckDbEnv));
  }
  duckdb_config config = nullptr;
  if (api.create_config(&config) != DuckDBSuccess) return Status::fatal("duckdb: cannot create a configuration");
  const std::string threads = std::to_string(settings.threads);
  const std::string temp = settings.temp_directory.string();
  bool configured = api.set_config(config, "autoinstall_known_extensions", "false") == DuckDBSuccess &&
                    api.set_config(config, "autoload_known_extensions", "false") == DuckDBSuccess &&
                    api.set_config(config, "threads", threads.c_str()) == DuckDBSuccess;
  if (configured && !temp.empty()) configured = api.set_config(config, "temp_directory", temp.c_str()) == DuckDBSuccess;
  char* error = nullptr;
  const bool opened = configured && api.open_ext(nullptr, &impl->database, config, &error) == DuckDBSuccess;
  api.destroy_config(&config);
  if (!opened) {
    const std::string why = error != nullptr ? error : "a setting was refused";
    if (error != nullptr) api.free(error);
    return Status::fatal(fmt::format("duckdb: cannot open an in-memory database: {}", why));
  }
  if (api.connect(impl->database, &impl->connection) != DuckDBSuccess) return Status::fatal("duckdb: cannot connect");
  return DuckDbSession(std::move(impl));
}

Result<std::vector<DuckDbRow>> DuckDbSession::query(std::string_view sql) {
  const DuckDbApi& api = impl_->api;
  duckdb_result result;
  const std::string text(sql);
  if (api.query(impl_->connection, text.c_str(), &result) != DuckDBSuccess) {
    const char* why = api.result_error(&result);
    Status status = Status::fatal(fmt::format("duckdb: {}", why != nullptr ? why : "query failed"));
    api.destroy_result(&result);
    return status;
  }
  std::vector<DuckDbRow> rows;
  const idx_t row_count = api.row_count(&result);
  const idx_t column_count = api.column_count(&result);
  rows.reserve(row_count);
  for (idx_t row = 0; row < row_count; ++row) {
    DuckDbRow values;
    values.reserve(column_count);
    for (idx_t column = 0; column < column_count; ++column) {
      if (api.value_is_null(&result, column, row)) {
        values.emplace_back(std::nullopt);
        continue;
      }
      char* value = api.value_varchar(&result, column, row);
      values.emplace_back(value != nullptr ? std::string(value) : std::string());
      if (value != nullptr) api.free(value);
    }
    rows.push_back(std::move(values));
  }
  api.destroy_result(&result);
  return rows;
}

std::string DuckDbSession::version() const { return impl_->api.library_version(); }

#else  // no duckdb.h at build time

struct DuckDbSession::Impl {};

Result<DuckDbSession> DuckDbSession::open(const std::filesystem::path& /*library*/,
                                          const DuckDbSettings& /*settings*/) {
  return Status::fatal(
      "this build has no DuckDB support: duckdb.h was not found when it was configured; run "
      "scripts/install-deps.sh (it installs the npm packages under third_party/duckdb) and build again");
}

Result<std::vector<DuckDbRow>> DuckDbSession::query(std::string_view /*sql*/) {
  return Status::fatal("this build has no DuckDB support");
}

std::string DuckDbSession::version() const { return {}; }

#endif

DuckDbSession::DuckDbSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DuckDbSession::DuckDbSession(DuckDbSession&&) noexcept = default;
DuckDbSession& DuckDbSession::operator=(DuckDbSession&&) noexcept = default;
DuckDbSession::~DuckDbSession() = default;

Status DuckDbSession::run(std::string_view sql) {
  Result<std::vector<DuckDbRow>> rows = query(sql);
  return rows ? Status::ok() : rows.status();
}

}  // namespace mc
