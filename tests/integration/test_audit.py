"""`market-collector audit --offline` (docs/AUDIT.md) over a store written by two collectors: the store
alone, as before the audit asked the exchange (test_audit_exchange.py covers that).

Two instances (separate spools, one LOCAL_STORE_DIR) record the fake exchange; a deep audit of the
range finds the union of their ids equal to what the exchange sent and exits 0. Then one part is
deleted and a byte of another is flipped: the audit exits 1 and names both. `--export DIR` over
such a store writes each id of the union exactly once, ascending, in minute files Python reads.

Needs MC_COLLECTOR_BIN and MC_SOURCE_DIR (CTest sets both).
"""
import gzip
import hashlib
import json
import os
import subprocess
import tempfile
import time
import unittest

import harness
import store_reader
from collector_process import (COLLECTOR, SYMBOLS, next_ids, start_instance, wait_caught_up, wait_for,
                               wait_produced)

RATE = 100      # trades per second per symbol
RUN_TRADES = 300  # per symbol: three seconds at RATE
AUDIT_TIMEOUT_SECS = 60
START_MARGIN_MS = 120_000  # the range starts well before the recording
# and ends a minute after it: within the audit's grace for heads (2 min), since a range that runs on
# long after every instance stopped is, rightly, not clean (instance_stopped).
END_MARGIN_MS = 60_000


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class AuditTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-audit-")
        self.addCleanup(self.tmp.cleanup)
        self.store = os.path.join(self.tmp.name, "store")

    def start_instance(self, exchange, instance_id, metrics_port):
        return start_instance(self, self.tmp.name, exchange, instance_id, self.store, ROT_SECS=1,
                              METRICS_ADDR=f"127.0.0.1:{metrics_port}")

    def record(self):
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=RATE, start_paused=True) as exchange:
            ports = [harness.free_port() for _ in range(2)]
            collectors = [self.start_instance(exchange, name, port)
                          for name, port in zip(("i-audit-a", "i-audit-b"), ports)]
            wait_for(lambda: exchange.stats()["clients"] >= 2, 15, "two collectors to connect")
            since = next_ids(exchange)
            exchange.resume()
            wait_produced(exchange, RUN_TRADES, since)
            # Trades in flight when SIGTERM arrives are not the collectors' to lose: stop producing
            # and wait until both have received the last ones sent.
            exchange.pause()
            wait_caught_up(exchange, ports)
            for collector in collectors:
                self.assertEqual(collector.stop(), 0, collector.log_text()[-3000:])
            return exchange.stats()

    def audit_env(self):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOCAL_STORE_DIR": self.store,
                "SYMBOL": ",".join(SYMBOLS), "LOCAL_DIR": os.path.join(self.tmp.name, "unused-spool")}

    def audit(self, from_ms, to_ms, *extra):
        env = self.audit_env()
        proc = subprocess.run([COLLECTOR, "audit", "--offline", "--json", "--deep", "--from", str(from_ms),
                               "--to", str(to_ms), *extra],
                              env=env, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_SECS)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        return proc.returncode, json.loads(proc.stdout)

    def test_union_equals_sent_then_deleted_and_flipped_parts_are_named(self):
        start_ms = int(time.time() * 1000)
        stats = self.record()
        from_ms, to_ms = start_ms - START_MARGIN_MS, int(time.time() * 1000) + END_MARGIN_MS

        code, report = self.audit(from_ms, to_ms)
        self.assertEqual(code, 0, json.dumps(report, indent=1)[-3000:])
        self.assertEqual(report["findings"], [])
        self.assertEqual(report["mode"], "deep")
        by_symbol = {s["symbol"]: s for s in report["symbols"]}
        self.assertEqual(sorted(by_symbol), sorted(SYMBOLS))
        for symbol in SYMBOLS:
            sent = store_reader.expand_ranges(stats["symbols"][symbol]["sent"])
            self.assertTrue(sent, f"the exchange sent nothing for {symbol}")
            got = by_symbol[symbol]
            self.assertEqual((got["first_id"], got["last_id"]), (min(sent), max(sent)), symbol)
            self.assertEqual(got["missing_count"], 0, symbol)
            self.assertEqual(got["ids"], len(sent), symbol)
            self.assertEqual(sorted(i["instance_id"] for i in got["instances"]), ["i-audit-a", "i-audit-b"])
            self.assertGreaterEqual(got["duplicates_ratio"], 1.0)

        parts = sorted(os.path.relpath(os.path.join(root, f), self.store)
                       for root, _dirs, files in os.walk(self.store) for f in files
                       if f.startswith("part-") and f.endswith(".jsonl.gz") and "/.incoming" not in root)
        self.assertGreaterEqual(len(parts), 2)
        deleted, flipped = parts[0], parts[-1]
        os.remove(os.path.join(self.store, deleted))
        with open(os.path.join(self.store, flipped), "r+b") as f:
            f.seek(20)
            byte = f.read(1)
            f.seek(20)
            f.write(bytes([byte[0] ^ 0x40]))

        code, report = self.audit(from_ms, to_ms)
        self.assertEqual(code, 1, json.dumps(report, indent=1)[-3000:])
        found = {(f["kind"], f["key"]) for f in report["findings"]}
        manifest_of_deleted = deleted.replace("/part-", "/manifest-").replace(".jsonl.gz", ".json")
        self.assertIn(("orphan_manifest", manifest_of_deleted), found)
        self.assertIn(("sha256_mismatch", flipped), found)
        self.assertEqual(len(found), 2, found)

    def test_export_holds_the_union_once_ascending(self):
        start_ms = int(time.time() * 1000)
        stats = self.record()
        from_ms, to_ms = start_ms - START_MARGIN_MS, int(time.time() * 1000) + END_MARGIN_MS
        out = os.path.join(self.tmp.name, "export")

        code, report = self.audit(from_ms, to_ms, "--export", out)
        self.assertEqual(code, 0, json.dumps(report, indent=1)[-3000:])
        with open(os.path.join(out, "_export.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        self.assertTrue(manifest["complete"])
        self.assertEqual(manifest["findings"], [])
        listed = {f["path"]: f for f in manifest["files"]}
        on_disk = sorted(os.path.relpath(os.path.join(root, name), out)
                         for root, _dirs, files in os.walk(out) for name in files if name != "_export.json")
        self.assertEqual(sorted(listed), on_disk)
        by_symbol = {s["symbol"]: s for s in manifest["symbols"]}
        for symbol in SYMBOLS:
            ids = []
            for path in sorted(p for p in listed if p.startswith(f"symbol={symbol}/")):
                with open(os.path.join(out, path), "rb") as f:
                    raw = f.read()
                self.assertEqual(hashlib.sha256(raw).hexdigest(), listed[path]["sha256"], path)
                lines = [json.loads(line) for line in gzip.decompress(raw).decode("utf-8").splitlines()]
                self.assertEqual(len(lines), listed[path]["lines"], path)
                file_ids = [line["data"]["t"] for line in lines]
                self.assertEqual(file_ids, sorted(set(file_ids)), path)  # ascending, each once
                minute = time.strftime("%Y-%m-%d/%H/%M", time.gmtime(lines[0]["data"]["T"] // 1000))
                self.assertEqual(path, f"symbol={symbol}/dt={minute}.jsonl.gz")
                self.assertTrue(all(line["data"]["T"] // 60_000 == lines[0]["data"]["T"] // 60_000
                                    for line in lines), path)
                ids.extend(file_ids)
            sent = store_reader.expand_ranges(stats["symbols"][symbol]["sent"])
            self.assertEqual(len(ids), len(set(ids)), symbol)
            self.assertEqual(sorted(ids), sorted(sent), symbol)
            self.assertEqual(by_symbol[symbol]["ids"], len(sent), symbol)
            self.assertEqual(by_symbol[symbol]["missing_count"], 0, symbol)

        # a second export into the same directory is refused as a usage error
        again = subprocess.run([COLLECTOR, "audit", "--offline", "--from", str(from_ms), "--to", str(to_ms),
                                "--export", out],
                               env=self.audit_env(), capture_output=True, text=True, timeout=AUDIT_TIMEOUT_SECS)
        self.assertEqual(again.returncode, 2, again.stderr)
        self.assertIn("already holds an export", again.stderr)

    def test_what_is_absent_is_not_clean_and_each_absence_is_named(self):
        """A store that is not there, a range nobody collected, and a range that runs on long after
        every instance stopped: nothing in them contradicts itself, and none is clean."""
        start_ms = int(time.time() * 1000)
        self.record()
        stopped_ms = int(time.time() * 1000)

        def kinds(report):
            return sorted({(f["kind"], f["key"]) for f in report["findings"]})

        code, report = self.audit(start_ms - START_MARGIN_MS, stopped_ms + END_MARGIN_MS)
        self.assertEqual((code, report["findings"]), (0, []), json.dumps(report, indent=1)[-3000:])

        # Every instance stopped ten minutes before the range ends: their heads say when.
        code, report = self.audit(start_ms - START_MARGIN_MS, stopped_ms + 600_000)
        self.assertEqual(code, 1)
        self.assertEqual(kinds(report), [("instance_stopped", "i-audit-a"), ("instance_stopped", "i-audit-b")])
        self.assertIn("a clean stop", report["findings"][0]["reason"])

        # A day before anything was collected: no symbol has a part, yet the prefix holds heads.
        code, report = self.audit(start_ms - 86_400_000, start_ms - 82_800_000)
        self.assertEqual(code, 1)
        self.assertEqual(kinds(report), [("no_data", symbol) for symbol in sorted(SYMBOLS)])

        # A store root that does not exist, and the table a person reads says why.
        env = dict(self.audit_env(), LOCAL_STORE_DIR=os.path.join(self.tmp.name, "no-such-store"))
        proc = subprocess.run([COLLECTOR, "audit", "--offline", "--deep", "--from", str(start_ms), "--to",
                               str(stopped_ms)],
                              env=env, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_SECS)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("empty_store", proc.stdout)
        self.assertIn("result: PROBLEMS (exit 1)", proc.stdout)
        self.assertNotIn("result: clean", proc.stdout)


if __name__ == "__main__":
    unittest.main()
