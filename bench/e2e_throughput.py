#!/usr/bin/env python3
"""End-to-end throughput of the collector: a blast of trades from the fake exchange, through the
collector (TLS, parse, spool, seal, local store), measured by the collector's own CPU time.

  /usr/bin/python3 bench/e2e_throughput.py --collector build/release/src/app/market-collector \
      --trades 1000000 --symbols BTCUSDT [--plain]

Prints one JSON object: trades, bytes received on the wire, bytes stored (uncompressed and gzip),
the collector's user+system CPU seconds, wall seconds, MB/s per core (uncompressed bytes stored per
CPU second) and peak RSS. Figures go to docs/PERFORMANCE.md with the command and the machine.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(market_collector_\w+) (\d+)$", text, re.M)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collector", required=True)
    parser.add_argument("--trades", type=int, default=1_000_000, help="trades per symbol")
    parser.add_argument("--symbols", default="BTCUSDT")
    parser.add_argument("--plain", action="store_true", help="ws:// instead of wss://")
    parser.add_argument("--gzip-level", type=int, default=6)
    args = parser.parse_args()
    symbols = args.symbols.split(",")
    total = args.trades * len(symbols)

    with tempfile.TemporaryDirectory(prefix="mc-bench-") as tmp:
        with harness.start_fake_exchange(tls=not args.plain, symbols=symbols, rate=0, total=args.trades,
                                         start_paused=True) as exchange:
            metrics_port = harness.free_port()  # after the exchange took its port, so they cannot collide
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "BINANCE_WS_URL": exchange.url,
                "SYMBOL": ",".join(symbols),
                "LOCAL_DIR": os.path.join(tmp, "spool"),
                "LOCAL_STORE_DIR": os.path.join(tmp, "store"),
                "INSTANCE_ID": "bench",
                "METRICS_ADDR": f"127.0.0.1:{metrics_port}",
                "GZIP_LEVEL": str(args.gzip_level),
                "LOG_LEVEL": "warn",
            }
            if exchange.ca_file:
                env["TLS_CA_FILE"] = exchange.ca_file
            collector = subprocess.Popen([args.collector], env=env)
            try:
                deadline = time.monotonic() + 20
                while exchange.stats()["clients"] < 1:
                    if time.monotonic() > deadline:
                        raise SystemExit("the collector did not connect")
                    time.sleep(0.05)
                started = time.monotonic()
                exchange.resume()
                deadline = time.monotonic() + 600
                while True:
                    metrics = scrape(metrics_port)
                    if metrics.get("market_collector_records_routed_total", 0) >= total:
                        break
                    if time.monotonic() > deadline or collector.poll() is not None:
                        raise SystemExit(f"stalled at {metrics.get('market_collector_records_routed_total')} of {total}")
                    time.sleep(0.05)
                collector.send_signal(signal.SIGTERM)
                # wait4 gives the collector's own rusage (RUSAGE_CHILDREN would add the fake exchange).
                _pid, status, usage = os.wait4(collector.pid, 0)
                collector.returncode = os.waitstatus_to_exitcode(status)
                code = collector.returncode
                wall = time.monotonic() - started
            finally:
                if collector.poll() is None:
                    collector.kill()
                    collector.wait()
        stored_raw = stored_gz = records = 0
        for root, _dirs, files in os.walk(os.path.join(tmp, "store")):
            for name in files:
                if name.startswith("manifest-"):
                    with open(os.path.join(root, name)) as f:
                        payload = json.load(f)["payload"]
                    stored_raw += payload["bytes_uncompressed"]
                    stored_gz += payload["bytes_gzip"]
                    records += payload["record_count"]
        cpu = usage.ru_utime + usage.ru_stime
        print(json.dumps({
            "exit_code": code,
            "trades": total,
            "records_stored": records,
            "wire_bytes": metrics.get("market_collector_ws_bytes_total"),
            "stored_bytes_uncompressed": stored_raw,
            "stored_bytes_gzip": stored_gz,
            "cpu_seconds": round(cpu, 3),
            "wall_seconds": round(wall, 3),
            "mb_per_s_per_core": round(stored_raw / 1e6 / cpu, 1) if cpu else None,
            "trades_per_cpu_second": round(records / cpu) if cpu else None,
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "tls": not args.plain,
            "gzip_level": args.gzip_level,
        }, indent=2))


if __name__ == "__main__":
    main()
