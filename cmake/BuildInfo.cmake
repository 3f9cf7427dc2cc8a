# mc_build_info_source: regenerates <build>/generated/build_info.cpp (version, git commit, build type;
# see common/build_info.hpp) at every build, touching it only when the commit or the tree's state
# changed; the target that compiles it depends on this one. The container build has no .git:
# -DMC_GIT_COMMIT=<hash> names the commit there, else it is "unknown".

set(MC_GIT_COMMIT "" CACHE STRING "Commit reported by --version and build_info; empty: ask git at build time")

set(MC_BUILD_INFO_SOURCE "${PROJECT_BINARY_DIR}/generated/build_info.cpp")
set(mc_build_type "${CMAKE_BUILD_TYPE}")
if(mc_build_type STREQUAL "")
  set(mc_build_type none)
endif()
add_custom_target(mc_build_info_source
  COMMAND "${CMAKE_COMMAND}" "-DOUT=${MC_BUILD_INFO_SOURCE}" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
          "-DVERSION=${PROJECT_VERSION}" "-DBUILD_TYPE=${mc_build_type}" "-DCOMMIT_OVERRIDE=${MC_GIT_COMMIT}"
          -P "${PROJECT_SOURCE_DIR}/cmake/write_build_info.cmake"
  BYPRODUCTS "${MC_BUILD_INFO_SOURCE}"
  COMMENT "build info: version, commit, build type"
  VERBATIM)
