"""Durability (docs/SPOOL.md, docs/RUNBOOK.md): the collector through a long store outage and a full disk.

StoreOutageTest: the collector writes to moto (IAM enforced) through FaultProxy; the store is black-holed
for 60 s (requests read, never answered), then answers 503 SlowDown for 30 s, then heals. The process
stays up, parts pile up in sealed/, the backlog drains, and every id the exchange sent is stored once.

DiskFullTest: LOCAL_DIR is a 16 MiB tmpfs (mount needs root; the test fails, never skips, without it).
A ballast file leaves the spool little room, then fills it; the collector drops and counts lines, keeps
running, and writes again once the ballast is deleted; the ids it dropped come back over REST. Stored
parts are whole, every id sent is stored, and none twice.

Runs under MC_MOTO_PYTHON (moto, boto3); needs MC_COLLECTOR_BIN and MC_SOURCE_DIR.
"""
import collections
import errno
import os
import re
import subprocess
import tempfile
import time
import unittest

import harness
import store_reader
from collector_process import (COLLECTOR, SYMBOLS, Collector, metric, next_ids, unsent_ids, wait_caught_up, wait_for,
                               wait_produced, wait_received_after)
from fault_proxy import Fault, FaultProxy
from s3_support import MotoS3

RATE = 300  # trades per second per symbol
ROT_SECS = 2
NORMAL_SECS = 5
BLACK_HOLE_SECS = 60
SLOWDOWN_SECS = 30
# After healing a part may sit out its capped backoff (60 s, jitter only shortens it) before its next
# try, and the backlog then needs moto's time: 60 s + 60 s of uploads.
DRAIN_BOUND_SECS = 120
TMPFS_BYTES = 16 << 20
ROT_BYTES_DISK = 65536
RESERVE_BYTES = 2 * ROT_BYTES_DISK + (1 << 20)  # the writers stop below this much free space


def sealed_files(collector):
    return {f for f in collector.spool_files() if "/sealed/" in f}


def id_ranges(ids):
    """Sorted ids as [first, last] runs, for messages."""
    out = []
    for i in sorted(ids):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


class OutageTestBase(unittest.TestCase):
    def setUp(self):
        if not COLLECTOR:
            self.fail("MC_COLLECTOR_BIN is not set")
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-outage-")
        self.addCleanup(self.tmp.cleanup)
        self.metrics_port = harness.free_port()

    def exchange(self):
        exchange = harness.start_fake_exchange(symbols=SYMBOLS, rate=RATE)
        self.addCleanup(exchange.stop)
        return exchange

    def start_collector(self, exchange, **env):
        base = {"ROT_SECS": ROT_SECS, "AWS_EC2_METADATA_DISABLED": "true", "HOME": self.tmp.name,
                "METRICS_ADDR": f"127.0.0.1:{self.metrics_port}", "INSTANCE_ID": "itest-1"}
        base.update(env)
        workdir = os.path.join(self.tmp.name, "collector")
        os.makedirs(workdir, exist_ok=True)
        collector = Collector(workdir, exchange, **base)
        collector.spool_dir = base.get("LOCAL_DIR", collector.spool_dir)
        collector.start()
        self.addCleanup(collector.kill)
        wait_for(lambda: exchange.stats()["clients"] >= 1, 15, "the collector to connect")
        return collector

    def assert_alive(self, collector):
        self.assertIsNone(collector.proc.poll(), "the collector exited:\n" + collector.log_text()[-3000:])

    def watch(self, collector, secs, every=0.5, on_tick=None):
        """Sleeps secs, checking every `every` s that the collector is still running."""
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            self.assert_alive(collector)
            if on_tick:
                on_tick()
            time.sleep(min(every, max(0.0, deadline - time.monotonic())))
        self.assert_alive(collector)

    def stop(self, exchange, collector):
        """Stops production, then the collector (exit 0); returns the exchange's final stats."""
        exchange.pause()
        wait_caught_up(exchange, self.metrics_port)
        code = collector.stop()
        self.assertEqual(code, 0, collector.log_text()[-3000:])
        return exchange.stats()

    def check_parts(self, parts, problems):
        self.assertEqual(problems, [])
        self.assertTrue(parts, "nothing was stored")
        for part in parts:  # Part() refuses a part without a final newline; json.loads every line
            self.assertEqual(store_reader.manifest_problems(part), [], part.key)
            self.assertEqual(part.instance, "itest-1")
        stored = store_reader.ids_by_symbol(parts)
        for symbol in SYMBOLS:
            got = stored.get(symbol, [])
            twice = [i for i, n in collections.Counter(got).items() if n > 1]
            self.assertEqual(twice[:20], [], f"{symbol}: {len(twice)} ids stored twice")
        return {symbol: set(ids) for symbol, ids in stored.items()}


class StoreOutageTest(OutageTestBase):
    def setUp(self):
        super().setUp()
        self.moto = MotoS3()
        self.addCleanup(self.moto.close)
        self.proxy = FaultProxy(self.moto.endpoint_url)
        self.addCleanup(self.proxy.close)


    def test_black_hole_then_slowdown_then_heal_drains_the_spool_and_loses_nothing(self):
        exchange = self.exchange()
        collector = self.start_collector(exchange, **self.moto.collector_env(endpoint_url=self.proxy.url),
                                         STOP_TIMEOUT_SECS=30)
        self.watch(collector, NORMAL_SECS)
        self.assertTrue(self.moto.list_objects("raw/exchange=binance/"), "nothing stored before the outage")

        # The schedule: the first rule wins while it matches, so 60 s of silence, then 30 s of 503s.
        outage_start = time.monotonic()
        self.proxy.add_rule(Fault.black_hole(), for_secs=BLACK_HOLE_SECS)
        self.proxy.add_rule(Fault.slowdown(), for_secs=BLACK_HOLE_SECS + SLOWDOWN_SECS)
        peak = {"sealed": 0}

        def sample():
            peak["sealed"] = max(peak["sealed"], len(sealed_files(collector)))

        self.watch(collector, BLACK_HOLE_SECS, on_tick=sample)
        sealed_after_black_hole = len(sealed_files(collector))
        self.watch(collector, outage_start + BLACK_HOLE_SECS + SLOWDOWN_SECS - time.monotonic(), on_tick=sample)
        healed = time.monotonic()
        backlog = sealed_files(collector)
        # ~95 s of two symbols in 2 s windows: dozens of parts (part + manifest files each) wait.
        self.assertGreaterEqual(len(backlog), 2 * 30, f"only {len(backlog)} files in sealed/ at the heal")

        # Drained: every file that was in sealed/ at the heal has gone (new parts keep coming meanwhile).
        drain = {}

        def drained():
            self.assert_alive(collector)
            left = backlog & sealed_files(collector)
            if left and "half" not in drain and len(left) <= len(backlog) // 2:
                drain["half"] = time.monotonic() - healed
            return not left

        wait_for(drained, DRAIN_BOUND_SECS, f"the backlog of {len(backlog)} spool files to drain")
        drain_secs = time.monotonic() - healed
        failures = metric(self.metrics_port, "market_collector_upload_failures_total")
        stats = self.stop(exchange, collector)
        self.assertEqual(collector.spool_files(), [])

        records = self.proxy.records
        held = [r.held_secs for r in records if r.fault == "black_hole"]
        slowdowns = sum(1 for r in records if r.fault == "slowdown")
        self.assertTrue(held, "no request reached the black hole")
        self.assertGreater(slowdowns, 0, "no request got a 503 SlowDown")
        print(f"\nstore outage: sealed files peak={peak['sealed']} after black hole={sealed_after_black_hole} "
              f"at heal={len(backlog)}; drain after heal: half {drain.get('half', 0):.1f} s, all {drain_secs:.1f} s "
              f"(bound {DRAIN_BOUND_SECS} s); black-holed requests={len(held)} held "
              f"min/max {min(held):.1f}/{max(held):.1f} s; 503s={slowdowns}; upload failures metric={failures}; "
              f"requests total={len(records)}", flush=True)

        log = collector.log_text().splitlines()
        for line in [line for line in log if re.search(r"Z (warning|error) ", line)][:6]:
            print("  " + line[:300], flush=True)
        parts, problems = store_reader.read_store(self.moto.mirror(os.path.join(self.tmp.name, "mirror")))
        stored = self.check_parts(parts, problems)
        for symbol in SYMBOLS:
            sent = store_reader.expand_ranges(stats["symbols"][symbol]["sent"])
            self.assertTrue(sent, f"the exchange sent nothing for {symbol}")
            missing = sent - stored.get(symbol, set())
            self.assertEqual(id_ranges(missing)[:10], [], f"{symbol}: {len(missing)} ids missing")


class DiskFullTest(OutageTestBase):
    def mount_tmpfs(self):
        mnt = os.path.join(self.tmp.name, "spool-fs")
        os.makedirs(mnt)
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", mnt],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            self.fail(f"cannot mount a tmpfs for the disk-full test (needs root or CAP_SYS_ADMIN): "
                      f"mount exit {proc.returncode}: {proc.stderr.strip()}")
        self.addCleanup(self.unmount, mnt)
        return mnt

    def unmount(self, mnt):
        if subprocess.run(["umount", mnt], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", mnt], check=True)

    @staticmethod
    def free_bytes(path):
        fs = os.statvfs(path)
        return fs.f_bavail * fs.f_frsize

    @staticmethod
    def grow(path, leave_free):
        """Appends zeros to path until at most leave_free bytes are free on its file system (0: until
        ENOSPC). Returns the file's size."""
        chunk = b"\0" * 65536
        with open(path, "ab", buffering=0) as f:
            while True:
                free = DiskFullTest.free_bytes(os.path.dirname(path))
                if leave_free and free <= leave_free:
                    break
                try:
                    f.write(chunk if not leave_free else chunk[: max(4096, min(len(chunk), free - leave_free))])
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
        return os.path.getsize(path)

    def test_full_spool_disk_drops_counted_lines_and_writing_resumes_when_space_frees(self):
        mnt = self.mount_tmpfs()
        spool = os.path.join(mnt, "spool")
        ballast = os.path.join(mnt, "ballast")
        # Near full from the start: room for the writers' reserve and some 2 MiB more.
        self.grow(ballast, RESERVE_BYTES + (2 << 20))
        exchange = self.exchange()
        collector = self.start_collector(exchange, LOCAL_DIR=spool, ROT_BYTES=ROT_BYTES_DISK)
        self.watch(collector, 4)
        self.assertEqual(metric(self.metrics_port, "market_collector_records_dropped_total"), 0)
        before_full = {s: exchange.stats()["symbols"][s]["next_id"] for s in SYMBOLS}
        # Ids sent before this point must be written while there is room: received, and a second for
        # the writer (its queue hands lines on within milliseconds).
        wait_received_after(exchange, self.metrics_port, beyond={s: before_full[s] - 1 for s in SYMBOLS})
        time.sleep(1.0)

        ballast_bytes = self.grow(ballast, 0)
        full_at = time.monotonic()
        wait_for(lambda: (metric(self.metrics_port, "market_collector_records_dropped_total") or 0) > 0, 15,
                 "lines to be dropped")
        self.watch(collector, 6)
        self.assertIn("DISK FULL", collector.log_text())

        os.remove(ballast)
        freed_at = time.monotonic()
        wait_for(lambda: all(re.search(rf"writes resumed .*symbol={s}", collector.log_text()) for s in SYMBOLS),
                 15, "writes to resume for every symbol")
        resumed_secs = time.monotonic() - freed_at
        time.sleep(2.0)  # lines queued while the disk was full may still be dropped in this margin
        dropped_while_full = metric(self.metrics_port, "market_collector_records_dropped_total")
        after_free = {s: exchange.stats()["symbols"][s]["next_id"] for s in SYMBOLS}
        self.watch(collector, 5)
        dropped_total = metric(self.metrics_port, "market_collector_records_dropped_total")
        self.assertEqual(dropped_total, dropped_while_full, "lines dropped after the space was freed")
        exchange.pause()
        wait_caught_up(exchange, self.metrics_port)
        settle_started = time.monotonic()
        wait_for(lambda: metric(self.metrics_port, "market_collector_trade_ids_pending") == 0, 60,
                 "the backfill to fetch the dropped ids")
        pending = metric(self.metrics_port, "market_collector_trade_ids_pending")
        settle_secs = time.monotonic() - settle_started
        stats = self.stop(exchange, collector)

        parts, problems = store_reader.read_store(collector.store_dir)
        stored = self.check_parts(parts, problems)
        rest_lines = sum(1 for p in parts if not p.quarantine for r in p.records if r.get("src") == "rest")
        missing_total = 0
        report = []
        for symbol in SYMBOLS:
            sent = store_reader.expand_ranges(stats["symbols"][symbol]["sent"])
            got = stored.get(symbol, set())
            missing = sent - got
            missing_total += len(missing)
            report.append(f"{symbol}: missing {len(missing)} {id_ranges(missing)[:6]}")
            early = {i for i in sent if i < before_full[symbol]}
            late = {i for i in sent if i >= after_free[symbol]}
            self.assertTrue(late, f"{symbol}: nothing sent after the space was freed")
            self.assertEqual(id_ranges(early - got)[:10], [], f"{symbol}: ids from before the disk filled missing")
            self.assertEqual(id_ranges(late - got)[:10], [], f"{symbol}: ids from after the space was freed missing")
            # Whatever is missing was sent while the disk was full.
            self.assertEqual([i for i in missing if not before_full[symbol] <= i < after_free[symbol]][:10], [],
                             f"{symbol}: missing ids outside the full period")
        print(f"\ndisk full: ballast {ballast_bytes} B; full for {freed_at - full_at:.1f} s; "
              f"records_dropped_total={dropped_total:.0f}; writes resumed {resumed_secs:.1f} s after freeing; "
              f"\"src\":\"rest\" lines stored={rest_lines} (trade_ids_pending={pending} {settle_secs:.1f} s after the pause); "
              f"ids missing={missing_total}; " + "; ".join(report),
              flush=True)
        log = collector.log_text().splitlines()
        print(f"  log: {sum('DISK FULL, records dropped' in l for l in log)} 'DISK FULL, records dropped' lines, "
              f"{sum('DISK FULL: cannot seal' in l for l in log)} 'cannot seal', "
              f"{sum('trade ids not written' in l for l in log)} 'trade ids not written'", flush=True)
        backfill_notes = [line for line in log if "[backfill]" in line and "gap filled" not in line]
        for line in backfill_notes[:5] + [line for line in log if re.search(r"writes resumed|gap filled .*ids=\d{3,}", line)]:
            print("  " + line[:300], flush=True)
        self.assertGreater(dropped_total, 0)
        # docs/FEED.md: dropped lines are handed back to the ledger, and the backfill (which waits while the
        # disk is full) fetches them once there is room: every id sent is stored.
        self.assertEqual(pending, 0)
        self.assertEqual(missing_total, 0, "; ".join(report))
        self.assertGreaterEqual(rest_lines, dropped_total)


class SigtermUnderLoadTest(OutageTestBase):
    RATE = 5000          # trades per second per symbol
    STOP_TIMEOUT_SECS = 10

    def test_sigterm_under_load_exits_0_in_time_and_a_restart_loses_nothing(self):
        exchange = harness.start_fake_exchange(symbols=SYMBOLS, rate=self.RATE)
        self.addCleanup(exchange.stop)
        env = {"METRICS_ADDR": f"127.0.0.1:{self.metrics_port}", "ROT_SECS": 1,
               "STOP_TIMEOUT_SECS": self.STOP_TIMEOUT_SECS}
        first = Collector(self.tmp.name, exchange, **env).start()
        self.addCleanup(first.kill)
        wait_for(lambda: exchange.stats()["clients"] >= 1, 15, "the collector to connect")
        # Five seconds of load, counted in trades, received as they come.
        wait_produced(exchange, 5 * self.RATE, since=next_ids(exchange))
        wait_received_after(exchange, self.metrics_port)
        # Trades keep coming while it stops.
        stopping_at = time.monotonic()
        code = first.stop(timeout=self.STOP_TIMEOUT_SECS + 10)
        stop_secs = time.monotonic() - stopping_at
        self.assertEqual(code, 0, first.log_text()[-3000:])
        self.assertLess(stop_secs, self.STOP_TIMEOUT_SECS + 1)
        self.assertIn("stopped: every part sealed and stored", first.log_text())
        self.assertEqual(first.spool_files(), [])

        # The same spool and store: the restart's first trades show the stop as a gap, which is backfilled.
        second = Collector(self.tmp.name, exchange, **env).start()
        self.addCleanup(second.kill)
        wait_received_after(exchange, self.metrics_port)
        exchange.pause()
        unsent = unsent_ids(wait_caught_up(exchange, self.metrics_port))
        wait_for(lambda: (metric(self.metrics_port, "market_collector_trade_ids_missing_total") or 0) >= unsent, 30,
                 f"the {unsent} ids never sent to be found missing")
        wait_for(lambda: metric(self.metrics_port, "market_collector_trade_ids_pending") == 0, 60,
                 "the backfill to settle")
        code = second.stop()
        self.assertEqual(code, 0, second.log_text()[-3000:])
        stats = exchange.stats()

        parts, problems = store_reader.read_store(second.store_dir)
        stored = self.check_parts(parts, problems)
        for symbol in SYMBOLS:
            got = stored.get(symbol, set())
            last = stats["symbols"][symbol]["next_id"] - 1
            missing = set(range(min(got), last + 1)) - got
            self.assertEqual(id_ranges(missing)[:10], [], f"{symbol}: {len(missing)} ids missing")
        print(f"\nsigterm under load: {self.RATE} trades/s per symbol, stop took {stop_secs:.2f} s "
              f"(STOP_TIMEOUT_SECS={self.STOP_TIMEOUT_SECS}); ids stored "
              f"{', '.join(f'{s}={len(stored.get(s, ()))}' for s in SYMBOLS)}", flush=True)


if __name__ == "__main__":
    unittest.main()
