"""The shell examples of README.md and docs/, run as written against a running collector.

Fenced `sh` blocks whose first line is `# tested` run with bash (errexit, no pipefail: `find | head` is
how a user's shell runs them) in a directory whose `data/store` a collector is writing, with that
collector's directory first on PATH (`market-collector`). The one substitution: the documented metrics
address `127.0.0.1:9108` becomes the running collector's, which is also in `METRICS_ADDR`.

The `ohlcv` block of docs/OHLCV.md writes today's bars of that store (libduckdb.so from
install-deps.sh or MC_LIBDUCKDB).

The blocks not marked need what a test here does not have: systemd (`systemctl`, `journalctl`; the unit
itself is tested by integration.systemd), root and apt (`apt install ./…deb`; package.deb builds it),
podman (integration of docs/CONTAINER.md is container.image), or a release build and minutes of
benchmark (docs/PERFORMANCE.md's commands are the ones `scripts/bench.sh` runs). The blocks marked
`# tested with S3` (README's collector on S3, the runbook's audit and crontab line) need a bucket:
test_doc_shell_s3 runs them against moto.

Needs MC_COLLECTOR_BIN and MC_SOURCE_DIR (CTest sets both). ~10 s.
"""
import json
import os
import re
import subprocess
import tempfile
import unittest

import harness
from collector_process import COLLECTOR, Collector, wait_for
from test_athena_sql import ensure_duckdb, run_sql

SOURCE_DIR = harness.source_dir()
DOCUMENTED_METRICS_ADDR = "127.0.0.1:9108"
BLOCK_TIMEOUT_SECS = 30


def tested_sql_blocks(doc):
    """The fenced `sql` blocks whose first line is `-- tested` (README's are indented in a list)."""
    with open(os.path.join(SOURCE_DIR, doc), encoding="utf-8") as f:
        return [re.sub(r"(?m)^  ", "", block) for block in re.findall(r"```sql\n *-- tested\n(.*?)```", f.read(), re.S)]


def tested_shell_blocks(doc):
    with open(os.path.join(SOURCE_DIR, doc), encoding="utf-8") as f:
        return re.findall(r"```sh\n# tested\n(.*?)```", f.read(), re.S)


class DocShellExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not COLLECTOR:
            raise AssertionError("MC_COLLECTOR_BIN is not set")
        cls.tmp = tempfile.TemporaryDirectory(prefix="mc-doc-shell-")
        cls.exchange = harness.start_fake_exchange(symbols=["BTCUSDT", "ETHUSDT"], rate=50)
        cls.metrics_addr = f"127.0.0.1:{harness.free_port()}"
        workdir = os.path.join(cls.tmp.name, "collector")
        os.makedirs(workdir)
        cls.collector = Collector(workdir, cls.exchange, ROT_SECS=1, METRICS_ADDR=cls.metrics_addr,
                                  LOCAL_STORE_DIR=os.path.join(cls.tmp.name, "data", "store"))
        cls.collector.start()
        store = cls.collector.env["LOCAL_STORE_DIR"]
        try:
            wait_for(lambda: any(name.startswith("part-") for _, _, names in os.walk(store) for name in names), 30,
                     "the collector to store a part")
            # A stored part means messages came, and /readyz follows the first one at once
            # (docs/RUNBOOK.md); it still needs the main loop's first report, made on another thread.
            wait_for(lambda: cls.status(f"http://{cls.metrics_addr}/readyz") == 200, 30, "/readyz to answer 200")
        except AssertionError:
            cls.tearDownClass()
            raise

    @staticmethod
    def status(url):
        try:
            return harness.http_get(url, timeout=2).status
        except OSError:
            return None

    @classmethod
    def tearDownClass(cls):
        cls.collector.kill()
        cls.exchange.stop()
        cls.tmp.cleanup()

    def run_block(self, block, env=None):
        script = block.replace(DOCUMENTED_METRICS_ADDR, self.metrics_addr)
        full_env = {"PATH": os.path.dirname(os.path.abspath(COLLECTOR)) + ":/usr/bin:/bin",
                    "METRICS_ADDR": self.metrics_addr, "HOME": self.tmp.name}
        full_env.update(env or {})
        proc = subprocess.run(["bash", "-e", "-c", script], cwd=self.tmp.name, env=full_env, capture_output=True,
                              timeout=BLOCK_TIMEOUT_SECS)
        self.assertEqual(proc.returncode, 0, f"{proc.stderr.decode(errors='replace')[-2000:]}\n{script}")
        return proc.stdout.decode()

    def only_block(self, doc):
        blocks = tested_shell_blocks(doc)
        self.assertEqual(len(blocks), 1, f"the tested sh blocks of {doc}")
        return blocks[0]

    def test_readme_shows_a_manifest_and_the_first_lines_of_a_part(self):
        out = self.run_block(self.only_block("README.md"))
        manifest_text, _, lines_text = out.partition("\n{\"recv_us\"")
        manifest = json.loads(manifest_text)
        self.assertGreater(manifest["payload"]["record_count"], 0)
        self.assertRegex(manifest["payload"]["sha256"], r"^[0-9a-f]{64}$")
        lines = ("{\"recv_us\"" + lines_text).splitlines()
        # head -3 of whichever part find lists first: the collector's first part holds fewer than
        # three trades when it started just before a window's end (seen once, 2026-12-06).
        self.assertIn(len(lines), (1, 2, 3), out)
        for line in lines:
            record = json.loads(line)
            self.assertEqual(record["data"]["e"], "trade")

    def test_ohlcv_doc_writes_todays_bars_from_the_running_collectors_store(self):
        env = {"MC_LIBDUCKDB": os.environ["MC_LIBDUCKDB"]} if "MC_LIBDUCKDB" in os.environ else {}
        out = self.run_block(self.only_block("docs/OHLCV.md"), env)
        day = out.split()[-1]
        self.assertRegex(day, r"^dt=\d{4}-\d{2}-\d{2}$", out)
        with open(os.path.join(self.tmp.name, "data", "curated", "_curated.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        btc = manifest["symbols"][0]
        self.assertEqual(btc["symbol"], "BTCUSDT")
        self.assertGreater(sum(d["trades"] for d in btc["days"]), 0, manifest)
        self.assertTrue(any(d["bars"] > 0 for d in btc["days"]), manifest)

        # README's and OHLCV.md's DuckDB queries read those bars; their example day becomes today's.
        ensure_duckdb()
        curated = os.path.join(self.tmp.name, "data", "curated")
        for doc, example_dir in (("README.md", "DIR"), ("docs/OHLCV.md", "/data/curated")):
            (query,) = tested_sql_blocks(doc)
            self.assertIn(f"'{example_dir}/ohlcv_1s/", query, doc)
            rows = run_sql([query.replace(f"'{example_dir}/", f"'{curated}/").replace("'2025-02-09'", f"'{day[3:]}'")])
            bars = rows[-1]
            self.assertGreater(len(bars), 0, doc)
            times = [bar["open_time"] for bar in bars]
            self.assertEqual(times, sorted(set(times)), doc)  # ascending, one row a second
            self.assertLessEqual(float(bars[0]["low"]), float(bars[0]["high"]), (doc, bars[0]))

    def test_runbook_reads_metrics_health_and_readiness(self):
        out = self.run_block(self.only_block("docs/RUNBOOK.md"))
        self.assertRegex(out, r"(?m)^market_collector_symbol_trades_total\{symbol=\"BTCUSDT\"\} [1-9]")
        # /healthz then /readyz after the metrics, each "ok".
        self.assertTrue(out.endswith("\nok\nok\n"), out[-200:])

    def test_container_healthcheck_command_passes_on_a_healthy_collector(self):
        self.run_block(self.only_block("docs/CONTAINER.md"))

    def test_container_healthcheck_command_fails_where_nothing_listens(self):
        block = self.only_block("docs/CONTAINER.md")
        proc = subprocess.run(["bash", "-e", "-c", block], cwd=self.tmp.name, capture_output=True,
                              env={"PATH": "/usr/bin:/bin", "METRICS_ADDR": f"127.0.0.1:{harness.free_port()}"},
                              timeout=BLOCK_TIMEOUT_SECS)
        self.assertNotEqual(proc.returncode, 0)

    def test_fleet_rendezvous_snippet_prints_the_shard_its_comment_claims(self):
        block = self.only_block("docs/FLEET.md")
        claimed = re.search(r"# -> \.\.\. (\d+)", block)
        self.assertIsNotNone(claimed, block)
        out = self.run_block(block).split()
        self.assertEqual(out[-1], claimed.group(1), out)
        # The collector agrees: every other shard of 3 refuses a SYMBOL of BTCUSDT alone.
        for shard in {"0", "1", "2"} - {claimed.group(1)}:
            proc = subprocess.run([COLLECTOR], env={"PATH": "/usr/bin:/bin", "SYMBOL": "BTCUSDT",
                                                    "SHARD": f"{shard}/3", "METRICS_ADDR": ""},
                                  capture_output=True, text=True, timeout=BLOCK_TIMEOUT_SECS)
            self.assertIn(f'SHARD="{shard}/3": shard {shard} of 3 gets none', proc.stderr, proc.stderr[-2000:])


if __name__ == "__main__":
    unittest.main()
