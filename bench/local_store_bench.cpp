// Storing a sealed part in the local store: a hard link of the spool's sealed file under the key,
// then an fsync of the key's directory. What 1,000 symbols pay 400 times a second.
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/file_util.hpp"
#include "store/local_store.hpp"

namespace {

namespace fs = std::filesystem;

void BM_LocalStorePutLinked(benchmark::State& state) {
  std::string dir_template = (fs::temp_directory_path() / "mc-bench-store-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const fs::path root = dir_template;
  const fs::path sealed = root / "sealed.gz";
  mc::LocalStore store(root / "store");
  std::uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // The spool's sealed file; its name goes after each put, as the uploader removes it.
    if (!mc::write_file_atomic(sealed, "part bytes")) {
      state.SkipWithError("cannot write the sealed file");
      break;
    }
    // 1,000 symbols' directories, as many symbols spread their keys.
    const std::string key = "raw/symbol=S" + std::to_string(n % 1000) + "/part-" + std::to_string(n) + ".jsonl.gz";
    ++n;
    state.ResumeTiming();
    if (!store.put(mc::PutRequest{key, "part bytes", "application/gzip", "", sealed})) {
      state.SkipWithError("put failed");
      break;
    }
  }
  std::error_code ec;
  fs::remove_all(root, ec);
}
BENCHMARK(BM_LocalStorePutLinked)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();

}  // namespace
