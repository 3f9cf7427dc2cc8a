#!/usr/bin/env bash
# clang-tidy over every source file of src/ (uses the debug preset's compile_commands.json).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset debug >/dev/null
find src -name '*.cpp' | sort | xargs -P "$(nproc)" -n 4 clang-tidy -p build/debug --quiet 2>/dev/null
