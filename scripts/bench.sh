#!/usr/bin/env bash
# Sets up, builds (release preset) and runs the end-to-end benchmark: prints the performance
# targets table of docs/PERFORMANCE.md with what this machine measured.
#   ./scripts/bench.sh                         every scenario (about 4 minutes)
#   ./scripts/bench.sh --scenarios python-ref  any of python-ref,throughput,steady,many,startup
# Other options: python3 bench/e2e.py --help. Figures also go to build/release/bench-e2e.json.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target market-collector mc_floor mc_wakeup_cost
exec /usr/bin/python3 bench/e2e.py --collector build/release/src/app/market-collector \
  --floor build/release/bench/mc_floor --wakeup-cost build/release/bench/mc_wakeup_cost \
  --json build/release/bench-e2e.json "$@"
