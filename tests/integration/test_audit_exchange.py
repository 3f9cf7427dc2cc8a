"""`market-collector audit` against the exchange's truth (docs/AUDIT.md, "The exchange's ids"): the
audit asks the fake exchange's aggTrades which ids it published in [from, to) and names those the
store lacks before its first id (a late start) or after its last (an early stop); a store that is
not there and a range nobody collected are not clean either, and an exchange that cannot be reached
makes the audit say so (exit 3) rather than "clean".

Needs MC_COLLECTOR_BIN and MC_SOURCE_DIR (CTest sets both).
"""
import json
import os
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness
from collector_process import (COLLECTOR, SYMBOLS, newest_sent, next_ids, start_instance, wait_caught_up, wait_for,
                               wait_produced, wait_received_after)

RATE = 100          # trades per second per symbol
RUN_TRADES = 300    # per symbol, while a collector records
GAP_TRADES = 200    # per symbol, while none does
AUDIT_TIMEOUT_SECS = 60
START_MARGIN_MS = 120_000
FUTURE_MS = 60_000  # a range end in the future: the exchange has no trade after it yet


def now_ms():
    return int(time.time() * 1000)


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class AuditExchangeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-audit-x-")
        self.addCleanup(self.tmp.cleanup)
        self.store = os.path.join(self.tmp.name, "store")
        self.exchange = harness.start_fake_exchange(symbols=SYMBOLS, rate=RATE, start_paused=True)
        self.addCleanup(self.exchange.stop)
        self.port = harness.free_port()

    def start_collector(self):
        collector = start_instance(self, self.tmp.name, self.exchange, "i-x",
                                   self.store, ROT_SECS=1, METRICS_ADDR=f"127.0.0.1:{self.port}")
        wait_for(lambda: self.exchange.stats()["clients"] >= 1, 15, "the collector to connect")
        return collector

    def stop_caught_up(self, collector):
        """Pauses the exchange, waits until the collector has every trade sent, stops it cleanly;
        returns the newest id stored per symbol."""
        self.exchange.pause()
        stats = wait_caught_up(self.exchange, self.port)
        self.assertEqual(collector.stop(), 0, collector.log_text()[-3000:])
        return {symbol: newest_sent(stats, symbol) for symbol in SYMBOLS}

    def first_id_at(self, symbol, t_ms):
        """The exchange's own answer: f of the first aggregate at or after t_ms."""
        query = urllib.parse.urlencode({"symbol": symbol, "startTime": t_ms, "limit": 1})
        rows = self.exchange.get(f"/api/v3/aggTrades?{query}").json()
        self.assertEqual(len(rows), 1, f"no trade of {symbol} at or after {t_ms}")
        return rows[0]["f"]

    def audit(self, from_ms, to_ms, *extra, **env):
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOCAL_STORE_DIR": self.store,
                "SYMBOL": ",".join(SYMBOLS), "LOCAL_DIR": os.path.join(self.tmp.name, "unused-spool"),
                "BINANCE_REST_URL": self.exchange.rest_url}
        proc = subprocess.run([COLLECTOR, "audit", "--json", "--from", str(from_ms), "--to", str(to_ms), *extra],
                              env={**base, **env}, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_SECS)
        self.assertIn(proc.returncode, (0, 1, 3), proc.stderr)
        return proc.returncode, json.loads(proc.stdout), proc.stderr

    @staticmethod
    def findings(report, kind):
        return {f["key"]: f["reason"] for f in report["findings"] if f["kind"] == kind}

    def test_complete_store_is_clean_and_an_early_stop_names_the_ids_at_the_end(self):
        start = now_ms()
        collector = self.start_collector()
        since = next_ids(self.exchange)
        self.exchange.resume()
        wait_produced(self.exchange, RUN_TRADES, since)
        last_stored = self.stop_caught_up(collector)

        # Every id the exchange published is stored: clean, and the report says what it asked.
        code, report, stderr = self.audit(start - START_MARGIN_MS, now_ms() + FUTURE_MS)
        self.assertEqual((code, report["findings"]), (0, []), stderr + json.dumps(report, indent=1)[-3000:])
        self.assertEqual(report["exchange"], self.exchange.rest_url)
        for symbol in report["symbols"]:
            self.assertEqual((symbol["exchange"]["first_id"], symbol["exchange"]["last_id"]),
                             (since[symbol["symbol"]], last_stored[symbol["symbol"]]))
            self.assertEqual((symbol["exchange"]["missing_start_count"], symbol["exchange"]["missing_end_count"]),
                             (0, 0))

        # --symbols-from-store audits what the store holds, whatever SYMBOL says.
        code, report, stderr = self.audit(start - START_MARGIN_MS, now_ms() + FUTURE_MS, "--symbols-from-store",
                                          SYMBOL="SOLUSDT")
        self.assertEqual(code, 0, stderr)
        self.assertEqual(sorted(s["symbol"] for s in report["symbols"]), sorted(SYMBOLS))

        # The exchange goes on after the collector stopped: a range ending then misses those ids.
        self.exchange.resume()
        wait_produced(self.exchange, GAP_TRADES, next_ids(self.exchange))
        end = now_ms()
        wait_produced(self.exchange, GAP_TRADES, next_ids(self.exchange))  # trades after `end` exist
        code, report, stderr = self.audit(start - START_MARGIN_MS, end)
        self.assertEqual(code, 1, stderr)
        missing_end = self.findings(report, "missing_end")
        self.assertEqual(sorted(missing_end), sorted(SYMBOLS), report["findings"])
        self.assertEqual({f["kind"] for f in report["findings"]}, {"missing_end"})  # no instance_stopped
        for symbol in report["symbols"]:
            name = symbol["symbol"]
            expected = [[last_stored[name] + 1, self.first_id_at(name, end) - 1]]
            self.assertEqual(symbol["exchange"]["missing_end"], expected, name)
            self.assertIn(f"{expected[0][0]}-{expected[0][1]}", missing_end[name])

        # --offline keeps the store-only rules: the stopped instance, not the ids, is the finding.
        code, report, stderr = self.audit(start - START_MARGIN_MS, end + 600_000, "--offline")
        self.assertEqual(code, 1, stderr)
        self.assertEqual({f["kind"] for f in report["findings"]}, {"instance_stopped"})
        self.assertIsNone(report["exchange"])

    def test_a_late_start_names_the_ids_at_the_start_and_an_empty_range_is_not_clean(self):
        since = next_ids(self.exchange)
        self.exchange.resume()
        start = now_ms()
        wait_produced(self.exchange, GAP_TRADES, since)
        before_collector = now_ms()
        wait_produced(self.exchange, GAP_TRADES, next_ids(self.exchange))
        collector = self.start_collector()
        wait_received_after(self.exchange, self.port)
        wait_produced(self.exchange, RUN_TRADES, next_ids(self.exchange))
        self.stop_caught_up(collector)

        # The collector started after --from: what the exchange published before it is missing.
        code, report, stderr = self.audit(start, now_ms() + FUTURE_MS)
        self.assertEqual(code, 1, stderr)
        self.assertEqual({f["kind"] for f in report["findings"]}, {"missing_start"}, report["findings"])
        missing_start = self.findings(report, "missing_start")
        for symbol in report["symbols"]:
            name = symbol["symbol"]
            expected = [[self.first_id_at(name, start), symbol["first_id"] - 1]]
            self.assertEqual(symbol["exchange"]["missing_start"], expected, name)
            self.assertIn(f"{expected[0][0]}-{expected[0][1]}", missing_start[name])
            self.assertIn(f"the first stored id is {symbol['first_id']}", missing_start[name])
            self.assertEqual(symbol["missing_count"], 0, name)  # no hole between stored ids

        # A range nobody collected, while the exchange traded: every id of it is missing.
        code, report, stderr = self.audit(start, before_collector)
        self.assertEqual(code, 1, stderr)
        for symbol in report["symbols"]:
            name = symbol["symbol"]
            published = [self.first_id_at(name, start), self.first_id_at(name, before_collector) - 1]
            self.assertEqual(symbol["exchange"]["missing_start"], [published], name)
        self.assertEqual(sorted(self.findings(report, "missing_start")), sorted(SYMBOLS))

        # A store that is not there: named, and every published id is missing.
        code, report, stderr = self.audit(start, before_collector,
                                          LOCAL_STORE_DIR=os.path.join(self.tmp.name, "no-such-store"))
        self.assertEqual(code, 1, stderr)
        kinds = {(f["kind"], f["key"]) for f in report["findings"]}
        self.assertIn("empty_store", {kind for kind, _ in kinds})
        for symbol in SYMBOLS:
            self.assertIn(("no_data", symbol), kinds)
            self.assertIn(("missing_start", symbol), kinds)

        # An exchange that cannot be reached: not clean, its own exit code, and the failure named.
        closed = f"http://127.0.0.1:{harness.free_port()}"
        code, report, stderr = self.audit(start, now_ms() + FUTURE_MS, BINANCE_REST_URL=closed)
        self.assertEqual(code, 3, stderr)
        self.assertEqual(sorted(self.findings(report, "exchange_unavailable")), sorted(SYMBOLS))
        self.assertIn("Couldn't connect", stderr)
        self.assertEqual(report["exit_code"], 3)


if __name__ == "__main__":
    unittest.main()
