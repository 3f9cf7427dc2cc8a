#!/usr/bin/env bash
# The layering rules (scripts/check_layers.py, also ctest static.layers), then clang-tidy over every
# source file of src/ (uses the debug preset's compile_commands.json).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/check_layers.py
cmake --preset debug >/dev/null
find src -name '*.cpp' | sort | xargs -P "$(nproc)" -n 4 clang-tidy -p build/debug --quiet 2>/dev/null
