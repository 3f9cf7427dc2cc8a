#pragma once
// What was built: the project version, the git commit (short hash, "-dirty" when tracked files had
// changes, "unknown" outside git) and the CMake build type. --version and the build_info metric show
// it, so an operator can tell which code a collector runs. Defined in a file generated at build time
// (cmake/write_build_info.cmake), so a new commit recompiles that one file.

#include <string_view>

namespace mc {

struct BuildInfo {
  std::string_view version;     // 0.1.0
  std::string_view commit;      // 1a2b3c4, 1a2b3c4-dirty or unknown
  std::string_view build_type;  // RelWithDebInfo
};

BuildInfo build_info();

}  // namespace mc
