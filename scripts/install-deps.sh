#!/usr/bin/env bash
# Installs what market-collector needs on Debian 12: the Debian packages, DuckDB's C API for the
# `ohlcv` command (npm, third_party/duckdb), the npm packages of tests/athena and tests/infra, and a
# python3 with moto for the S3 integration tests.
#   ./scripts/install-deps.sh               everything ./scripts/test.sh needs
#   ./scripts/install-deps.sh --build-only  what ./scripts/run.sh needs (no Node.js, no moto)
#   ./scripts/install-deps.sh --compile-only  the toolchain and libraries of the market-collector target
#                                             alone (the Dockerfile's build stage; configure with
#                                             -DMC_BUILD_TESTS=OFF -DMC_BUILD_BENCH=OFF)
# Idempotent: when everything is present it only runs dpkg queries, two file compares and one import.
# The moto python is, in order: $MC_MOTO_PYTHON; .venv/ made with pip from
# tests/integration/requirements.txt when the package index ($PIP_INDEX_URL, default PyPI) answers;
# else an existing python3 (pyenv's shims, then PATH) that imports the pinned moto, boto3 and awscli.
# Its path goes to build/moto-python, which test.sh hands to CMake as MC_MOTO_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."

compile_packages=(
  # toolchain
  g++ cmake ninja-build pkg-config
  # libraries (headers + link libraries)
  libboost1.81-dev libssl-dev libcurl4-openssl-dev libsimdjson-dev libdeflate-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
)
build_packages=(
  # version control (compiling does not need it)
  git
  # tests and benchmarks; bench/python_reference.py (the seed-style Python collector bench/e2e.py
  # compares against) uses websockets
  libgtest-dev libgmock-dev libbenchmark-dev python3-websockets
  # the fake exchange's certificate, the integration tests (stdlib + jsonschema), static.kubernetes (PyYAML)
  openssl ca-certificates python3 python3-jsonschema python3-yaml
  # static analysis
  clang-tidy
)
test_packages=(
  # tests/athena (DuckDB) and tests/infra (HCL parser) run on Node.js
  nodejs
  # integration.doc_examples runs docs/S3_LAYOUT.md's pandas example, integration.doc_shell the
  # runbook's curl lines, integration.doc_shell_s3 its audit piped through jq
  python3-pandas curl jq
  # cpack -G DEB for package.deb
  file dpkg-dev
  # the S3 tests' tools as Debian has them, and the venv for moto (Debian 12 has no python3-moto)
  awscli python3-boto3 python3-venv
  # integration.container: builds and runs the image (docs/CONTAINER.md) with base images made locally
  podman runc debootstrap
  # static.monitoring: promtool checks and unit-tests deploy/monitoring's alert rules (Debian ships it in
  # the prometheus package only)
  prometheus
)
# NodeSource's nodejs bundles npm and conflicts with Debian's npm package.
if ! command -v npm >/dev/null; then test_packages+=(npm); fi

with_tests=1
packages=("${compile_packages[@]}" "${build_packages[@]}")
case "${1:-}" in
  "") packages+=("${test_packages[@]}") ;;
  --build-only) with_tests=0 ;;
  --compile-only) with_tests=0; packages=("${compile_packages[@]}") ;;
  *) echo "install-deps: unknown option '$1' (expected --build-only, --compile-only or nothing)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # Debian 12 ships Boost 1.74 as the default libboost-dev; 1.81 conflicts with it.
  $sudo apt-get update -qq || true
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Only promtool is wanted. Under systemd the package starts a Prometheus server on :9090; stop it
  # (in a container or chroot policy-rc.d or the missing systemd already kept it from starting).
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now prometheus >/dev/null 2>&1 &&
      echo "install-deps: stopped and disabled the prometheus service the package started (promtool is what the tests use)"
  fi
fi

# Commit subjects of at most 72 characters (scripts/hooks/commit-msg), unless the clone chose hooks
# of its own. Not in the image build (--compile-only), which has no repository.
if [ "${1:-}" != "--compile-only" ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
   [ -z "$(git config --get core.hooksPath 2>/dev/null)" ]; then
  git config core.hooksPath scripts/hooks && echo "install-deps: git hooks from scripts/hooks"
fi

# `ohlcv` (docs/OHLCV.md): duckdb.h and libduckdb.so from npm, pinned by third_party/duckdb's lockfile.
# Debian 12 packages no Parquet writer. --ignore-scripts: the duckdb package's own install script would
# download a Node.js addon; only its header is used. x86-64 only (ARM64 needs
# @duckdb/node-bindings-linux-arm64 of the same version in the lockfile).
install_duckdb() {
  local dir=third_party/duckdb
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-package-lock.json"; then return 0; fi
  if ! command -v npm >/dev/null; then
    echo "install-deps: npm is missing: market-collector ohlcv needs libduckdb.so from npm (apt-get install npm)" >&2
    return 0
  fi
  echo "install-deps: npm ci in $dir (DuckDB's C API for market-collector ohlcv)"
  if ! npm ci --prefix "$dir" --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null; then
    echo "install-deps: npm ci in $dir failed: the npm registry (or a proxy in npm's config) must answer" >&2
    exit 1
  fi
  cp "$dir/package-lock.json" "$dir/node_modules/.installed-package-lock.json"
}
if [ "${1:-}" != "--compile-only" ]; then install_duckdb; fi

if [ "$with_tests" -eq 0 ]; then exit 0; fi

# npm ci from each lockfile; the copy of the lockfile in node_modules/ says that install is current.
for dir in tests/athena tests/infra; do
  stamp="$dir/node_modules/.installed-package-lock.json"
  if cmp -s "$dir/package-lock.json" "$stamp"; then continue; fi
  echo "install-deps: npm ci in $dir"
  if ! npm ci --prefix "$dir" --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null; then
    echo "install-deps: npm ci in $dir failed: the npm registry (or a proxy in npm's config) must answer" >&2
    exit 1
  fi
  cp "$dir/package-lock.json" "$stamp"
done

requirements=tests/integration/requirements.txt
moto_version=$(sed -n 's/^moto\[server\]==//p' "$requirements")
has_moto() {
  "$1" -c "import sys, moto, boto3, awscli; sys.exit(moto.__version__ != '$moto_version')" >/dev/null 2>&1
}

# Keeps the import check to one run when .venv/ already matches the requirements.
venv_current() {
  cmp -s "$requirements" .venv/installed-requirements.txt && has_moto .venv/bin/python3
}

index_answers() {
  python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" \
    "${PIP_INDEX_URL:-https://pypi.org/simple}/moto/" >/dev/null 2>&1
}

moto_python=""
if [ -n "${MC_MOTO_PYTHON:-}" ]; then
  if ! has_moto "$MC_MOTO_PYTHON"; then
    echo "install-deps: MC_MOTO_PYTHON=$MC_MOTO_PYTHON cannot import moto $moto_version, boto3 and awscli" >&2
    exit 1
  fi
  moto_python="$MC_MOTO_PYTHON"
elif venv_current; then
  moto_python="$PWD/.venv/bin/python3"
elif index_answers; then
  echo "install-deps: installing $requirements into .venv/"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" .venv/installed-requirements.txt
  moto_python="$PWD/.venv/bin/python3"
else
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}/shims/python3" "$HOME/.pyenv/shims/python3" \
                   $(type -P -a python3); do
    if [ -x "$candidate" ] && has_moto "$candidate"; then moto_python="$candidate"; break; fi
  done
fi
if [ -z "$moto_python" ]; then
  echo "install-deps: missing a python3 with moto $moto_version, boto3 and awscli for the S3 tests" \
       "(the Python package index does not answer, so .venv/ cannot be made):" \
       "set MC_MOTO_PYTHON=/path/to/python3 that has them, or PIP_INDEX_URL to a reachable index" >&2
  exit 1
fi
mkdir -p build
if [ "$(cat build/moto-python 2>/dev/null)" != "$moto_python" ]; then
  echo "$moto_python" > build/moto-python
fi
echo "install-deps: S3 tests use $moto_python"
