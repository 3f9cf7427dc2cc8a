"""The collector writing to S3: moto with IAM enforced, the collector's own least-privilege user.

Runs under the Python that has moto and boto3 (MC_MOTO_PYTHON); needs MC_COLLECTOR_BIN and MC_SOURCE_DIR.
The bucket is read back by a separate reader user, mirrored into a directory, and checked with the same
reader as the local store: every id the exchange sent is stored, every part has its manifest, bytes,
SSE and checksums are right.
"""
import json
import os
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness
import store_reader
from collector_process import COLLECTOR, SYMBOLS, Collector, metric, wait_caught_up, wait_for, wait_received_after
from fake_imds import FakeImds
from fault_proxy import Fault, FaultProxy
from s3_support import MotoS3

ROT_BYTES = 65536
ROT_SECS = 2
DATA_PREFIX = "raw/exchange=binance/"


class S3CollectorTest(unittest.TestCase):
    def setUp(self):
        if not COLLECTOR:
            self.fail("MC_COLLECTOR_BIN is not set")
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-s3-itest-")
        self.addCleanup(self.tmp.cleanup)
        self.moto = MotoS3()
        self.addCleanup(self.moto.close)

    # -- running -----------------------------------------------------------------------------------
    def collector(self, exchange, name="run", **env):
        base = {"ROT_BYTES": ROT_BYTES, "ROT_SECS": ROT_SECS, "AWS_EC2_METADATA_DISABLED": "true",
                "HOME": self.tmp.name, "STOP_TIMEOUT_SECS": 5}
        base.update(env)
        base.setdefault("METRICS_ADDR", f"127.0.0.1:{harness.free_port()}")
        workdir = os.path.join(self.tmp.name, "collector")
        os.makedirs(workdir, exist_ok=True)
        collector = Collector(workdir, exchange, **base)
        collector.metrics_port = int(base["METRICS_ADDR"].rsplit(":", 1)[1])
        collector.log_path = os.path.join(workdir, f"{name}.log")
        collector.start()
        self.addCleanup(collector.kill)
        return collector

    def metric(self, collector, name):
        return metric(collector.metrics_port, name) or 0

    def run_for(self, collector, exchange, until=None, what="the scenario", timeout=60):
        """Runs the collector until it receives trades and until() is true; then stops production,
        waits for what is in flight to arrive, and stops the collector with SIGTERM."""
        wait_for(lambda: exchange.stats()["clients"] >= 1, 15, "the collector to connect")
        wait_received_after(exchange, collector.metrics_port)
        if until is not None:
            wait_for(until, timeout, what)
        # Trades written after the collector stopped reading are not its to lose.
        exchange.pause()
        wait_caught_up(exchange, collector.metrics_port)
        code = collector.stop()
        self.assertEqual(code, 0, collector.log_text()[-3000:])

    # -- reading back --------------------------------------------------------------------------------
    def check_complete(self, stats, instance="itest-1"):
        parts, problems = store_reader.read_store(self.moto.mirror(os.path.join(self.tmp.name, "mirror")))
        self.assertEqual(problems, [])
        self.assertTrue(parts, "nothing was stored")
        for part in parts:
            self.assertEqual(store_reader.manifest_problems(part), [], part.key)
            self.assertEqual(part.instance, instance)
        stored = store_reader.ids_by_symbol(parts)
        for symbol in SYMBOLS:
            sent = store_reader.expand_ranges(stats["symbols"][symbol]["sent"])
            got = stored.get(symbol, [])
            self.assertTrue(sent, f"the exchange sent nothing for {symbol}")
            self.assertEqual(sorted(sent - set(got))[:20], [], f"{symbol}: ids missing")
            # Each part's ids are stored under one key only: no id twice.
            self.assertEqual(len(got), len(set(got)), f"{symbol}: ids stored twice")
        return parts

    # -- tests -----------------------------------------------------------------------------------------
    def test_put_only_user_stores_every_part_and_manifest_encrypted_with_checksums(self):
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=300) as exchange:
            collector = self.collector(exchange, **self.moto.collector_env(), INSTANCE_ID="itest-1")
            self.run_for(collector, exchange, lambda: self.metric(collector, "market_collector_uploads_total") >= 4,
                         "four parts stored")
            stats = exchange.stats()
        parts = self.check_complete(stats)
        self.assertGreaterEqual(len(parts), 4)
        self.assertEqual(collector.spool_files(), [])
        log = collector.log_text()
        self.assertIn("store check: can write", log)
        self.assertNotIn(self.moto.collector.secret_access_key, log)
        # Outside the data layout: the start-up probe and the heads, each a new key.
        others = [k for k in self.moto.list_objects("raw/") if not k.startswith(DATA_PREFIX)]
        self.assertRegex(others[-1], r"^raw/_collector/startup/itest-1/[0-9]{13}\.json$")
        self.assertTrue(others[:-1], others)
        for key in others[:-1]:
            self.assertRegex(key, r"^raw/_collector/heads/itest-1/[0-9]{13}\.json$")

    def test_wrong_secret_keeps_every_part_in_the_spool_until_restarted_with_the_right_one(self):
        env = self.moto.collector_env()
        right_secret = env["AWS_SECRET_ACCESS_KEY"]
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=200) as exchange:
            wrong = self.collector(exchange, name="wrong", **dict(env, AWS_SECRET_ACCESS_KEY="x" * 40),
                                   INSTANCE_ID="itest-1")
            self.run_for(wrong, exchange,
                         lambda: (len([f for f in wrong.spool_files() if "/sealed/" in f]) >= 4
                                  and self.metric(wrong, "market_collector_upload_failures_total") >= 1),
                         "four parts sealed and an upload refused")
            log = wrong.log_text()
            self.assertIn("SignatureDoesNotMatch", log)
            self.assertIn("fix the secret", log)
            self.assertNotIn(right_secret, log)
            self.assertEqual([k for k in self.moto.list_objects("raw/")], [])
            left = [f for f in wrong.spool_files() if "/sealed/" in f]
            self.assertGreaterEqual(len(left), 4, wrong.spool_files())

            exchange.resume()
            right = self.collector(exchange, name="right", **env, INSTANCE_ID="itest-1")
            left_parts = sum(1 for f in left if f.endswith(".jsonl.gz"))
            self.run_for(right, exchange, lambda: self.metric(right, "market_collector_uploads_total") >= left_parts,
                         "the parts the wrong secret left stored")
            stats = exchange.stats()
        self.check_complete(stats)
        self.assertEqual(right.spool_files(), [])

    def sealed_pairs(self, collector):
        """{part key: (part file, manifest file)} of the complete pairs in the spool's sealed/."""
        sealed = os.path.join(collector.spool_dir, "sealed")
        files = {urllib.parse.unquote(name): os.path.join(sealed, name) for name in os.listdir(sealed)}
        pairs = {}
        for key, path in files.items():
            if key.endswith(".jsonl.gz"):
                manifest_key = key.replace("/part-", "/manifest-")[: -len(".jsonl.gz")] + ".json"
                if manifest_key in files:
                    pairs[key] = (path, files[manifest_key])
        return pairs

    def test_a_taken_key_is_stored_when_identical_and_kept_beside_when_different(self):
        """Every PUT carries If-None-Match: *; moto answers 412 for a taken key. The collector HEADs the object
        there (with its own put-and-get user): the same bytes count as stored, other bytes are never
        overwritten and the part is stored under a lower epoch_ms with a manifest naming that key."""
        env = self.moto.collector_env()
        admin = self.moto.client("s3", self.moto.admin)
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=200) as exchange:
            offline = self.collector(exchange, name="offline", **dict(env, AWS_SECRET_ACCESS_KEY="x" * 40))
            self.run_for(offline, exchange, lambda: len(self.sealed_pairs(offline)) >= 2, "two sealed pairs")
            pairs = self.sealed_pairs(offline)
            self.assertGreaterEqual(len(pairs), 2, offline.spool_files())
            (same_key, (same_part, _)), (taken_key, (taken_part, taken_manifest)) = sorted(pairs.items())[:2]
            with open(same_part, "rb") as f:
                same_bytes = f.read()
            with open(taken_part, "rb") as f:
                our_bytes = f.read()
            with open(taken_manifest, "rb") as f:
                our_manifest = f.read()
            # Another writer got there first: once with this very object, once with something else.
            admin.put_object(Bucket=self.moto.bucket, Key=same_key, Body=same_bytes, ChecksumAlgorithm="SHA256")
            admin.put_object(Bucket=self.moto.bucket, Key=taken_key, Body=b"their object")

            exchange.resume()
            port = harness.free_port()
            online = self.collector(exchange, name="online", **env, METRICS_ADDR=f"127.0.0.1:{port}")
            # The conflict is counted on the Prometheus endpoint; the stop drains what is left.
            wait_for(lambda: metric(port, "market_collector_store_key_conflicts_total") == 1.0, 30,
                     "the taken key to be counted")
            self.run_for(online, exchange)

        log = online.log_text()
        self.assertEqual(self.moto.get_object(same_key), same_bytes)
        self.assertIn(same_key.replace("/part-", "/manifest-")[: -len(".jsonl.gz")] + ".json",
                      self.moto.list_objects("raw/"))
        self.assertEqual(self.moto.get_object(taken_key), b"their object", "never overwritten")
        self.assertIn(f"KEY HOLDS A DIFFERENT OBJECT, not overwritten; both are kept, this part is stored under a "
                      f"new epoch_ms: key={taken_key}", log)
        epoch = taken_key[: -len(".jsonl.gz")].rsplit("-", 1)[1]
        moved_key = [k for k in self.moto.list_objects(DATA_PREFIX)
                     if k.endswith(".jsonl.gz") and k != taken_key and self.moto.get_object(k) == our_bytes]
        self.assertEqual(len(moved_key), 1, "our part, stored once under a new key")
        moved_epoch = int(moved_key[0][: -len(".jsonl.gz")].rsplit("-", 1)[1])
        self.assertLess(moved_epoch, int(epoch))
        moved_manifest = json.loads(self.moto.get_object(
            moved_key[0].replace("/part-", "/manifest-")[: -len(".jsonl.gz")] + ".json"))
        original = json.loads(our_manifest)
        self.assertEqual(moved_manifest["payload"]["s3_key"], moved_key[0])
        original["payload"]["s3_key"] = moved_key[0]
        self.assertEqual(moved_manifest, original, "every other manifest field kept")
        self.assertEqual(online.spool_files(), [])

    def test_imds_credentials_are_refreshed_across_several_expiries(self):
        imds = FakeImds(lambda: self.moto.assume_role(900), cache_secs=15)
        self.addCleanup(imds.close)
        env = {"RAW_BUCKET": self.moto.bucket, "S3_ENDPOINT": self.moto.endpoint_url, "AWS_REGION": self.moto.region,
               "AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url}
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=100) as exchange:
            collector = self.collector(exchange, **env, INSTANCE_ID="")  # unset: IMDS names the instance
            # Each set of credentials expires 15 s after it was minted and is used until 10 s before
            # that: run through three sets, fetched again and again (about 30 s).
            self.run_for(collector, exchange, lambda: imds.mints >= 3 and imds.credential_fetches >= 6,
                         "three sets of credentials")
            stats = exchange.stats()
        # Every part arrived, whichever set stored it.
        self.assertGreaterEqual(imds.mints, 3, imds.counts())
        self.assertGreaterEqual(imds.credential_fetches, 6, imds.counts())
        self.check_complete(stats, instance=imds.instance_id)
        self.assertEqual(collector.spool_files(), [])

    def test_throttling_resets_and_delays_between_collector_and_s3_lose_nothing_and_store_once(self):
        proxy = FaultProxy(self.moto.endpoint_url)
        self.addCleanup(proxy.close)
        proxy.add_rule(Fault.slowdown(), requests=[2, 3, 4])
        proxy.add_rule(Fault.reset(after_bytes=1000), requests=[6, 9])
        proxy.add_rule(Fault.internal_error(), requests=[11])
        proxy.add_rule(Fault.delay(3.0), requests=[13])
        proxy.add_rule(Fault.forbidden_empty(), requests=[15])
        proxy.add_rule(Fault.time_skewed(3600), requests=[17])
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=300) as exchange:
            collector = self.collector(exchange, **self.moto.collector_env(endpoint_url=proxy.url),
                                       INSTANCE_ID="itest-1")
            # Every fault of the plan (requests 2..17) has been served.
            self.run_for(collector, exchange, lambda: len(proxy.records) >= 17, "17 requests served by the proxy")
            # The part refused with a bare 403 waits for an operator (capped retry interval), beyond the
            # stop deadline: it is in the spool, and the next start uploads it first.
            self.assertTrue(collector.spool_files())
            exchange.resume()
            again = self.collector(exchange, name="again", **self.moto.collector_env(endpoint_url=proxy.url),
                                   INSTANCE_ID="itest-1")
            self.run_for(again, exchange, lambda: self.metric(again, "market_collector_uploads_total") >= 1,
                         "the held part stored")
            stats = exchange.stats()
        faults = [r.fault for r in proxy.records if r.fault]
        self.assertEqual(sorted(faults), sorted(["slowdown"] * 3 + ["reset"] * 2 + ["internal_error", "delay",
                                                                                       "forbidden_empty", "time_skewed"]))
        # The skewed answer moved the signing clock to the server's, logged once with the fix.
        self.assertRegex(collector.log_text(), r"local clock is off from S3's by 3[56]\d\d s")
        parts = self.check_complete(stats)
        # Retried keys were overwritten in place: one part per (symbol, epoch), id ranges never overlap.
        for symbol in SYMBOLS:
            ranges = sorted((p.manifest["payload"]["id_first"], p.manifest["payload"]["id_last"])
                            for p in parts if p.symbol == symbol and not p.quarantine)
            for (_, last), (first, _) in zip(ranges, ranges[1:]):
                self.assertLess(last, first, f"{symbol}: overlapping parts {ranges}")
        self.assertEqual(again.spool_files(), [])

    def test_start_up_check_names_the_refusal_and_the_collector_keeps_collecting(self):
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=50) as exchange:
            collector = self.collector(exchange, **self.moto.collector_env(), S3_PREFIX="elsewhere/",
                                       INSTANCE_ID="itest-1")
            wait_for(lambda: "store check" in collector.log_text(), 15, "the start-up check")
            log = collector.log_text()
            self.assertRegex(log, r"store check: cannot write.*AccessDenied")
            self.assertIn("arn:aws:s3:::mc-integration/elsewhere/*", log)
            wait_for(lambda: any("/sealed/" in f for f in collector.spool_files()), 15, "a sealed part")
            self.assertIsNone(collector.proc.poll(), "the collector must keep running")
            collector.stop()


    def audit_bucket(self, creds, from_ms, to_ms, *extra, symbols=SYMBOLS):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.tmp.name, "RAW_BUCKET": self.moto.bucket,
               "S3_ENDPOINT": self.moto.endpoint_url, "AWS_REGION": self.moto.region,
               "AWS_EC2_METADATA_DISABLED": "true", "SYMBOL": ",".join(symbols),
               "LOCAL_DIR": os.path.join(self.tmp.name, "unused-spool")}
        env.update(creds.env())
        return subprocess.run([COLLECTOR, "audit", "--offline", "--json", "--deep", "--from", str(from_ms),
                               "--to", str(to_ms), *extra],
                              env=env, capture_output=True, text=True, timeout=120)

    def test_audit_reads_the_bucket_with_the_readers_credentials_and_finds_it_complete(self):
        start_ms = int(time.time() * 1000) - 120_000
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=200) as exchange:
            collector = self.collector(exchange, **self.moto.collector_env(), INSTANCE_ID="itest-1")
            self.run_for(collector, exchange, lambda: self.metric(collector, "market_collector_uploads_total") >= 4,
                         "four parts stored")
            stats = exchange.stats()
        # A minute past the stop: within the audit's 2-minute grace for heads (instance_stopped).
        end_ms = int(time.time() * 1000) + 60_000
        proc = self.audit_bucket(self.moto.reader, start_ms, end_ms)
        self.assertEqual(proc.returncode, 0, proc.stdout[-2000:] + proc.stderr[-2000:])
        report = json.loads(proc.stdout)
        self.assertEqual(report["findings"], [])
        by_symbol = {s["symbol"]: s for s in report["symbols"]}
        for symbol in SYMBOLS:
            sent = store_reader.expand_ranges(stats["symbols"][symbol]["sent"])
            self.assertEqual((by_symbol[symbol]["first_id"], by_symbol[symbol]["last_id"]), (min(sent), max(sent)))
            self.assertEqual(by_symbol[symbol]["ids"], len(sent), symbol)
            self.assertEqual(by_symbol[symbol]["missing_count"], 0, symbol)
        # --symbols-from-store lists the symbol folders (delimiter "/") with the reader's credentials.
        found = self.audit_bucket(self.moto.reader, start_ms, end_ms, "--symbols-from-store", symbols=["SOLUSDT"])
        self.assertEqual(found.returncode, 0, found.stdout[-2000:] + found.stderr[-2000:])
        self.assertEqual(sorted(s["symbol"] for s in json.loads(found.stdout)["symbols"]), sorted(SYMBOLS))
        # The collector's own role can write but neither list nor read: the audit says so and fails.
        denied = self.audit_bucket(self.moto.collector, start_ms, end_ms)
        self.assertEqual(denied.returncode, 1, denied.stdout[-2000:])
        self.assertIn("AccessDenied", denied.stderr)

    def test_no_region_anywhere_is_a_configuration_error_naming_aws_region(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.tmp.name, "RAW_BUCKET": "mc-integration",
               "AWS_EC2_METADATA_DISABLED": "true", "LOCAL_DIR": os.path.join(self.tmp.name, "spool"),
               "INSTANCE_ID": "itest-1", "METRICS_ADDR": "", "BINANCE_WS_URL": "ws://127.0.0.1:9"}
        proc = subprocess.run([COLLECTOR], env=env, capture_output=True, timeout=30)
        output = (proc.stdout + proc.stderr).decode(errors="replace")
        self.assertEqual(proc.returncode, 2, output)
        self.assertIn("AWS_REGION", output)


if __name__ == "__main__":
    unittest.main()
