#!/usr/bin/env python3
"""Throughput of `market-collector ohlcv` on a local store: trades curated and bars written per second.

  python3 bench/ohlcv_local.py --collector build/release/src/app/market-collector \
      [--minutes 60] [--instances 3] [--rate 100] [--jobs 2] [--busy-trades-per-day 3000000]

Writes one symbol's store under a temporary directory (--instances copies of --minutes of trades at
--rate a second, one part per 5 s window and instance with its manifest, as bench/audit_s3.py builds
them), runs `ohlcv` over the store's day, checks _curated.json (complete, every trade once), and
prints the wall and CPU time, unique trades per second, and a day of a symbol trading
--busy-trades-per-day extrapolated linearly from that rate.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from audit_s3 import FIRST_ID, START_MS, SYMBOL, WINDOW_MS, sealed_part  # noqa: E402

DAY_MS = 86_400_000
OHLCV_TIMEOUT_SECS = 3600


def write_store(root: str, minutes: int, instances: int, rate: int) -> int:
    """The store's parts and manifests; returns the unique trades."""
    per_part = rate * WINDOW_MS // 1000
    windows = minutes * 60_000 // WINDOW_MS
    for window in range(windows):
        for instance in range(instances):
            for key, body in sealed_part(f"i-bench-{instance}", instance, START_MS + window * WINDOW_MS,
                                         FIRST_ID + window * per_part, per_part):
                path = os.path.join(root, key)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(body)
    return windows * per_part


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collector", required=True, help="the market-collector binary (a release build)")
    parser.add_argument("--minutes", type=int, default=60, help="minutes of trades in the store (default 60)")
    parser.add_argument("--instances", type=int, default=3, help="copies of each trade (default 3)")
    parser.add_argument("--rate", type=int, default=100, help="trades a second (default 100)")
    parser.add_argument("--jobs", type=int, default=2, help="ohlcv --jobs (default 2)")
    parser.add_argument("--busy-trades-per-day", type=int, default=3_000_000,
                        help="trades a day of the busy symbol to extrapolate to (default 3,000,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mc-ohlcv-bench-") as tmp:
        store = os.path.join(tmp, "store")
        trades = write_store(store, args.minutes, args.instances, args.rate)
        day = START_MS // DAY_MS * DAY_MS
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOCAL_STORE_DIR": store,
               "LOCAL_DIR": os.path.join(tmp, "spool"), "SYMBOL": SYMBOL}
        if "MC_LIBDUCKDB" in os.environ:
            env["MC_LIBDUCKDB"] = os.environ["MC_LIBDUCKDB"]
        out = os.path.join(tmp, "out")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc = subprocess.run([args.collector, "ohlcv", "--from", str(day), "--to", str(day + DAY_MS), "--out", out,
                               "--jobs", str(args.jobs)], env=env, capture_output=True, text=True,
                              timeout=OHLCV_TIMEOUT_SECS)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        with open(os.path.join(out, "_curated.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        written = sum(d["trades"] for s in manifest["symbols"] for d in s["days"])
        bars = sum(d["bars"] for s in manifest["symbols"] for d in s["days"])
        if written != trades:
            print(f"ohlcv wrote {written} trades, the store holds {trades}", file=sys.stderr)
            return 1
        parquet = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs
                      if f.endswith(".parquet"))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rate = trades / wall
        print(f"store: {args.instances} instances x {args.minutes} min x {args.rate} trades/s = {trades} trades, "
              f"{trades * args.instances} lines")
        print(f"ohlcv --jobs {args.jobs}: {wall:.1f} s wall, {cpu:.1f} s CPU, {bars} bars, "
              f"{parquet / 1e6:.1f} MB of Parquet, complete={manifest['complete']}")
        print(f"throughput: {rate:,.0f} unique trades/s ({rate * args.instances:,.0f} lines/s)")
        print(f"a day of {args.busy_trades_per_day:,} trades ({args.instances} copies): "
              f"~{args.busy_trades_per_day / rate / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
