"""The systemd side: the unit file verifies, and the collector speaks sd_notify (READY, STATUS,
WATCHDOG, STOPPING) to $NOTIFY_SOCKET. Needs MC_COLLECTOR_BIN and MC_SOURCE_DIR; CTest sets both."""
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import harness

SOURCE_DIR = harness.source_dir()
COLLECTOR = os.environ.get("MC_COLLECTOR_BIN", "")


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class UnitFileTest(unittest.TestCase):
    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
    def test_the_unit_file_verifies(self):
        with open(os.path.join(SOURCE_DIR, "systemd", "market-collector.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/bin/market-collector run", unit)
        self.assertIn("\nLimitNOFILE=65536\n", unit)   # a thousand symbols' part files and sockets
        with tempfile.TemporaryDirectory(prefix="mc-unit-") as tmp:
            path = os.path.join(tmp, "market-collector.service")
            # verify checks that ExecStart exists: point it at the binary under test.
            with open(path, "w") as f:
                f.write(unit.replace("/usr/bin/market-collector", COLLECTOR))
            proc = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, timeout=60)
        output = (proc.stdout + proc.stderr).decode()
        self.assertEqual(proc.returncode, 0, output)
        self.assertNotIn("market-collector.service:", output)


class UnitHardeningTest(unittest.TestCase):
    """What the unit file promises, read from the file (no systemd needed)."""

    # STOP_TIMEOUT_SECS's default (README) and S3StoreOptions::request_timeout (src/store/s3_store.hpp).
    STOP_TIMEOUT_SECS_DEFAULT = 20
    LONGEST_PUT_SECS = 120

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(SOURCE_DIR, "systemd", "market-collector.service")) as f:
            cls.lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]

    def values(self, key):
        return [line.split("=", 1)[1] for line in self.lines if line.startswith(key + "=")]

    def test_stop_timeout_covers_the_drain_and_the_longest_put(self):
        (timeout,) = self.values("TimeoutStopSec")
        self.assertGreater(int(timeout), self.STOP_TIMEOUT_SECS_DEFAULT + self.LONGEST_PUT_SECS)

    def test_hardening_directives(self):
        for key, value in [("ProtectKernelLogs", "yes"), ("ProtectClock", "yes"), ("ProtectHostname", "yes"),
                           ("ProtectProc", "invisible"), ("RestrictRealtime", "yes"),
                           ("MemoryDenyWriteExecute", "yes"), ("UMask", "0027"), ("NoNewPrivileges", "yes")]:
            self.assertEqual(self.values(key), [value], key)
        self.assertIn("~@privileged", self.values("SystemCallFilter"))
        self.assertIn("@system-service", self.values("SystemCallFilter"))


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class NotifyTest(unittest.TestCase):
    def test_ready_status_watchdog_and_stopping_reach_the_notify_socket(self):
        with tempfile.TemporaryDirectory(prefix="mc-notify-") as tmp, \
                harness.start_fake_exchange(symbols=["BTCUSDT"], rate=20) as exchange, \
                socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock_path = os.path.join(tmp, "notify")
            sock.bind(sock_path)
            sock.settimeout(1.0)
            env = {"PATH": "/usr/bin:/bin", "BINANCE_WS_URL": exchange.url, "SYMBOL": "BTCUSDT",
                   "LOCAL_DIR": os.path.join(tmp, "spool"), "LOCAL_STORE_DIR": os.path.join(tmp, "store"),
                   "INSTANCE_ID": "notify-test", "METRICS_ADDR": "",
                   "NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "30000000"}
            proc = subprocess.Popen([COLLECTOR], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                messages = []
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and not any(m.startswith("WATCHDOG=1") for m in messages):
                    try:
                        messages.append(sock.recv(4096).decode())
                    except socket.timeout:
                        pass
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=30), 0)
                while True:
                    try:
                        messages.append(sock.recv(4096).decode())
                    except socket.timeout:
                        break
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        self.assertEqual(messages[0], "READY=1", messages)
        self.assertTrue(any(m.startswith("STATUS=connections=") for m in messages), messages)
        self.assertIn("WATCHDOG=1", messages)
        self.assertIn("STOPPING=1", messages)


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class MetricsEndpointTest(unittest.TestCase):
    """The metrics endpoint of the real binary cannot be held by its clients."""

    STOP_TIMEOUT_SECS = 5
    IDLE_CLIENTS = 1000

    def test_clients_that_never_read_do_not_stop_scrapes_or_delay_sigterm_and_readyz_follows_the_feed(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * self.IDLE_CLIENTS)), hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        port = harness.free_port()
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory(prefix="mc-metrics-") as tmp, \
                harness.start_fake_exchange(symbols=["BTCUSDT"], rate=20) as exchange:
            env = {"PATH": "/usr/bin:/bin", "BINANCE_WS_URL": exchange.url, "SYMBOL": "BTCUSDT",
                   "LOCAL_DIR": os.path.join(tmp, "spool"), "LOCAL_STORE_DIR": os.path.join(tmp, "store"),
                   "INSTANCE_ID": "metrics-test", "METRICS_ADDR": f"127.0.0.1:{port}", "WS_IDLE_SECS": "5",
                   "STOP_TIMEOUT_SECS": str(self.STOP_TIMEOUT_SECS)}
            proc = subprocess.Popen([COLLECTOR], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            clients = []
            try:
                status = lambda path: self._status(f"{base}{path}")
                harness.wait_until(lambda: status("/healthz") == 200, 15, "/healthz 200")
                harness.wait_until(lambda: status("/readyz") == 200, 20, "/readyz 200 once trades flow")

                # One client asks for the metrics and never reads them; a thousand connect and say nothing.
                never_reads = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                never_reads.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                never_reads.connect(("127.0.0.1", port))
                never_reads.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                clients.append(never_reads)
                for _ in range(self.IDLE_CLIENTS):
                    clients.append(socket.create_connection(("127.0.0.1", port)))
                for _ in range(3):
                    scrape = harness.http_get(f"{base}/metrics", timeout=5)
                    self.assertEqual(scrape.status, 200)
                    self.assertIn(b"market_collector_ws_messages_total", scrape.body)

                # The feed goes quiet: still live, no longer ready.
                exchange.pause()
                harness.wait_until(lambda: status("/readyz") == 503, 30, "/readyz 503 with the feed paused")
                self.assertEqual(status("/healthz"), 200)

                started = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=self.STOP_TIMEOUT_SECS + 5), 0)
                self.assertLess(time.monotonic() - started, self.STOP_TIMEOUT_SECS + 2)
            finally:
                for client in clients:
                    client.close()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    @staticmethod
    def _status(url: str) -> int:
        try:
            return harness.http_get(url, timeout=5).status
        except OSError:
            return 0


if __name__ == "__main__":
    unittest.main()
