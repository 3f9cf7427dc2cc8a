#!/usr/bin/env bash
# Sets up, builds and runs the collector on the embedded default store (./data, no AWS needed).
#   ./scripts/run.sh               collect BTCUSDT from Binance into ./data/store
#   ./scripts/run.sh --offline     the same against the project's fake exchange on 127.0.0.1 (TLS)
# Settings come from the environment (see the README's configuration table); Ctrl-C stops cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --build-only
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target market-collector
binary=build/release/src/app/market-collector

if [ "${1:-}" != "--offline" ]; then
  exec "$binary" run
fi

# Offline: start the fake exchange with a fresh self-signed certificate and trust it.
tls_dir=data/fake-exchange-tls
mkdir -p "$tls_dir"
port_file=$(mktemp)
/usr/bin/python3 tools/fake_exchange.py --port 0 --tls-dir "$tls_dir" --ready-file "$port_file" --quiet >/dev/null &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null; rm -f "$port_file"' EXIT
for _ in $(seq 1 50); do [ -s "$port_file" ] && break; sleep 0.1; done
port=$(cat "$port_file")
echo "fake exchange on wss://127.0.0.1:$port; data lands in ${LOCAL_STORE_DIR:-./data/store}" >&2
# Foreground, so Ctrl-C reaches the collector, which drains before exiting.
BINANCE_WS_URL="wss://127.0.0.1:$port" TLS_CA_FILE="$tls_dir/ca.pem" SYMBOL="${SYMBOL:-BTCUSDT,ETHUSDT}" \
  "$binary" run
