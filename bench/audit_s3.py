#!/usr/bin/env python3
"""What `audit --jobs N` buys on S3: `market-collector audit --deep` against moto, through the fault
proxy, once with requests passed straight through and once with every answer held back --delay-ms
(the round trip of a real bucket), for each N of --jobs.

  python3 bench/audit_s3.py --collector build/release/src/app/market-collector \
      [--minutes 5] [--instances 3] [--rate 100] [--delay-ms 50] [--jobs 1,4,16] [--repeat 3]

Run it with the python3 that has moto and boto3 (the one the S3 integration tests use, MC_MOTO_PYTHON).
It starts moto with IAM enforced (tests/integration/s3_support.py), writes one symbol's store into the
bucket (--instances copies of --minutes of trades at --rate a second, one part per 5 s window and
instance, each with the manifest the collector would write), runs the deep audit as the "reader" user
through tests/integration/fault_proxy.py and checks that it is clean, then prints a table: the median
wall time of --repeat runs, requests sent, parts and MB of lines per second, and the audit's CPU time.
Everything runs on loopback; moto and the proxy share the machine's cores with the audit.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import gzip
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from fault_proxy import Fault, FaultProxy  # noqa: E402
from s3_support import MotoS3  # noqa: E402

SYMBOL = "BTCUSDT"
START_MS = 1_795_582_800_000  # 2026-11-25T05:00:00Z
WINDOW_MS = 5_000             # ROT_SECS 5: one part per window and instance
FIRST_ID = 4_619_270_193
GZIP_LEVEL = 6
AUDIT_TIMEOUT_SECS = 600
UPLOAD_THREADS = 8


def part_lines(first_id: int, count: int, window_ms: int, instance: int) -> bytes:
    """count trades spread over the window, received a few ms later by each instance."""
    lines = []
    for i in range(count):
        trade_id = first_id + i
        event_ms = window_ms + i * WINDOW_MS // count
        recv_us = (event_ms + 3 + instance) * 1000 + 517
        lines.append(
            f'{{"recv_us":{recv_us},"stream":"btcusdt@trade","data":{{"e":"trade","E":{event_ms},"s":"{SYMBOL}",'
            f'"t":{trade_id},"p":"{97000 + trade_id % 50}.{trade_id % 100:02}000000","q":"0.{trade_id % 99991:05}000",'
            f'"T":{event_ms - 1},"m":{"true" if trade_id % 3 == 0 else "false"},"M":true}}}}\n')
    return "".join(lines).encode()


def key_folder(epoch_ms: int) -> str:
    t = time.gmtime(epoch_ms // 1000)
    return (f"raw/exchange=binance/stream=trade/symbol={SYMBOL}/dt={t.tm_year:04}-{t.tm_mon:02}-{t.tm_mday:02}/"
            f"{t.tm_hour:02}/{t.tm_min:02}/")


def sealed_part(instance_id: str, instance: int, window_ms: int, first_id: int, count: int) -> list[tuple[str, bytes]]:
    """The part and its manifest, as the collector's sealer writes them (docs/S3_LAYOUT.md)."""
    lines = part_lines(first_id, count, window_ms, instance)
    gz = gzip.compress(lines, compresslevel=GZIP_LEVEL, mtime=0)
    epoch_ms = window_ms + 3 + instance
    part_key = f"{key_folder(epoch_ms)}part-{instance_id}-{epoch_ms}.jsonl.gz"
    events = [window_ms + i * WINDOW_MS // count for i in range(count)]
    manifest = {
        "version": "1",
        "source": {"exchange": "binance", "stream": "trade", "symbol": SYMBOL, "instance_id": instance_id},
        "payload": {"s3_key": part_key, "record_count": count, "bytes_uncompressed": len(lines),
                    "bytes_gzip": len(gz), "time_min_ms": min(events), "time_max_ms": max(events),
                    "id_first": first_id, "id_last": first_id + count - 1,
                    "sha256": hashlib.sha256(gz).hexdigest()},
        "created_at_ms": window_ms + WINDOW_MS + 50,
        "extra": {"kind": "data", "id_gaps": [], "id_gaps_truncated": False, "bad_lines": 0, "trimmed_bytes": 0,
                  "gzip_level": GZIP_LEVEL},
    }
    manifest_key = f"{key_folder(epoch_ms)}manifest-{instance_id}-{epoch_ms}.json"
    return [(part_key, gz), (manifest_key, json.dumps(manifest).encode())]


def fill_bucket(moto: MotoS3, minutes: int, instances: int, rate: int) -> tuple[int, int]:
    """Uploads the store; (parts, bytes of lines)."""
    per_part = rate * WINDOW_MS // 1000
    objects = []
    for window in range(minutes * 60_000 // WINDOW_MS):
        for instance in range(instances):
            objects += sealed_part(f"i-bench-{instance}", instance, START_MS + window * WINDOW_MS,
                                   FIRST_ID + window * per_part, per_part)
    s3 = moto.client("s3", moto.admin)
    with concurrent.futures.ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        for done in pool.map(lambda kv: s3.put_object(Bucket=moto.bucket, Key=kv[0], Body=kv[1]), objects):
            assert done["ResponseMetadata"]["HTTPStatusCode"] == 200
    parts = len(objects) // 2
    lines_bytes = sum(len(gzip.decompress(body)) for key, body in objects if key.endswith(".jsonl.gz"))
    return parts, lines_bytes


def audit_once(collector: str, moto: MotoS3, endpoint: str, jobs: int, minutes: int) -> tuple[float, float, dict]:
    """One deep audit of the range; (wall seconds, CPU seconds of the audit process, its JSON report)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RAW_BUCKET": moto.bucket, "S3_ENDPOINT": endpoint,
           "AWS_REGION": moto.region, "SYMBOL": SYMBOL, "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true", **moto.reader.env()}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run([collector, "audit", "--deep", "--json", "--jobs", str(jobs), "--from", str(START_MS),
                           "--to", str(START_MS + minutes * 60_000)],
                          env=env, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_SECS)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"audit --jobs {jobs} exited {proc.returncode}: {proc.stderr[-2000:]}{proc.stdout[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collector", required=True, help="the market-collector binary (a release build)")
    parser.add_argument("--minutes", type=int, default=5, help="minutes of trades in the store (default 5)")
    parser.add_argument("--instances", type=int, default=3, help="copies of each trade (default 3)")
    parser.add_argument("--rate", type=int, default=100, help="trades a second (default 100)")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="added to every answer (default 50)")
    parser.add_argument("--jobs", default="1,4,16", help="comma list of --jobs values (default 1,4,16)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell; the median is shown (default 3)")
    args = parser.parse_args()
    jobs_list = [int(j) for j in args.jobs.split(",")]

    with MotoS3() as moto:
        parts, lines_bytes = fill_bucket(moto, args.minutes, args.instances, args.rate)
        print(f"store: {parts} parts ({args.instances} instances x {args.minutes} min, {args.rate} trades/s, "
              f"5 s parts), {lines_bytes / 1e6:.1f} MB of lines; moto {moto.endpoint_url}", flush=True)
        rows = []
        for delay_ms in (0.0, args.delay_ms):
            with FaultProxy(moto.endpoint_url) as proxy:
                if delay_ms > 0:
                    proxy.add_rule(Fault.delay(delay_ms / 1000))
                for jobs in jobs_list:
                    walls, cpus = [], []
                    requests = 0
                    for _ in range(args.repeat):
                        sent = proxy.request_count
                        wall, cpu, report = audit_once(args.collector, moto, proxy.url, jobs, args.minutes)
                        requests = proxy.request_count - sent
                        counted = report["symbols"][0]["parts"]
                        if counted != parts or report["findings"]:
                            raise RuntimeError(f"audit counted {counted} of {parts} parts: {report['findings'][:3]}")
                        walls.append(wall)
                        cpus.append(cpu)
                    wall = statistics.median(walls)
                    rows.append((delay_ms, jobs, wall, requests, parts / wall, lines_bytes / 1e6 / wall,
                                 statistics.median(cpus)))
                    print(f"  delay {delay_ms:g} ms, --jobs {jobs}: {wall:.2f} s (runs: "
                          f"{', '.join(f'{w:.2f}' for w in walls)})", flush=True)

    print()
    print("| added delay per request | --jobs | wall (median) | requests | parts/s | MB of lines/s | audit CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for delay_ms, jobs, wall, requests, parts_s, mb_s, cpu in rows:
        print(f"| {delay_ms:g} ms | {jobs} | {wall:.2f} s | {requests} | {parts_s:.0f} | {mb_s:.1f} | {cpu:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
