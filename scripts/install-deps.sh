#!/usr/bin/env bash
# Installs the Debian 12 packages market-collector needs to build, test and run.
# Idempotent: when everything is present it only runs dpkg queries and exits.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git
  # libraries (headers + link libraries)
  libboost1.81-dev libssl-dev libcurl4-openssl-dev libsimdjson-dev libdeflate-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the fake exchange's certificate, the integration tests (stdlib + jsonschema)
  openssl ca-certificates python3 python3-jsonschema
  # static analysis
  clang-tidy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Debian 12 ships Boost 1.74 as the default libboost-dev; 1.81 conflicts with it.
$sudo apt-get update -qq || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
