"""The collector binary against the fake exchange, read back from the local store.

Needs MC_COLLECTOR_BIN (the market-collector binary) and MC_SOURCE_DIR; CTest sets both.
"""
import datetime
import json
import os
import re
import subprocess
import tempfile
import unittest

import jsonschema

import harness
import store_reader
from collector_process import (COLLECTOR, SYMBOLS, Collector, metric, next_ids, pause_and_settle, wait_for,
                               wait_produced, wait_received_after)
from fake_imds import FakeImds

SOURCE_DIR = os.environ.get("MC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def load_schema(name):
    with open(os.path.join(SOURCE_DIR, "schemas", name)) as f:
        return json.load(f)


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class EndToEndTest(unittest.TestCase):
    ROT_BYTES = 65536
    ROT_SECS = 2

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-itest-")
        self.addCleanup(self.tmp.cleanup)
        self.metrics_port = harness.free_port()

    def metric(self, name):
        return metric(self.metrics_port, name)

    def run_collector(self, exchange, during, settle_backfill=False, **env):
        """Runs the collector until during(collector) returns; then stops production, waits until what
        is in flight has arrived (and, with settle_backfill, until every id the exchange never sent it
        is counted missing and backfilled), and stops it with SIGTERM."""
        collector = Collector(self.tmp.name, exchange, ROT_BYTES=self.ROT_BYTES, ROT_SECS=self.ROT_SECS,
                              METRICS_ADDR=f"127.0.0.1:{self.metrics_port}", **env)
        collector.start()
        self.addCleanup(collector.kill)
        wait_for(lambda: exchange.stats()["clients"] >= 1, 15, "the collector to connect")
        during(collector)
        # Trades written to the socket after the collector stopped reading are not the collector's
        # to lose: pause production and let what is in flight arrive before SIGTERM.
        pause_and_settle(exchange, self.metrics_port, backfill=settle_backfill, backfill_timeout=30)
        code = collector.stop()
        self.assertEqual(code, 0, collector.log_text()[-3000:])
        return collector

    def stored_windows(self, collector):
        """The ROT_SECS windows of the parts in the store so far, by their keys."""
        matches = (store_reader.KEY_RE.match(key) for key in store_reader.list_keys(collector.store_dir))
        return {int(m.group("epoch")) // (self.ROT_SECS * 1000) for m in matches if m and m.group("kind") == "part"}

    def check_store(self, collector, exchange_stats, expect_quarantine=0, windows=None):
        """windows: the window in seconds of each symbol's data parts, where not ROT_SECS."""
        windows = windows or {}
        parts, problems = store_reader.read_store(collector.store_dir)
        self.assertEqual(problems, [])
        self.assertTrue(parts, "nothing was stored")
        schema = load_schema("manifest.json")
        last_epoch = {}
        for part in parts:
            jsonschema.validate(part.manifest, schema)
            self.assertEqual(store_reader.manifest_problems(part), [])
            # One aligned window per part, and the size rule.
            secs = self.ROT_SECS if part.quarantine else windows.get(part.symbol, self.ROT_SECS)
            spanned = {r["recv_us"] // (secs * 1_000_000) for r in part.records}
            self.assertEqual(len(spanned), 1, f"{part.key} spans {secs} s windows {spanned}")
            self.assertLess(len(part.raw) - len(part.lines[-1]) - 1, self.ROT_BYTES, part.key)
            # Folders and epoch_ms: the instant of the first record, strictly increasing per writer.
            first_recv_ms = part.records[0]["recv_us"] // 1000
            self.assertGreaterEqual(part.epoch_ms, first_recv_ms, part.key)
            writer = (part.quarantine, part.symbol)
            self.assertGreater(part.epoch_ms, last_epoch.get(writer, -1), part.key)
            last_epoch[writer] = part.epoch_ms
            for line, record in zip(part.lines, part.records):
                self.assertTrue(line.startswith(b'{"recv_us":'), line[:40])
                if not part.quarantine:
                    self.assertEqual(record["data"]["e"], "trade")
                    self.assertEqual(record["stream"], part.symbol.lower() + "@trade")
                    self.assertEqual(record["data"]["s"], part.symbol)
        # Completeness: every id the exchange wrote to the collector is stored, once; what it did not
        # write (the trades of a dropped connection's gap) came over REST, and leaves no hole.
        stored = store_reader.ids_by_symbol(parts)
        backfilled = {}
        for part in parts:
            if not part.quarantine:
                backfilled.setdefault(part.symbol, set()).update(
                    r["data"]["t"] for r in part.records if r.get("src") == "rest")
        for symbol in SYMBOLS:
            sent = store_reader.expand_ranges(exchange_stats["symbols"][symbol]["sent"])
            got = stored.get(symbol, [])
            self.assertTrue(sent, f"the exchange sent nothing for {symbol}")
            self.assertEqual(len(got), len(set(got)), f"{symbol}: ids stored twice")
            missing = sent - set(got)
            self.assertEqual(sorted(missing)[:20], [], f"{symbol}: {len(missing)} ids missing")
            self.assertEqual(set(got) - sent - backfilled.get(symbol, set()), set(), f"{symbol}: ids never sent")
            holes = set(range(min(got), max(got) + 1)) - set(got)
            self.assertEqual(sorted(holes)[:20], [], f"{symbol}: {len(holes)} ids neither sent nor backfilled")
        quarantined = sum(len(p.records) for p in parts if p.quarantine)
        self.assertEqual(quarantined, expect_quarantine)
        # SIGTERM drained: nothing left in the spool.
        self.assertEqual(collector.spool_files(), [])
        return parts

    def test_tls_two_symbols_fragments_pings_and_bad_input(self):
        with harness.start_fake_exchange(tls=True, symbols=SYMBOLS, rate=400, fragment=64, fragment_every=3,
                                         ping_interval=1) as exchange:
            injected = ["not_json", "truncated", "no_id", "binary", "unknown_event"]

            def inject(collector):
                wait_received_after(exchange, self.metrics_port)
                for kind in injected:
                    exchange.inject(kind)
                # A real trade of 1 MiB, far over ROT_BYTES: stored, and it ends its part.
                exchange.inject("huge", symbol="BTCUSDT")
                # Several windows go by: parts of three of them stored (the last is sealed at SIGTERM).
                wait_for(lambda: len(self.stored_windows(collector)) >= 3, 20, "parts of three windows stored")

            collector = self.run_collector(exchange, during=inject)
            stats = exchange.stats()
        parts = self.check_store(collector, stats, expect_quarantine=len(injected))
        reasons = sorted(r["reason"] for p in parts if p.quarantine for r in p.records)
        self.assertEqual(len(reasons), len(injected), reasons)
        # Several windows went by and the size cap was hit at 400 trades/s per symbol.
        self.assertGreaterEqual(len({p.epoch_ms // (self.ROT_SECS * 1000) for p in parts}), 3)
        self.assertTrue(any(p.manifest["payload"]["bytes_uncompressed"] >= self.ROT_BYTES for p in parts))
        huge = [p for p in parts if not p.quarantine and any(len(line) > 1_000_000 for line in p.lines)]
        self.assertEqual(len(huge), 1)
        # It reaches ROT_BYTES on its own, so it is the part's last line.
        self.assertGreater(len(huge[0].lines[-1]), 1_000_000)

    def test_each_symbol_rotates_on_its_own_window(self):
        windows = {"BTCUSDT": 1, "ETHUSDT": 5}
        with harness.start_fake_exchange(tls=False, symbols=SYMBOLS, rate=20) as exchange:
            # 11 s of trades at the exchange's rate: over two ETHUSDT windows, ten BTCUSDT ones.
            collector = self.run_collector(
                exchange, during=lambda _c: wait_produced(exchange, 11 * 20, next_ids(exchange)),
                ROT_SECS_OVERRIDES="BTCUSDT:1,*:5")
            stats = exchange.stats()
        # Every part within one window of its symbol's length (check_store), and each symbol cut at
        # its own boundaries: BTCUSDT's parts one second each, ETHUSDT's holding several seconds.
        parts = self.check_store(collector, stats, windows=windows)

        def seconds_spanned(part):
            return len({r["recv_us"] // 1_000_000 for r in part.records})

        btc = [p for p in parts if p.symbol == "BTCUSDT" and not p.quarantine]
        eth = [p for p in parts if p.symbol == "ETHUSDT" and not p.quarantine]
        self.assertGreaterEqual(len(btc), 8, [p.key for p in btc])
        self.assertEqual({seconds_spanned(p) for p in btc}, {1})
        self.assertLessEqual(len(eth), 11 // 5 + 3, [p.key for p in eth])
        self.assertGreaterEqual(max(seconds_spanned(p) for p in eth), 4, [p.key for p in eth])
        # 2 PUTs per window: BTCUSDT 2 x 86400, ETHUSDT 2 x 17280, and 1440 heads.
        self.assertIn("expected puts_per_day=208800 ", collector.log_text())

    def test_a_shard_subscribes_to_and_stores_only_its_symbols(self):
        # Rendezvous hashing gives ETHUSDT to shard 0 of 2 and BTCUSDT to shard 1 (tests/unit/config/shard_test.cpp).
        with harness.start_fake_exchange(tls=False, symbols=SYMBOLS, rate=20) as exchange:
            def receive_its_symbol(_collector):
                wait_received_after(exchange, self.metrics_port, symbols=["ETHUSDT"])
                wait_produced(exchange, 40, next_ids(exchange))

            collector = self.run_collector(exchange, during=receive_its_symbol, SHARD="0/2")
            stats = exchange.stats()
        self.assertEqual(stats["symbols"]["BTCUSDT"]["sent"], [], "BTCUSDT was subscribed")
        parts, problems = store_reader.read_store(collector.store_dir)
        self.assertEqual(problems, [])
        self.assertEqual({p.symbol for p in parts}, {"ETHUSDT"})
        stored = set(store_reader.ids_by_symbol(parts)["ETHUSDT"])
        self.assertEqual(store_reader.expand_ranges(stats["symbols"]["ETHUSDT"]["sent"]) - stored, set())
        self.assertIn("shard 0/2 keeps 1 of 2 symbols", collector.log_text())

    def test_reconnects_after_the_exchange_drops_the_connection(self):
        with harness.start_fake_exchange(tls=False, symbols=SYMBOLS, rate=100) as exchange:
            def drop(_collector):
                wait_received_after(exchange, self.metrics_port)
                exchange.drop()
                wait_for(lambda: exchange.stats()["clients"] >= 1, 10, "a reconnect")
                wait_received_after(exchange, self.metrics_port)

            # Then the gap's grace (kGapGrace, 3 s) and its backfill, waited for by their metrics.
            collector = self.run_collector(exchange, during=drop, settle_backfill=True)
            stats = exchange.stats()
        self.check_store(collector, stats)
        self.assertGreaterEqual(collector.log_text().count("connected"), 2)

    def test_kill_9_then_restart_loses_nothing_that_was_written(self):
        with harness.start_fake_exchange(tls=False, symbols=SYMBOLS, rate=200) as exchange:
            first = Collector(self.tmp.name, exchange, ROT_BYTES=self.ROT_BYTES, ROT_SECS=self.ROT_SECS,
                              METRICS_ADDR=f"127.0.0.1:{self.metrics_port}").start()
            self.addCleanup(first.kill)
            wait_for(lambda: exchange.stats()["clients"] >= 1, 15, "the collector to connect")
            # Killed mid-part, after parts were already sealed: the second run recovers open ones.
            wait_for(lambda: (self.metric("market_collector_parts_sealed_total") or 0) >= 2, 15, "sealed parts")
            wait_received_after(exchange, self.metrics_port)
            first.kill()
            self.assertTrue(any("%2F" in f for f in first.spool_files()), "nothing was left open in the spool")
            second = self.run_collector(exchange, during=lambda _: wait_received_after(exchange, self.metrics_port))
        parts, problems = store_reader.read_store(second.store_dir)
        self.assertEqual(problems, [])
        for part in parts:
            self.assertEqual(store_reader.manifest_problems(part), [])
        # Ids of the first run form one contiguous run (nothing lost in the middle): those received
        # in the kernel's socket buffer at the kill are the only ones allowed to miss.
        for symbol, ids in store_reader.ids_by_symbol(parts).items():
            ids = sorted(set(ids))
            holes = [(a, b) for a, b in zip(ids, ids[1:]) if b != a + 1]
            self.assertLessEqual(len(holes), 1, f"{symbol}: holes {holes[:5]}")
        self.assertEqual(second.spool_files(), [])


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class SpoolLockTest(unittest.TestCase):
    def test_a_second_instance_on_the_same_spool_is_refused(self):
        with tempfile.TemporaryDirectory(prefix="mc-itest-") as tmp, \
                harness.start_fake_exchange(symbols=SYMBOLS, rate=10) as exchange:
            first = Collector(tmp, exchange).start()
            self.addCleanup(first.kill)
            wait_for(lambda: exchange.stats()["clients"] >= 1, 15, "the first collector to connect")
            second = subprocess.run([COLLECTOR], env=first.env, capture_output=True, timeout=30)
            output = second.stderr.decode()
            self.assertEqual(second.returncode, 2, output)
            self.assertIn(f"in use by another market-collector (pid {first.proc.pid})", output)
            self.assertEqual(first.stop(), 0)


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class VersionTest(unittest.TestCase):
    def test_version_names_the_version_the_commit_and_the_build_type(self):
        proc = subprocess.run([COLLECTOR, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
            version = re.search(r"project\(market_collector VERSION (\S+)", f.read()).group(1)
        self.assertRegex(proc.stdout, rf"^market-collector {re.escape(version)} "
                                      r"\(commit ([0-9a-f]{7,}(-dirty)?|unknown), "
                                      r"(Debug|Release|RelWithDebInfo|MinSizeRel|none)\)\n$")


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class UnknownEnvironmentTest(unittest.TestCase):
    def test_a_misspelt_setting_is_warned_of_and_the_collector_runs_on(self):
        with tempfile.TemporaryDirectory(prefix="mc-itest-") as tmp, \
                harness.start_fake_exchange(symbols=SYMBOLS, rate=50) as exchange:
            collector = Collector(tmp, exchange, RAW_BUCKT="x", ROT_SECS=1).start()
            self.addCleanup(collector.kill)
            warning = "unknown environment variable RAW_BUCKT; did you mean RAW_BUCKET?"
            wait_for(lambda: warning in collector.log_text(), 15, "the warning")
            # RAW_BUCKT is no bucket: the parts land in the local store.
            wait_for(lambda: store_reader.read_store(collector.store_dir)[0], 20, "a part in the local store")
            self.assertEqual(collector.stop(), 0, collector.log_text()[-3000:])
            lines = [line for line in collector.log_text().splitlines() if warning in line]
            self.assertEqual(len(lines), 1, collector.log_text()[-3000:])
            self.assertIn("warn", lines[0])


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class ConfigErrorTest(unittest.TestCase):
    def run_with(self, written=None, **env):
        """Runs the collector with env; `written`, when given, receives every file it left behind
        (relative to the temporary directory)."""
        with tempfile.TemporaryDirectory(prefix="mc-itest-") as tmp:
            base = {"PATH": "/usr/bin:/bin", "LOCAL_DIR": os.path.join(tmp, "spool"),
                    "LOCAL_STORE_DIR": os.path.join(tmp, "store"), "METRICS_ADDR": ""}
            base.update(env)
            proc = subprocess.run([COLLECTOR], env=base, capture_output=True, timeout=30)
            if written is not None:
                written.extend(os.path.relpath(os.path.join(d, f), tmp) for d, _, files in os.walk(tmp) for f in files)
            return proc.returncode, proc.stderr.decode() + proc.stdout.decode()

    def test_each_bad_value_stops_start_up_with_exit_2_naming_key_and_value(self):
        cases = {
            "ROT_BYTES": "abc",
            "ROT_SECS": "0",
            "SYMBOL": "BTC USDT",
            "TLS_CA_FILE": "/nonexistent/ca.pem",
            "LOCAL_DIR": "/proc/version/spool",
            "GZIP_LEVEL": "11",
            "ROT_SECS_OVERRIDES": "BTCUSDT:7",
        }
        for key, value in cases.items():
            with self.subTest(key=key):
                code, output = self.run_with(**{key: value})
                self.assertEqual(code, 2, output)
                lines = [line for line in output.splitlines() if line.strip()]
                self.assertEqual(len(lines), 1, output)
                self.assertIn(key, lines[0])
                self.assertIn(value, lines[0])

    def test_a_window_for_a_symbol_not_collected_stops_start_up(self):
        code, output = self.run_with(SYMBOL="BTCUSDT,ETHUSDT", ROT_SECS_OVERRIDES="BTCUSDT:1,DOGEUSDT:60")
        self.assertEqual(code, 2, output)
        self.assertIn('ROT_SECS_OVERRIDES="BTCUSDT:1,DOGEUSDT:60": entry "DOGEUSDT:60": DOGEUSDT is not one of the '
                      '2 symbols in SYMBOL', output)

    def test_a_shard_that_gets_no_symbol_stops_start_up(self):
        code, output = self.run_with(SYMBOL="BTCUSDT,ETHUSDT", SHARD="0/3")
        self.assertEqual(code, 2, output)
        self.assertIn('SHARD="0/3": shard 0 of 3 gets none of the 2 symbols in SYMBOL', output)

    def test_names_too_long_for_the_spool_stop_start_up_before_anything_is_written(self):
        # 29 slashes, each 3 bytes in a spool file name: the quarantine part's name is 306 bytes.
        prefix, instance = "a/" * 29, "i" * 64
        written = []
        code, output = self.run_with(written=written, BINANCE_WS_URL="wss://127.0.0.1:9", S3_PREFIX=prefix,
                                     INSTANCE_ID=instance)
        self.assertEqual(code, 2, output)
        lines = [line for line in output.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, output)
        self.assertIn("S3_PREFIX (58 bytes), INSTANCE_ID (64 bytes)", lines[0])
        self.assertIn("spool file name of 306 bytes (limit 255)", lines[0])
        self.assertIn(f"part-{instance}-9999999999999.jsonl.gz", lines[0])
        self.assertEqual(written, ["spool/.lock"], "nothing but the spool's lock")

    def test_an_instance_id_from_imds_that_cannot_name_keys_stops_start_up(self):
        def credentials():
            expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
            return {"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "secret", "SessionToken": "token",
                    "Expiration": expires}

        for bad_id in ("i-0abc/../../etc", "i-" + "0" * 63):
            with self.subTest(instance_id=bad_id), FakeImds(credentials, instance_id=bad_id) as imds:
                written = []
                code, output = self.run_with(
                    written=written, INSTANCE_ID="", RAW_BUCKET="market-raw", AWS_REGION="us-east-1",
                    S3_ENDPOINT="http://127.0.0.1:9", AWS_EC2_METADATA_DISABLED="false",
                    AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url, BINANCE_WS_URL="wss://127.0.0.1:9")
                self.assertEqual(code, 2, output)
                self.assertIn(f'the instance id from IMDSv2 "{bad_id}" cannot name keys', output)
                self.assertEqual(written, ["spool/.lock"], "nothing but the spool's lock")


if __name__ == "__main__":
    unittest.main()
