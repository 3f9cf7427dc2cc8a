"""kill -9 in a loop on one spool and one store, then a graceful stop: the store must be whole.

Many SIGKILLs at random moments (some right after start-up, while the previous run's leftovers are
being recovered and sealed) with small, fast-rotating parts, then one collector stopped with SIGTERM.
Checks docs/SPOOL.md's crash guarantees as a downstream reader sees them: every part has a valid
manifest, no torn line is ever stored, no id is stored twice (a part re-sealed after a kill is not
stored under a second key), and every hole in an id sequence is explained by one kill.

A second loop does the same with 16 symbols whose parts close only at each 1 s window's end, all at
once, so the sealer seals them in groups (docs/SPOOL.md, "Parts sealed together") and the kills land
inside groups: between one part's rename and another's, before a group's open files are unlinked.

MC_KILL_LOOP_SEED=N replays a run; the seed is printed either way.
Needs MC_COLLECTOR_BIN (the market-collector binary) and MC_SOURCE_DIR; CTest sets both.
"""
import gzip
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import unittest

import harness
import store_reader
from collector_process import COLLECTOR, SYMBOLS, Collector, wait_caught_up, wait_for, wait_received_after

ITERATIONS = 30
RATE = 300                   # trades per second per symbol
ROT_BYTES = 32768            # a part every ~0.5 s at RATE: many parts open at each kill
ROT_SECS = 1
# The grouped variant: more symbols whose parts close only at the window's end, all at once, so the
# sealer seals them as groups (docs/SPOOL.md, "Parts sealed together") and kills land inside them.
GROUP_SYMBOLS = [f"G{i:02d}USDT" for i in range(16)]
GROUP_ITERATIONS = 12
GROUP_RATE = 50
GROUP_ROT_BYTES = 1 << 24
# Its kills come this long after a window's end: while the writer closes the window's parts and the
# sealer seals them (milliseconds for 16 quiet parts; the spread covers a busy machine).
GROUP_KILL_AFTER_WINDOW_END_SECS = (0.0, 0.15)
EARLY_KILL_EVERY = 4         # every 4th iteration (on average) is killed during start-up
EARLY_KILL_SECS = (0.0, 0.3)
CONNECTED_KILL_SECS = (0.2, 1.5)
CONNECT_TIMEOUT_SECS = 20    # recovery of a crowded spool comes before the connection
TRIM_LOG = "torn last line trimmed"
RESEAL_LOG = "found a part whose seal was interrupted"
RECOVERY_RE = re.compile(r"spool recovery dir=\S+ to_seal=(\d+) to_upload=(\d+)")


def log(message):
    print(f"[kill_loop] {message}", file=sys.stderr, flush=True)


def holes_of(ids):
    ids = sorted(ids)
    return [(a, b) for a, b in zip(ids, ids[1:]) if b != a + 1]


def torn_lines(store_dir):
    """Every stored line that is not a whole trade record: (key, line number, first bytes)."""
    out = []
    for key in store_reader.list_keys(store_dir):
        if not key.endswith(".jsonl.gz"):
            continue
        with open(os.path.join(store_dir, key), "rb") as f:
            raw = gzip.decompress(f.read())
        if not raw.endswith(b"\n"):
            out.append((key, "end", raw[-80:]))
        for n, line in enumerate(raw.split(b"\n")[:-1]):
            try:
                record = json.loads(line)
                ok = isinstance(record.get("data"), dict) and isinstance(record["data"].get("t"), int)
            except ValueError:
                ok = False
            if not ok:
                out.append((key, n, line[:120]))
    return out


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class KillLoopTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-killloop-")
        self.addCleanup(self.tmp.cleanup)
        self.seed = int(os.environ.get("MC_KILL_LOOP_SEED") or random.SystemRandom().randrange(1 << 32))
        self.rng = random.Random(self.seed)
        log(f"seed={self.seed} (MC_KILL_LOOP_SEED={self.seed} replays the kill schedule)")

    def collector(self, exchange, **env):
        c = Collector(self.tmp.name, exchange, ROT_SECS=ROT_SECS, **env)
        self.addCleanup(c.kill)
        return c

    def wait_connected(self, exchange, connections_before, collector, what):
        try:
            wait_for(lambda: exchange.stats()["connections_total"] > connections_before, CONNECT_TIMEOUT_SECS,
                     f"{what}: the collector to connect")
        except AssertionError as e:
            self.fail(f"{e}\n{collector.log_text()[-3000:]}")

    def test_sigkill_loop_then_sigterm_leaves_a_whole_store(self):
        self.kill_loop(SYMBOLS, ITERATIONS, RATE, ROT_BYTES)

    def test_sigkill_loop_through_parts_sealed_in_groups_leaves_a_whole_store(self):
        self.kill_loop(GROUP_SYMBOLS, GROUP_ITERATIONS, GROUP_RATE, GROUP_ROT_BYTES, kill_after_window_end=True)

    def kill_loop(self, symbols, iterations, rate, rot_bytes, kill_after_window_end=False):
        """kill_after_window_end: a connected run is killed just after a window's end (the first one
        past the drawn delay) instead of at the delay."""
        started = time.monotonic()
        kills = connected_kills = early_kills = 0
        schedule = []
        env = {"SYMBOL": ",".join(symbols), "ROT_BYTES": rot_bytes}
        with harness.start_fake_exchange(tls=False, symbols=symbols, rate=rate) as exchange:
            for i in range(iterations):
                before = exchange.stats()["connections_total"]
                early = self.rng.randrange(EARLY_KILL_EVERY) == 0
                delay = self.rng.uniform(*(EARLY_KILL_SECS if early else CONNECTED_KILL_SECS))
                c = self.collector(exchange, **env).start()
                if early:
                    time.sleep(delay)
                else:
                    self.wait_connected(exchange, before, c, f"iteration {i}")
                    time.sleep(delay)
                    if kill_after_window_end:
                        now = time.time()
                        window_end = (now // ROT_SECS + 1) * ROT_SECS
                        time.sleep(window_end - now + self.rng.uniform(*GROUP_KILL_AFTER_WINDOW_END_SECS))
                exited = c.proc.poll()
                self.assertIsNone(exited, f"iteration {i}: the collector exited {exited} before the kill\n"
                                          f"{c.log_text()[-3000:]}")
                c.kill()
                kills += 1
                early_kills += early
                # A run that reached the exchange may have stored ids: its kill may open one hole.
                connected = exchange.stats()["connections_total"] > before
                connected_kills += connected
                schedule.append(f"{i}:{'early' if early else 'conn'}:{delay:.2f}{'' if connected else ':nc'}")

            # The last run: connected, then production paused so nothing is in flight at SIGTERM.
            before = exchange.stats()["connections_total"]
            port = harness.free_port()
            last = self.collector(exchange, METRICS_ADDR=f"127.0.0.1:{port}", **env).start()
            self.wait_connected(exchange, before, last, "the last run")
            # Killed collectors' sessions are gone; the one left is the last collector's.
            wait_for(lambda: exchange.stats()["clients"] == 1, 15, "the killed runs' sessions to close")
            wait_received_after(exchange, port, symbols=symbols)
            exchange.pause()
            stats = wait_caught_up(exchange, port, symbols=symbols)
            sessions = sorted(stats["clients_detail"], key=lambda s: s["id"])
            self.assertTrue(sessions, "the last collector is not connected")
            last_sent = {s: store_reader.expand_ranges(r) for s, r in sessions[-1]["sent"].items()}
            code = last.stop()
            self.assertEqual(code, 0, last.log_text()[-3000:])
        logs = last.log_text()
        log(f"schedule {' '.join(schedule)}")

        # Store validity: no torn line, every part with its manifest, every manifest right.
        self.assertEqual(torn_lines(last.store_dir), [], "torn or invalid lines stored")
        parts, problems = store_reader.read_store(last.store_dir)
        self.assertEqual(problems, [])
        # A put killed between its temp file and the rename leaves .incoming/put-XXXXXX: documented
        # (docs/S3_LAYOUT.md), never under a key, removed by a start an hour later. Counted, allowed.
        incoming_dir = os.path.join(last.store_dir, ".incoming")
        incoming = os.listdir(incoming_dir) if os.path.isdir(incoming_dir) else []
        self.assertTrue(parts, "nothing was stored")
        for part in parts:
            self.assertEqual(store_reader.manifest_problems(part), [])
            self.assertFalse(part.quarantine, f"{part.key}: quarantined records from a clean feed")
        self.assertEqual(last.spool_files(), [], "the spool is not empty after SIGTERM")

        # Nothing doubled, nothing invented, holes explained by kills, the last run complete.
        stored = store_reader.ids_by_symbol(parts)
        sent_any = {s: store_reader.expand_ranges(r["sent"]) for s, r in stats["symbols"].items()}
        hole_counts, lost_at_kills = {}, {}
        for symbol in symbols:
            ids = stored.get(symbol, [])
            self.assertTrue(ids, f"{symbol}: nothing stored")
            if len(ids) != len(set(ids)):
                seen, dups = set(), []
                for part in parts:
                    if part.symbol != symbol:
                        continue
                    for r in part.records:
                        t = r["data"]["t"]
                        if t in seen:
                            dups.append((t, part.key))
                        seen.add(t)
                self.fail(f"{symbol}: {len(ids) - len(set(ids))} ids stored twice, e.g. {dups[:5]}")
            # Ids the backfill fetched for a downtime were never sent to a collector, and are allowed.
            backfilled = {r["data"]["t"] for part in parts if part.symbol == symbol
                          for r in part.records if r.get("src") == "rest"}
            self.assertEqual(sorted(set(ids) - sent_any[symbol] - backfilled)[:20], [], f"{symbol}: ids never sent")
            holes = holes_of(ids)
            hole_counts[symbol] = len(holes)
            lost_at_kills[symbol] = len(sent_any[symbol] - set(ids))
            self.assertLessEqual(len(holes), connected_kills,
                                 f"{symbol}: {len(holes)} holes for {connected_kills} kills of connected "
                                 f"runs: {holes[:10]}")
            missing_last = last_sent.get(symbol, set()) - set(ids)
            self.assertTrue(last_sent.get(symbol), f"{symbol}: the exchange sent nothing to the last run")
            self.assertEqual(sorted(missing_last)[:20], [],
                             f"{symbol}: {len(missing_last)} ids sent to the gracefully stopped run are missing")

        trimmed_logs = logs.count(TRIM_LOG)
        trimmed_parts = sum(1 for p in parts if p.manifest.get("extra", {}).get("trimmed_bytes", 0) > 0)
        recoveries = [tuple(map(int, m)) for m in RECOVERY_RE.findall(logs)]
        log(f"kills={kills} (early={early_kills}, after connect={connected_kills}) parts={len(parts)} "
            f"records={sum(len(v) for v in stored.values())} holes={hole_counts} "
            f"sent_but_not_stored={lost_at_kills} "
            f"torn_lines_trimmed={trimmed_logs} parts_with_trimmed_bytes={trimmed_parts} "
            f"reseals={logs.count(RESEAL_LOG)} recoveries_with_open_files={sum(1 for o, _ in recoveries if o)} "
            f"max_to_seal={max((o for o, _ in recoveries), default=0)} "
            f"max_to_upload={max((u for _, u in recoveries), default=0)} "
            f"incoming_leftovers={len(incoming)} starts_past_recovery={len(recoveries)} "
            f"runtime={time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    unittest.main()
