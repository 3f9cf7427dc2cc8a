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


def last_trade_id(port, symbol):
    """The id of the newest trade of symbol the collector on port has received (-1 before the first),
    None while it does not answer."""
    return metric(port, f'market_collector_symbol_last_trade_id{{symbol="{symbol}"}}')


def newest_sent(stats, symbol):
    """The newest id of symbol the fake exchange wrote to a client, per its stats; None before any."""
    sent = stats["symbols"][symbol]["sent"]
    return sent[-1][1] if sent else None


def wait_caught_up(exchange, ports, symbols=SYMBOLS, timeout=30):
    """After exchange.pause(): waits until the exchange's producer has stopped and each collector
    (metrics on `ports`, one or a list) has received the newest trade sent of every symbol, so
    nothing owed to it is in flight. Returns the exchange's stats at that point."""
    ports = [ports] if isinstance(ports, int) else list(ports)

    def caught_up():
        stats = exchange.stats()
        if not stats["producer_paused"]:
            return None
        for symbol in symbols:
            newest = newest_sent(stats, symbol)
            if newest is not None and any(last_trade_id(port, symbol) != newest for port in ports):
                return None
        return stats
    return wait_for(caught_up, timeout, "the collector to receive the last trades sent")


def pause_and_settle(exchange, port, backfill=True, backfill_timeout=60):
    """Stops production and waits until the collector on port received every trade sent (wait_caught_up)
    and, with backfill, counted missing every id the exchange never sent it and backfilled or gave up all
    of them. Returns the exchange's stats once caught up."""
    exchange.pause()
    stats = wait_caught_up(exchange, port)
    if backfill:
        unsent = unsent_ids(stats)
        wait_for(lambda: (metric(port, "market_collector_trade_ids_missing_total") or 0) >= unsent, 30,
                 f"the {unsent} ids never sent to be found missing")
        wait_for(lambda: metric(port, "market_collector_trade_ids_pending") == 0, backfill_timeout,
                 "the backfill to settle")
    return stats


def wait_received_after(exchange, port, symbols=SYMBOLS, timeout=15, beyond=None):
    """Waits until the collector on port has received, for every symbol, a trade newer than
    beyond[symbol] (default: the exchange's newest id at the call): the feed is live from here on."""
    if beyond is None:
        stats = exchange.stats()["symbols"]
        beyond = {symbol: stats[symbol]["next_id"] - 1 for symbol in symbols}
    wait_for(lambda: all((last_trade_id(port, s) or -1) > beyond[s] for s in symbols), timeout,
             f"the collector to receive trades newer than {beyond}")


def next_ids(exchange):
    """The id the fake exchange makes next, per symbol."""
    return {symbol: v["next_id"] for symbol, v in exchange.stats()["symbols"].items()}


def wait_produced(exchange, count, since, timeout=60):
    """Waits until the exchange has made `count` trades of every symbol since next_ids() gave `since`:
    a scenario's duration counted in trades (count / rate seconds at the exchange's rate)."""
    wait_for(lambda: all(next_id - since[s] >= count for s, next_id in next_ids(exchange).items()), timeout,
             f"{count} trades of every symbol")


def unsent_ids(stats, symbols=SYMBOLS):
    """How many ids lie in the holes of what the exchange sent, over symbols: ids no client got live."""
    total = 0
    for symbol in symbols:
        sent = stats["symbols"][symbol]["sent"]
        total += sum(b[0] - a[1] - 1 for a, b in zip(sent, sent[1:]))
    return total


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
