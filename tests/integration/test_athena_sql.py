"""docs/ATHENA.md's views and completeness queries, run with DuckDB over a store written by three collectors.

Three instances (separate spools, one LOCAL_STORE_DIR) record the fake exchange; the third starts late,
so its copy lacks the first ids. The `-- query:` blocks of docs/ATHENA.md run unchanged on DuckDB
(npm @duckdb/node-api under tests/athena, installed with `npm ci` when missing), on top of
tests/athena/raw_trades.duckdb.sql, which stands in for the Glue table.

Needs MC_COLLECTOR_BIN, MC_SOURCE_DIR (CTest sets both), node and npm: without them the test FAILS.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
import store_reader
from collector_process import (COLLECTOR, SYMBOLS, next_ids, start_instance, wait_caught_up, wait_for,
                               wait_produced, wait_received_after)

SOURCE_DIR = harness.source_dir()
ATHENA_DIR = os.path.join(SOURCE_DIR, "tests", "athena")
DOC = os.path.join(SOURCE_DIR, "docs", "ATHENA.md")
QUERY_NAMES = ["trade_copies", "trades_dedup", "daily_completeness", "missing_ranges", "instance_missing_ranges"]
NPM_TIMEOUT_SECS = 180
SQL_TIMEOUT_SECS = 60
RATE = 100            # trades per second per symbol
LATE_START_TRADES = 250  # per symbol, what the third instance misses (2.5 s at RATE)
RUN_TRADES = 250         # per symbol, all three recording (2.5 s at RATE)


def ensure_duckdb():
    """Installs tests/athena's pinned packages when they are missing; fails (never skips) without npm."""
    if os.path.isdir(os.path.join(ATHENA_DIR, "node_modules", "@duckdb", "node-api")):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise AssertionError("npm is not on PATH: install Node.js (node and npm) to run the Athena SQL test")
    proc = subprocess.run([npm, "ci", "--prefix", ATHENA_DIR, "--no-audit", "--no-fund"],
                          capture_output=True, text=True, timeout=NPM_TIMEOUT_SECS)
    if proc.returncode != 0:
        raise AssertionError(f"npm ci --prefix {ATHENA_DIR} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def doc_queries():
    """The SQL blocks of docs/ATHENA.md whose first line is `-- query: <name>`, by name."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    out = {}
    for block in re.findall(r"```sql\n(.*?)```", text, re.S):
        m = re.match(r"-- query: (\w+)\n", block)
        if m:
            out[m.group(1)] = block
    return out


def run_sql(scripts):
    """Runs the scripts in order on one DuckDB database; returns the rows of each (list of dicts)."""
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not on PATH: install Node.js to run the Athena SQL test")
    args = [node, os.path.join(ATHENA_DIR, "run_sql.js")]
    for sql in scripts:
        args += ["-e", sql]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=SQL_TIMEOUT_SECS)
    if proc.returncode != 0:
        raise AssertionError(f"run_sql.js failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class AthenaSqlTest(unittest.TestCase):
    def setUp(self):
        ensure_duckdb()
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-athena-")
        self.addCleanup(self.tmp.cleanup)
        self.store = os.path.join(self.tmp.name, "store")

    def start_instance(self, exchange, instance_id, metrics_port):
        return start_instance(self, self.tmp.name, exchange, instance_id, self.store, ROT_SECS=2,
                              METRICS_ADDR=f"127.0.0.1:{metrics_port}")

    def record(self):
        """Three instances into one store, the third started late; returns the exchange's stats."""
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=RATE, start_paused=True) as exchange:
            ports = [harness.free_port() for _ in range(3)]
            early = [self.start_instance(exchange, name, port)
                     for name, port in zip(("i-early-a", "i-early-b"), ports)]
            wait_for(lambda: exchange.stats()["clients"] >= 2, 15, "two collectors to connect")
            since = next_ids(exchange)
            exchange.resume()
            wait_produced(exchange, LATE_START_TRADES, since)
            late = self.start_instance(exchange, "i-late-c", ports[2])
            wait_for(lambda: exchange.stats()["clients"] >= 3, 15, "the late collector to connect")
            wait_received_after(exchange, ports[2])
            wait_produced(exchange, RUN_TRADES, next_ids(exchange))
            # Trades in flight when SIGTERM arrives are not the collectors' to lose: stop producing and
            # wait until all three have received the last ones sent.
            exchange.pause()
            wait_caught_up(exchange, ports)
            for collector in early + [late]:
                self.assertEqual(collector.stop(), 0, collector.log_text()[-3000:])
            return exchange.stats()

    def test_doc_queries_deduplicate_and_find_the_late_instance_hole(self):
        stats = self.record()
        sent = {s: store_reader.expand_ranges(stats["symbols"][s]["sent"]) for s in SYMBOLS}
        for symbol in SYMBOLS:
            self.assertTrue(sent[symbol], f"the exchange sent nothing for {symbol}")
        parts, problems = store_reader.read_store(self.store)
        self.assertEqual(problems, [])
        late_ids = {s: {r["data"]["t"] for p in parts if p.instance == "i-late-c" and p.symbol == s
                        for r in p.records} for s in SYMBOLS}

        queries = doc_queries()
        self.assertEqual(sorted(queries), sorted(QUERY_NAMES), "the -- query: blocks of docs/ATHENA.md")
        with open(os.path.join(ATHENA_DIR, "raw_trades.duckdb.sql"), encoding="utf-8") as f:
            table = f.read().replace("@STORE@", self.store)
        probes = [
            'SELECT count(*) AS n, count(data.trade_id) AS with_id FROM raw_trades WHERE "$path" LIKE \'%/manifest-%\'',
            "SELECT symbol, trade_id FROM trades_dedup",
            "SELECT count(*) AS n FROM trade_copies",
        ]
        results = run_sql([table] + [queries[name] for name in QUERY_NAMES] + probes)
        by_name = dict(zip(QUERY_NAMES, results[1:1 + len(QUERY_NAMES)]))
        manifest_rows, dedup_rows, copies = results[1 + len(QUERY_NAMES):]

        # The table reads the manifests too (as Athena does); the views are what drop them.
        self.assertGreater(int(manifest_rows[0]["n"]), 0, "no manifest reached raw_trades")
        self.assertEqual(int(manifest_rows[0]["with_id"]), 0)
        # Three copies of most trades went in; one of each came out, and exactly the ids the exchange sent.
        dedup = [(row["symbol"], int(row["trade_id"])) for row in dedup_rows]
        self.assertEqual(len(dedup), len(set(dedup)), "trades_dedup repeats a (symbol, trade id)")
        self.assertGreater(int(copies[0]["n"]), 2 * len(dedup), "the store does not hold the instances' copies")
        for symbol in SYMBOLS:
            got = {t for s, t in dedup if s == symbol}
            self.assertEqual(sorted(sent[symbol] - got)[:20], [], f"{symbol}: ids missing from trades_dedup")
            self.assertEqual(sorted(got - sent[symbol])[:20], [], f"{symbol}: ids never sent")

        daily = by_name["daily_completeness"]
        self.assertEqual(sorted({row["symbol"] for row in daily}), sorted(SYMBOLS))
        for row in daily:
            self.assertEqual(int(row["missing"]), 0, row)
            self.assertEqual(int(row["expected"]), int(row["ids"]), row)
        for symbol in SYMBOLS:
            self.assertEqual(sum(int(r["ids"]) for r in daily if r["symbol"] == symbol), len(sent[symbol]))
        self.assertEqual(by_name["missing_ranges"], [])

        # Only the late instance lacks anything: the ids sent before it connected, one range per symbol.
        holes = sorted((r["symbol"], r["instance_id"], int(r["first_missing"]), int(r["last_missing"]),
                        int(r["missing"])) for r in by_name["instance_missing_ranges"])
        expected = []
        for symbol in SYMBOLS:
            self.assertTrue(late_ids[symbol], f"the late instance stored nothing for {symbol}")
            first, last = min(sent[symbol]), min(late_ids[symbol]) - 1
            self.assertGreater(last - first + 1, RATE, f"{symbol}: the late start made no real hole")
            self.assertEqual(late_ids[symbol], set(range(last + 1, max(sent[symbol]) + 1)), symbol)
            expected.append((symbol, "i-late-c", first, last, last - first + 1))
        self.assertEqual(holes, expected)


if __name__ == "__main__":
    unittest.main()
