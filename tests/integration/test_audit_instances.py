"""Three instances, one of them killed for part of the run: `market-collector audit` reports the union
complete and names exactly the range the killed instance lacks.

The killed instance runs with BACKFILL_ENABLED=false, so its downtime stays a hole in its own copy
(with the backfill on it would fill it, which test_feed_completeness covers). The expected hole is
computed independently, from the ids that instance actually stored.

Needs MC_COLLECTOR_BIN and MC_SOURCE_DIR (CTest sets both).
"""
import json
import os
import subprocess
import tempfile
import time
import unittest

import harness
import store_reader
from collector_process import (COLLECTOR, SYMBOLS, Collector, next_ids, start_instance, wait_caught_up, wait_for,
                               wait_produced, wait_received_after)

RATE = 200            # trades per second per symbol
AUDIT_TIMEOUT_SECS = 120
START_MARGIN_MS = 120_000  # the range starts well before the recording
# and ends a minute after it: within the audit's grace for heads (2 min), since a range that runs on
# long after every instance stopped is, rightly, not clean (instance_stopped).
END_MARGIN_MS = 60_000


def ranges_of(ids):
    """Sorted ids as inclusive [first, last] ranges."""
    out = []
    for i in sorted(ids):
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class ThreeInstancesAuditTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-audit3-")
        self.addCleanup(self.tmp.cleanup)
        self.store = os.path.join(self.tmp.name, "store")

    def audit(self, from_ms, to_ms):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOCAL_STORE_DIR": self.store,
               "SYMBOL": ",".join(SYMBOLS), "LOCAL_DIR": os.path.join(self.tmp.name, "unused-spool")}
        proc = subprocess.run([COLLECTOR, "audit", "--offline", "--json", "--deep", "--from", str(from_ms), "--to", str(to_ms)],
                              env=env, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_SECS)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        return proc.returncode, json.loads(proc.stdout)

    def run_three_restarting_b(self, end_first_run, **b_env):
        """Runs i-a, i-b and i-c on one store and one exchange; `end_first_run(b, exchange)` ends
        i-b's first run, a second run continues from its spool; all three then stop cleanly. Returns
        the exchange's final stats and the wall-clock ms at which i-b's second run started."""
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=RATE, start_paused=True) as exchange:
            ports = {name: harness.free_port() for name in ("i-a", "i-b", "i-c")}
            env = {"ROT_SECS": 1}
            a, b, c = (start_instance(self, self.tmp.name, exchange, name, self.store,
                                      METRICS_ADDR=f"127.0.0.1:{ports[name]}", **(b_env if name == "i-b" else {}), **env)
                       for name in ("i-a", "i-b", "i-c"))
            wait_for(lambda: exchange.stats()["clients"] >= 3, 15, "three collectors to connect")
            exchange.resume()
            # Three seconds of trades, counted as such, received by all three.
            wait_produced(exchange, 3 * RATE, since=next_ids(exchange))
            for port in ports.values():
                wait_received_after(exchange, port)
            end_first_run(b, exchange)
            restarted_ms = int(time.time() * 1000)
            b2 = Collector(b.workdir, exchange, INSTANCE_ID="i-b", LOCAL_STORE_DIR=self.store,
                           METRICS_ADDR=f"127.0.0.1:{ports['i-b']}", **b_env, **env).start()
            self.addCleanup(b2.kill)
            wait_for(lambda: exchange.stats()["clients"] >= 3, 15, "the restarted instance to connect")
            # Three more seconds of trades, the restarted instance receiving them.
            wait_produced(exchange, 3 * RATE, since=next_ids(exchange))
            wait_received_after(exchange, ports["i-b"])
            exchange.pause()
            wait_caught_up(exchange, list(ports.values()))
            for collector in (a, b2, c):
                self.assertEqual(collector.stop(), 0, collector.log_text()[-3000:])
            return exchange.stats(), restarted_ms

    def test_union_complete_and_the_killed_instances_hole_named_exactly(self):
        start_ms = int(time.time() * 1000)

        def kill_and_stay_down(b, exchange):
            b.kill()  # SIGKILL; the second run recovers what this one left in the spool
            # Three seconds down, counted in the trades the exchange makes meanwhile.
            wait_produced(exchange, 3 * RATE, since=next_ids(exchange))

        stats, _ = self.run_three_restarting_b(kill_and_stay_down, BACKFILL_ENABLED="false")

        parts, problems = store_reader.read_store(self.store)
        self.assertEqual(problems, [])
        stored_by_b = {}
        for part in parts:
            if part.instance == "i-b" and not part.quarantine:
                stored_by_b.setdefault(part.symbol, set()).update(r["data"]["t"] for r in part.records)

        code, report = self.audit(start_ms - START_MARGIN_MS, int(time.time() * 1000) + END_MARGIN_MS)
        self.assertEqual(code, 0, json.dumps(report, indent=1)[-3000:])
        self.assertEqual(report["findings"], [])
        by_symbol = {s["symbol"]: s for s in report["symbols"]}
        for symbol in SYMBOLS:
            sent = store_reader.expand_ranges(stats["symbols"][symbol]["sent"])
            got = by_symbol[symbol]
            # The union: every id any instance was sent, nothing missing.
            self.assertEqual(got["missing_count"], 0, symbol)
            self.assertEqual((got["first_id"], got["last_id"]), (min(sent), max(sent)), symbol)
            instances = {i["instance_id"]: i for i in got["instances"]}
            self.assertEqual(sorted(instances), ["i-a", "i-b", "i-c"])
            # The killed instance: exactly the ids of the union's span it did not store, and that
            # hole is its downtime (one range, several hundred ids at RATE).
            expected = ranges_of(set(range(got["first_id"], got["last_id"] + 1)) - stored_by_b[symbol])
            self.assertEqual(instances["i-b"]["missing"], expected, symbol)
            inner = [r for r in expected if r[0] > got["first_id"] and r[1] < got["last_id"]]
            self.assertEqual(len(inner), 1, f"{symbol}: {expected}")
            self.assertGreater(inner[0][1] - inner[0][0] + 1, RATE, f"{symbol}: {expected}")
            # The instances that ran throughout lack nothing inside the span but, at most, its very
            # start (connected a moment after another instance).
            for name in ("i-a", "i-c"):
                self.assertTrue(all(r[0] == got["first_id"] for r in instances[name]["missing"]),
                                f"{name} {symbol}: {instances[name]['missing']}")

    def test_a_deleted_first_last_or_middle_part_is_named_by_instance_symbol_and_number(self):
        start_ms = int(time.time() * 1000)

        def stop_cleanly(b, _exchange):
            self.assertEqual(b.stop(), 0, b.log_text()[-3000:])

        _, restarted_ms = self.run_three_restarting_b(stop_cleanly)
        window = (start_ms - START_MARGIN_MS, int(time.time() * 1000) + END_MARGIN_MS)
        code, report = self.audit(*window)
        self.assertEqual((code, report["findings"]), (0, []))

        parts, problems = store_reader.read_store(self.store)
        self.assertEqual(problems, [])
        symbol = SYMBOLS[0]

        def writer(instance):
            return sorted((p for p in parts if p.instance == instance and p.symbol == symbol and not p.quarantine),
                          key=lambda p: p.manifest["extra"]["part_number"])

        numbers = [p.manifest["extra"]["part_number"] for p in writer("i-b")]
        self.assertEqual(numbers, list(range(1, len(numbers) + 1)))  # continued across the restart
        first_of_run = next(p for p in writer("i-b") if p.epoch_ms >= restarted_ms)
        self.assertGreater(first_of_run.manifest["extra"]["part_number"], 1)
        last_of_c = writer("i-c")[-1]
        middle_of_a = writer("i-a")[len(writer("i-a")) // 2]
        deleted = {("i-b", first_of_run.manifest["extra"]["part_number"]),
                   ("i-c", last_of_c.manifest["extra"]["part_number"]),
                   ("i-a", middle_of_a.manifest["extra"]["part_number"])}
        for part in (first_of_run, last_of_c, middle_of_a):
            for key in (part.key, part.key.replace("/part-", "/manifest-").replace(".jsonl.gz", ".json")):
                os.remove(os.path.join(self.store, key))

        code, report = self.audit(*window)
        self.assertEqual(code, 1)
        lost = [f for f in report["findings"] if f["kind"] == "lost_part"]
        named = set()
        for finding in lost:
            words = finding["reason"].split()  # "part number N of instance I symbol S is not in the store"
            self.assertEqual(words[7], symbol, finding)
            named.add((words[5], int(words[2])))
        self.assertEqual(named, deleted, json.dumps(report["findings"], indent=1))


if __name__ == "__main__":
    unittest.main()
