"""The reading examples of docs/S3_LAYOUT.md and docs/AUDIT.md, run as written over a generated store.

Fenced blocks whose first line is `-- tested` (SQL, run with the DuckDB of tests/athena, the one
integration.athena_sql uses) or `# tested` (Python with pandas) run in a temporary directory holding
the paths the examples name, with trades whose keys differ only in case as Binance's do (e/E, t/T,
m/M), a REST-backfilled line, and files the examples' globs must leave out. Needs node and npm
(tests/athena, `npm ci` when missing) and python3 with pandas (Debian 12: python3-pandas): without
them the test FAILS. No collector binary; ~3 s.
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import harness
from test_athena_sql import ATHENA_DIR, SQL_TIMEOUT_SECS, ensure_duckdb

SOURCE_DIR = harness.source_dir()
PART_DIR = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/44"
EXPORT_DIR = "export/symbol=BTCUSDT/dt=2026-11-25/05"


def trade_line(symbol, trade_id, price, event_ms, maker, src=None):
    data = {"e": "trade", "E": event_ms, "s": symbol, "t": trade_id, "p": f"{price:.8f}", "q": "0.00100000",
            "T": event_ms - 1, "m": maker, "M": True}
    record = {"recv_us": event_ms * 1000 + 123, "stream": f"{symbol.lower()}@trade", "data": data}
    if src:
        record["src"] = src
    return json.dumps(record, separators=(",", ":"))


def write_gzip(root, path, lines):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with gzip.open(full, "wt", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def tested_blocks(doc, language, marker):
    with open(os.path.join(SOURCE_DIR, "docs", doc), encoding="utf-8") as f:
        text = f.read()
    return re.findall(rf"```{language}\n{re.escape(marker)}\n(.*?)```", text, re.S)


class DocExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ensure_duckdb()
        cls.tmp = tempfile.TemporaryDirectory(prefix="mc-docs-")
        root = cls.tmp.name
        # Two parts of the documented minute, out of id order across files, one line from REST.
        cls.part_trades = [(4619270193 + i, 97000.0 + i, 1739141040000 + i, i % 2 == 0) for i in range(5)]
        write_gzip(root, f"{PART_DIR}/part-i-0abc-1739141042831.jsonl.gz",
                   [trade_line("BTCUSDT", *t) for t in cls.part_trades[3:]])
        write_gzip(root, f"{PART_DIR}/part-i-0abc-1739141040001.jsonl.gz",
                   [trade_line("BTCUSDT", *t) for t in cls.part_trades[:2]] +
                   [trade_line("BTCUSDT", *cls.part_trades[2], src="rest")])
        # What the examples' globs must not read: the manifest beside the parts, the minute before.
        with open(os.path.join(root, PART_DIR, "manifest-i-0abc-1739141040001.json"), "w") as f:
            json.dump({"record_count": 3, "sha256": "0" * 64}, f)
        write_gzip(root, PART_DIR.replace("/44", "/43") + "/part-i-0abc-1739141038200.jsonl.gz",
                   [trade_line("BTCUSDT", 4619270100, 1.0, 1739141038200, True)])
        # An --export directory: two minutes of BTCUSDT and another symbol.
        cls.export_trades = [(1000 + i, 50000.5 + i, 1795582800000 + i * 30_000, True) for i in range(4)]
        write_gzip(root, f"{EXPORT_DIR}/00.jsonl.gz", [trade_line("BTCUSDT", *t) for t in cls.export_trades[:2]])
        write_gzip(root, f"{EXPORT_DIR}/01.jsonl.gz", [trade_line("BTCUSDT", *cls.export_trades[2]),
                                                       trade_line("BTCUSDT", *cls.export_trades[3], src="rest")])
        write_gzip(root, "export/symbol=ETHUSDT/dt=2026-11-25/05/00.jsonl.gz",
                   [trade_line("ETHUSDT", 7, 3000.0, 1795582800000, False)])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_sql(self, sql):
        node = shutil.which("node")
        if node is None:
            raise AssertionError("node is not on PATH: install Node.js to run the documentation's DuckDB examples")
        proc = subprocess.run([node, os.path.join(ATHENA_DIR, "run_sql.js"), "-e", sql], cwd=self.tmp.name,
                              capture_output=True, text=True, timeout=SQL_TIMEOUT_SECS)
        self.assertEqual(proc.returncode, 0, f"{proc.stderr[-3000:]}\n{sql}")
        return json.loads(proc.stdout)[0]

    def test_s3_layout_duckdb_example_reads_the_minutes_parts_in_id_order(self):
        blocks = tested_blocks("S3_LAYOUT.md", "sql", "-- tested")
        self.assertEqual(len(blocks), 1, "the tested SQL blocks of docs/S3_LAYOUT.md")
        rows = self.run_sql(blocks[0])
        self.assertEqual([(int(r["id"]), r["price"], int(r["event_ms"]), int(r["trade_ms"]), r["buyer_is_maker"])
                          for r in rows],
                         [(t, p, e, e - 1, m) for t, p, e, m in self.part_trades])
        self.assertEqual([int(r["recv_us"]) for r in rows], [e * 1000 + 123 for _, _, e, _ in self.part_trades])

    def test_audit_duckdb_example_reads_one_symbols_export(self):
        blocks = tested_blocks("AUDIT.md", "sql", "-- tested")
        self.assertEqual(len(blocks), 1, "the tested SQL blocks of docs/AUDIT.md")
        rows = self.run_sql(blocks[0])
        self.assertEqual([(int(r["id"]), r["price"], int(r["trade_ms"]), r["src"]) for r in rows],
                         [(t, p, e - 1, "rest" if i == 3 else None)
                          for i, (t, p, e, _) in enumerate(self.export_trades)])

    def test_s3_layout_pandas_example_builds_the_same_table(self):
        blocks = tested_blocks("S3_LAYOUT.md", "python", "# tested")
        self.assertEqual(len(blocks), 1, "the tested Python blocks of docs/S3_LAYOUT.md")
        script = blocks[0] + "\nprint(trades.to_json(orient='records'))\n"
        proc = subprocess.run([sys.executable, "-c", script], cwd=self.tmp.name, capture_output=True, text=True,
                              timeout=SQL_TIMEOUT_SECS)
        if "No module named 'pandas'" in proc.stderr:
            raise AssertionError(f"{sys.executable} has no pandas: install python3-pandas (scripts/install-deps.sh)")
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        rows = json.loads(proc.stdout)
        self.assertEqual([(r["id"], r["price"], r["qty"], r["event_ms"], r["trade_ms"]) for r in rows],
                         [(t, p, 0.001, e, e - 1) for t, p, e, _ in self.part_trades])


if __name__ == "__main__":
    unittest.main()
