"""The shell examples of README.md and docs/RUNBOOK.md that need a bucket, run as written against moto.

Fenced `sh` blocks whose first line is `# tested with S3` run against moto's S3 (IAM enforced) with a
bucket named as the docs name it, `my-tick-archive`: README's collector on S3, the runbook's audit
(manifests only, then deep through `jq`) and its daily-audit crontab line. The environment supplies what
a host supplies outside the line: the endpoint (moto), the AWS credentials (the collector's user for the
collector, the reader's for the audit), the fake exchange's URLs and CA. The substitutions, each because
the doc names a real-world value: the runbook's example range becomes the range this test recorded, and
the crontab line's `/var/log/mc-audit` a temporary directory; cron's own `\\%` escapes are undone as cron
undoes them, and the line runs with /bin/sh as cron runs it, with a `logger` that records its arguments.

Needs MC_COLLECTOR_BIN, MC_SOURCE_DIR (CTest sets both) and moto (run under MC_MOTO_PYTHON). ~30 s.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from collector_process import (COLLECTOR, SYMBOLS, last_trade_id, next_ids, wait_caught_up, wait_for,
                               wait_produced)
from s3_support import MotoS3

SOURCE_DIR = harness.source_dir()
BUCKET = "my-tick-archive"
README_BINARY = "build/release/src/app/market-collector"
DOC_FROM, DOC_TO = "2026-11-25T00:00:00Z", "2026-11-25T01:00:00Z"
CRON_LOG_DIR = "/var/log/mc-audit"
RATE = 100             # trades per second per symbol
RUN_TRADES = 300       # per symbol, while the collector records
MARGIN_SECS = 120      # the audited range starts before the exchange's first trade and ends after its last
BLOCK_TIMEOUT_SECS = 60
CRON_FIELDS = re.compile(r"^(?:\S+\s+){5}")


def s3_blocks(doc):
    with open(os.path.join(SOURCE_DIR, doc), encoding="utf-8") as f:
        return re.findall(r"```sh\n# tested with S3\n(.*?)```", f.read(), re.S)


def iso(epoch_secs):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_secs))


def cron_command(line):
    """What cron runs for a crontab line: the command after the five time fields, `\\%` as `%` (an
    unescaped `%` would end the command and feed the rest to its standard input)."""
    command = CRON_FIELDS.sub("", line.strip(), count=1)
    if re.search(r"(?<!\\)%", command):
        raise AssertionError(f"unescaped % in the crontab line: {line}")
    return command.replace("\\%", "%")


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class DocShellS3ExamplesTest(unittest.TestCase):
    """One recording (README's line) then the runbook's audit blocks over what it stored."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mc-doc-s3-")
        cls.moto = MotoS3(bucket=BUCKET)
        cls.exchange = harness.start_fake_exchange(symbols=SYMBOLS, rate=RATE, start_paused=True)
        try:
            cls.record()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.exchange.stop()
        cls.moto.close()
        cls.tmp.cleanup()

    @classmethod
    def host_env(cls, creds, **extra):
        """What the host supplies beside the documented line: endpoint, credentials, the fake exchange."""
        env = {"PATH": os.path.dirname(os.path.abspath(COLLECTOR)) + ":/usr/bin:/bin", "HOME": cls.tmp.name,
               "S3_ENDPOINT": cls.moto.endpoint_url, "BINANCE_WS_URL": cls.exchange.url,
               "BINANCE_REST_URL": cls.exchange.rest_url, "LOCAL_DIR": os.path.join(cls.tmp.name, "spool")}
        if cls.exchange.ca_file:
            env["TLS_CA_FILE"] = cls.exchange.ca_file
        env.update(creds.env())
        env.update(extra)
        return env

    @classmethod
    def record(cls):
        """README's S3 line, run in a directory holding the binary where the README builds it, records
        RUN_TRADES trades of each symbol; stopped with SIGTERM once it holds every trade sent."""
        (block,) = s3_blocks("README.md")
        binary = os.path.join(cls.tmp.name, README_BINARY)
        os.makedirs(os.path.dirname(binary))
        os.symlink(os.path.abspath(COLLECTOR), binary)
        port = harness.free_port()
        env = cls.host_env(cls.moto.collector, SYMBOL=",".join(SYMBOLS), INSTANCE_ID="doc-s3",
                           METRICS_ADDR=f"127.0.0.1:{port}", ROT_SECS="1")
        cls.started = time.time()
        log_path = os.path.join(cls.tmp.name, "collector.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(["bash", "-e", "-c", block], cwd=cls.tmp.name, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(lambda: cls.exchange.stats()["clients"] >= 1, 15, "the README's collector to connect")
            since = next_ids(cls.exchange)
            cls.exchange.resume()
            wait_produced(cls.exchange, RUN_TRADES, since)
            cls.exchange.pause()
            wait_caught_up(cls.exchange, port)
            cls.newest = {symbol: last_trade_id(port, symbol) for symbol in SYMBOLS}
            os.killpg(proc.pid, signal.SIGTERM)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        cls.stopped = time.time()
        with open(log_path, encoding="utf-8", errors="replace") as f:
            cls.collector_log = f.read()
        if code != 0 or "every part sealed and stored" not in cls.collector_log:
            raise AssertionError(f"README's collector exited {code}:\n{cls.collector_log[-3000:]}")

    def run_sh(self, script, env, shell="bash"):
        proc = subprocess.run([shell, "-c", script], cwd=self.tmp.name, env=env, capture_output=True, text=True,
                              timeout=BLOCK_TIMEOUT_SECS)
        return proc.returncode, proc.stdout, proc.stderr

    def test_readme_collector_stored_parts_in_the_bucket(self):
        parts = [k for k in self.moto.list_objects("raw/") if "/part-doc-s3-" in k]
        manifests = [k for k in self.moto.list_objects("raw/") if "/manifest-doc-s3-" in k]
        self.assertGreater(len(parts), 0, self.collector_log[-2000:])
        self.assertEqual(len(parts), len(manifests))
        self.assertIn("store check: can write", self.collector_log)

    def test_runbook_audit_finds_the_recorded_range_complete(self):
        (block, _cron) = s3_blocks("docs/RUNBOOK.md")
        self.assertEqual(block.count(DOC_FROM), 2, block)
        script = (block.replace(DOC_FROM, iso(self.started - MARGIN_SECS))
                  .replace(DOC_TO, iso(self.stopped + MARGIN_SECS)))
        code, out, err = self.run_sh("set -e\n" + script, self.host_env(self.moto.reader))
        self.assertEqual(code, 0, f"{err[-3000:]}\n{script}")
        self.assertIn("result: clean", out)
        rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        self.assertEqual(sorted(row["symbol"] for row in rows), sorted(SYMBOLS), out)
        for row in rows:
            self.assertEqual((row["missing_count"], row["missing"]), (0, []), row)

    def cron(self, **env):
        """The runbook's crontab line as cron runs it; returns (logger's arguments or None, log dir)."""
        (_audit, block) = s3_blocks("docs/RUNBOOK.md")
        (line,) = [l for l in block.splitlines() if l and not l.startswith("#")]
        log_dir = tempfile.mkdtemp(dir=self.tmp.name, prefix="mc-audit-")
        bin_dir = tempfile.mkdtemp(dir=self.tmp.name, prefix="bin-")
        logged = os.path.join(bin_dir, "logger.args")
        with open(os.path.join(bin_dir, "logger"), "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$*" > {logged}\n')
        os.chmod(os.path.join(bin_dir, "logger"), 0o755)
        host = self.host_env(self.moto.reader, **env)
        host["PATH"] = f"{bin_dir}:{host['PATH']}"
        code, _, err = self.run_sh(cron_command(line).replace(CRON_LOG_DIR, log_dir), host, shell="/bin/sh")
        self.assertEqual(code, 0, err)
        args = None
        if os.path.exists(logged):
            with open(logged, encoding="utf-8") as f:
                args = f.read().strip()
        return args, log_dir

    def test_runbook_cron_line_keeps_yesterdays_report(self):
        logged, log_dir = self.cron()
        yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        with open(os.path.join(log_dir, f"{yesterday}.json"), encoding="utf-8") as f:
            report = json.load(f)
        self.assertEqual(report["from"], f"{yesterday}T00:00:00.000Z", report)
        self.assertIsNone(logged, report)  # the exchange published nothing yesterday that the store lacks

    def test_runbook_cron_line_raises_the_alarm_for_a_day_nobody_recorded_and_nobody_can_confirm(self):
        # Without the exchange the audit cannot learn that yesterday was quiet, and the bucket holds
        # nothing of it: an absence, exit 1, not "clean" and not merely "not checked".
        logged, log_dir = self.cron(BINANCE_REST_URL=f"https://127.0.0.1:{harness.free_port()}")
        self.assertEqual(logged, "-p user.err market-collector audit: exit 1 (1 missing ids or damaged objects, "
                                 "3 exchange unreachable)")
        (name,) = os.listdir(log_dir)
        with open(os.path.join(log_dir, name), encoding="utf-8") as f:
            report = json.load(f)
        self.assertEqual({f["kind"] for f in report["findings"]}, {"no_data", "exchange_unavailable"}, report)

if __name__ == "__main__":
    unittest.main()
