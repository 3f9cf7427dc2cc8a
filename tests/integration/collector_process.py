"""The collector binary as a child process, configured through environment variables only.

Needs MC_COLLECTOR_BIN (the market-collector binary); CTest sets it.
"""
import os
import re
import signal
import subprocess

import harness

COLLECTOR = os.environ.get("MC_COLLECTOR_BIN", "")
SYMBOLS = ["BTCUSDT", "ETHUSDT"]


class Collector:
    """The collector as a child process, started with DESIGN.md's environment variables only."""

    def __init__(self, workdir, exchange, **env):
        self.workdir = workdir
        self.store_dir = os.path.join(workdir, "store")
        self.spool_dir = os.path.join(workdir, "spool")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "BINANCE_WS_URL": exchange.url,
            "BINANCE_REST_URL": exchange.rest_url,
            "SYMBOL": ",".join(SYMBOLS),
            "LOCAL_DIR": self.spool_dir,
            "LOCAL_STORE_DIR": self.store_dir,
            "INSTANCE_ID": "itest-1",
            "METRICS_ADDR": "",
            "LOG_LEVEL": "info",
        }
        if exchange.ca_file:
            self.env["TLS_CA_FILE"] = exchange.ca_file
        self.env.update({k: str(v) for k, v in env.items()})
        self.log_path = os.path.join(workdir, "collector.log")
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([COLLECTOR], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.log.close()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def spool_files(self):
        """Parts and manifests in the spool's states (not the lock or the write probe)."""
        out = []
        for state in ("open", "sealed", "rejected"):
            for root, _dirs, files in os.walk(os.path.join(self.spool_dir, state)):
                out += [os.path.join(root, f) for f in files]
        return out


def metric(port, name):
    """The value of one metric on the collector's Prometheus endpoint, None while it does not answer."""
    try:
        body = harness.http_get(f"http://127.0.0.1:{port}/metrics", timeout=2).body.decode()
    except OSError:
        return None
    match = re.search(rf"^{re.escape(name)} (\S+)$", body, re.MULTILINE)
    return float(match.group(1)) if match else None


def wait_for(predicate, timeout, what):
    """harness.wait_until under the name these tests use."""
    return harness.wait_until(predicate, timeout, what)


def start_instance(test, root, exchange, instance_id, store_dir, **env):
    """Starts one of several instances that share store_dir, with its own spool under root/<instance_id>;
    test (a unittest.TestCase) kills it at clean-up should the test not stop it."""
    workdir = os.path.join(root, instance_id)
    os.makedirs(workdir)
    collector = Collector(workdir, exchange, INSTANCE_ID=instance_id, LOCAL_STORE_DIR=store_dir, **env)
    collector.start()
    test.addCleanup(collector.kill)
    return collector
