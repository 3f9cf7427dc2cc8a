#!/usr/bin/python3
"""A REFERENCE FOR THE BENCHMARK, NOT A PRODUCT: the collector as a first Python version would
write it (asyncio + the websockets package + gzip + hashlib), so that bench/e2e.py can put the
collector's CPU beside it on the same feed in the same run (scenario python-ref).

It does what the collector does to a trade, in the simplest way: reads Binance's combined
@trade stream, stamps each message with its receive time into the collector's line format
({"recv_us":N,<the message's members>}), parses it for the manifest's numbers, and rotates its
part at 2 MiB or at the 5 s window's end: gzip level 6, SHA-256, the part and a manifest written
and fsynced into --out. No spool, no recovery, no store, no reconnects, no backfill: it is the
floor of a Python collector, not one to run.

  /usr/bin/python3 bench/python_reference.py --url wss://HOST:PORT --symbol BTCUSDT --out DIR \
      [--ca-file CA.pem] [--records N]

With --records N it seals what it holds and exits 0 once N trades were received; it prints
"CONNECTED" on stdout once the stream is open.
"""
import argparse
import asyncio
import gzip
import hashlib
import json
import os
import ssl
import sys
import time

import websockets

ROT_BYTES = 2 * 1024 * 1024
WINDOW_US = 5_000_000
GZIP_LEVEL = 6


class Part:
    """The lines of one open part and the manifest's numbers, counted as they are appended."""

    def __init__(self, window):
        self.window = window
        self.lines = []
        self.bytes = 0
        self.count = 0
        self.id_first = self.id_last = None
        self.time_min = self.time_max = None

    def add(self, line, trade_id, event_ms):
        self.lines.append(line)
        self.bytes += len(line)
        self.count += 1
        if self.id_first is None:
            self.id_first = trade_id
            self.time_min = self.time_max = event_ms
        self.id_last = trade_id
        self.time_min, self.time_max = min(self.time_min, event_ms), max(self.time_max, event_ms)


def write_synced(path, data):
    temp = path + ".tmp"
    with open(temp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(temp, path)


def seal(part, symbol, out, sequence):
    raw = b"".join(part.lines)
    body = gzip.compress(raw, compresslevel=GZIP_LEVEL)
    name = f"{symbol}-{part.window // 1000}-{sequence:06d}"
    write_synced(os.path.join(out, f"part-{name}.jsonl.gz"), body)
    manifest = {"payload": {"record_count": part.count, "bytes_uncompressed": part.bytes, "bytes_gzip": len(body),
                            "time_min_ms": part.time_min, "time_max_ms": part.time_max,
                            "id_first": part.id_first, "id_last": part.id_last,
                            "sha256": hashlib.sha256(body).hexdigest()}}
    write_synced(os.path.join(out, f"manifest-{name}.json"), json.dumps(manifest).encode() + b"\n")


async def collect(args):
    context = None
    if args.url.startswith("wss:"):
        context = ssl.create_default_context(cafile=args.ca_file)
    url = f"{args.url}/stream?streams={args.symbol.lower()}@trade"
    part, sequence, received = None, 0, 0
    async with websockets.connect(url, ssl=context, max_size=None) as ws:
        print("CONNECTED", flush=True)
        async for message in ws:
            recv_us = time.time_ns() // 1000
            data = json.loads(message)["data"]
            body = message.encode() if isinstance(message, str) else message
            line = b'{"recv_us":%d,' % recv_us + body[body.index(b"{") + 1:] + b"\n"
            window = recv_us - recv_us % WINDOW_US
            if part is not None and (part.window != window or part.bytes + len(line) > ROT_BYTES):
                seal(part, args.symbol, args.out, sequence)
                sequence += 1
                part = None
            if part is None:
                part = Part(window)
            part.add(line, data["t"], data["E"])
            received += 1
            if args.records and received >= args.records:
                break
    if part is not None:
        seal(part, args.symbol, args.out, sequence)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the exchange's WebSocket base URL: wss://HOST:PORT")
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--out", required=True, help="directory for the parts and manifests")
    parser.add_argument("--ca-file", help="CA certificate for a wss:// URL")
    parser.add_argument("--records", type=int, default=0, help="exit after this many trades (0: never)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    try:
        asyncio.run(collect(args))
    except (OSError, websockets.WebSocketException) as e:
        sys.exit(f"python_reference: {e}")


if __name__ == "__main__":
    main()
