#!/usr/bin/env bash
# Sets up, builds and runs every test (unit + integration) — the project's test command.
#   ./scripts/test.sh            debug build (warnings are errors)
#   ./scripts/test.sh asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-debug}"

./scripts/install-deps.sh
# The python3 with moto that install-deps.sh chose (.venv/, $MC_MOTO_PYTHON or an existing one).
cmake --preset "$preset" -DMC_MOTO_PYTHON="$(cat build/moto-python)"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)"
