"""The running collector's /metrics, as Prometheus and the monitoring files see it.

A collector against the fake exchange stores a few parts; then its exposition must pass `promtool check
metrics` (HELP and TYPE lines, naming and unit conventions) and hold every metric that
deploy/monitoring's alert rules and Grafana dashboard read, with live values: trades and connections
counted, the spool's disk measured, an upload time, the process_* series. static.monitoring checks the
same names against the sources; this checks the binary. Needs MC_COLLECTOR_BIN and promtool (Debian:
prometheus).
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from collector_process import COLLECTOR, SYMBOLS, Collector, wait_for

MONITORING = os.path.join(harness.source_dir(), "deploy", "monitoring")
NAME = re.compile(r"\b((?:market_collector|process)_[a-z0-9_]*[a-z0-9])\b")


def monitored_names():
    """Every collector metric the alert rules and the dashboard name."""
    with open(os.path.join(MONITORING, "alerts.yml")) as f:
        names = set(NAME.findall(f.read()))
    with open(os.path.join(MONITORING, "grafana-dashboard.json")) as f:
        dashboard = json.load(f)
    stack = list(dashboard["panels"])
    while stack:
        panel = stack.pop()
        stack += panel.get("panels", [])
        for target in panel.get("targets", []):
            names |= set(NAME.findall(target["expr"]))
    return names


def samples(text):
    """{series: value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)
    return out


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class MetricsEndpointTest(unittest.TestCase):
    def test_the_exposition_passes_promtool_and_serves_what_the_monitoring_reads(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "needs promtool: apt-get install prometheus (scripts/install-deps.sh)")
        port = harness.free_port()
        url = f"http://127.0.0.1:{port}/metrics"
        with tempfile.TemporaryDirectory(prefix="mc-itest-") as tmp, \
                harness.start_fake_exchange(symbols=SYMBOLS, rate=50) as exchange:
            collector = Collector(tmp, exchange, ROT_SECS=1, METRICS_ADDR=f"127.0.0.1:{port}").start()
            self.addCleanup(collector.kill)

            def scrape():
                try:
                    return samples(harness.http_get(url, timeout=2).body.decode())
                except OSError:
                    return {}

            # A part stored and a spool measurement (every 5 s) made.
            wait_for(lambda: scrape().get("market_collector_uploads_total", 0) >= 1, 20, "a part stored")
            wait_for(lambda: scrape().get("market_collector_spool_filesystem_size_bytes", 0) > 0, 15,
                     "the spool's file system measured")
            body = harness.http_get(url, timeout=2).body.decode()
            self.assertEqual(collector.stop(), 0, collector.log_text()[-3000:])

        lint = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True, timeout=60)
        self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)
        typed = set(re.findall(r"^# TYPE (\S+) ", body, re.M))
        self.assertEqual(monitored_names() - typed, set(), "named by deploy/monitoring, not served")

        values = samples(body)
        for symbol in SYMBOLS:
            self.assertGreater(values[f'market_collector_symbol_trades_total{{symbol="{symbol}"}}'], 0)
            self.assertIn(f'market_collector_symbol_trade_id_gaps_total{{symbol="{symbol}"}}', values)
        self.assertEqual(values["market_collector_ws_connections_up"], 1)
        self.assertGreater(values["market_collector_spool_filesystem_avail_bytes"], 0)
        self.assertLessEqual(abs(values["market_collector_last_upload_timestamp_seconds"] - time.time()), 60)
        self.assertGreater(values["process_resident_memory_bytes"], 1 << 20)
        self.assertGreater(values["process_open_fds"], 3)
        self.assertLessEqual(abs(values["process_start_time_seconds"] - time.time()), 120)


if __name__ == "__main__":
    unittest.main()
