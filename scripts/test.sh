#!/usr/bin/env bash
# Sets up, builds and runs every test (unit + integration) — the project's test command.
#   ./scripts/test.sh            debug build (warnings are errors)
#   ./scripts/test.sh asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-debug}"

./scripts/install-deps.sh
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)"
