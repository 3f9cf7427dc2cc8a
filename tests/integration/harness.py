"""Shared helpers of the integration tests and benchmarks: the fake exchange as a child process, HTTP.

    import harness
    with harness.start_fake_exchange(tls=True, symbols=["BTCUSDT"], rate=200) as ex:
        ex.url            # "wss://127.0.0.1:PORT" (base URL: what BINANCE_WS_URL / BINANCE_REST_URL take)
        ex.stream_url()   # ex.url + "/stream?streams=btcusdt@trade"
        ex.ca_file        # PEM trust anchor for TLS_CA_FILE (None without TLS)
        ex.stats()        # GET /control/stats as a dict
        ex.inject("not_json"); ex.drop(); ex.close_clients(); ex.silence(2); ex.skip(10)
    # leaving the block stops the process (SIGTERM, then SIGKILL) and removes its temp directory

start_fake_exchange(**opts) turns keyword options into tools/fake_exchange.py flags: rate=0 ->
--rate 0, fragment_every=3 -> --fragment-every 3, start_paused=True -> --start-paused, symbols=[...]
-> --symbols A,B. tls=True serves TLS with a certificate generated in a temporary directory
(tls_dir=PATH reuses a directory). Standard library only; the interpreter is the one running the test.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT_SECS = 15.0
STOP_TIMEOUT_SECS = 15.0  # generous: CI machines with 2 cores run tests in parallel


def source_dir() -> str:
    """The repository root: MC_SOURCE_DIR (set by CTest) or derived from this file's location."""
    return os.environ.get("MC_SOURCE_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))


def fake_exchange_script() -> str:
    return os.path.join(source_dir(), "tools", "fake_exchange.py")


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (prefer --port 0 where the server reports its port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str = "a condition", interval: float = 0.05):
    """Polls predicate until it returns something truthy (returned) or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# -- HTTP ------------------------------------------------------------------------------------------

class HttpResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"HttpResponse({self.status}, {self.body[:200]!r})"


def http_request(method: str, url: str, body: bytes = b"", headers: dict | None = None,
                 ca_file: str | None = None, timeout: float = 10.0) -> HttpResponse:
    """One request on a fresh connection; any status is returned (no exception for 4xx/5xx).
    Header names in the response are lower-cased."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("https", "wss"):
        ctx = ssl.create_default_context(cafile=ca_file)
        conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return HttpResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def http_get(url: str, **kwargs) -> HttpResponse:
    return http_request("GET", url, **kwargs)


def http_post(url: str, body: bytes = b"", **kwargs) -> HttpResponse:
    return http_request("POST", url, body=body, **kwargs)


# -- the fake exchange -----------------------------------------------------------------------------

class FakeExchange:
    """A running tools/fake_exchange.py. Use as a context manager: leaving it always ends the process."""

    def __init__(self, proc: subprocess.Popen, port: int, tls: bool, ca_file: str | None, workdir: str,
                 log_path: str, own_workdir: bool, host: str = "127.0.0.1"):
        self.proc, self.port, self.tls, self.ca_file = proc, port, tls, ca_file
        self.host, self.workdir, self.log_path, self._own_workdir = host, workdir, log_path, own_workdir
        self.url = f"{'wss' if tls else 'ws'}://{host}:{port}"
        self.rest_url = f"{'https' if tls else 'http'}://{host}:{port}"
        self.exit_code: int | None = None
        self._final_log: str | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stream_url(self, symbols=("BTCUSDT",), stream: str = "trade") -> str:
        if isinstance(symbols, str):
            symbols = symbols.split(",")
        return f"{self.url}/stream?streams=" + "/".join(f"{s.lower()}@{stream}" for s in symbols)

    # control API
    def get(self, path: str, timeout: float = 10.0) -> HttpResponse:
        return http_get(self.rest_url + path, ca_file=self.ca_file, timeout=timeout)

    def post(self, path: str, timeout: float = 10.0) -> HttpResponse:
        return http_post(self.rest_url + path, ca_file=self.ca_file, timeout=timeout)

    def _control(self, action: str, **params) -> dict:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        resp = self.post(f"/control/{action}" + (f"?{query}" if query else ""))
        if resp.status != 200:
            raise AssertionError(f"POST /control/{action}: {resp}")
        return resp.json()

    def stats(self) -> dict:
        resp = self.get("/control/stats")
        if resp.status != 200:
            raise AssertionError(f"GET /control/stats: {resp}")
        return resp.json()

    def sent_ids(self, symbol: str) -> set[int]:
        """Every id of symbol written to at least one WebSocket client so far."""
        ranges = self.stats()["symbols"][symbol]["sent"]
        return {i for first, last in ranges for i in range(first, last + 1)}

    def inject(self, kind: str, symbol: str | None = None) -> dict:
        return self._control("inject", kind=kind, symbol=symbol)

    def list_symbol(self, symbol: str) -> dict:
        return self._control("list", symbol=symbol)

    def delist_symbol(self, symbol: str, status: str | None = None) -> dict:
        return self._control("delist", symbol=symbol, status=status)

    def drop(self, mode: str = "fin", stream: str | None = None) -> dict:
        return self._control("drop", mode=mode, stream=stream)

    def close_clients(self, code: int | None = None) -> dict:
        return self._control("close", code=code)

    def silence(self, secs: float) -> dict:
        return self._control("silence", secs=secs)

    def skip(self, count: int, symbol: str | None = None) -> dict:
        return self._control("skip", count=count, symbol=symbol)

    def pause(self) -> dict:
        return self._control("pause")

    def resume(self) -> dict:
        return self._control("resume")

    def rest_fail(self, status: int, count: int = 1) -> dict:
        return self._control("rest_fail", status=status, count=count)

    def historical_trades(self, symbol: str, from_id: int | None = None, limit: int | None = None) -> HttpResponse:
        query = urllib.parse.urlencode({k: v for k, v in (("symbol", symbol), ("fromId", from_id),
                                                          ("limit", limit)) if v is not None})
        return self.get(f"/api/v3/historicalTrades?{query}")

    def log(self) -> str:
        """What the process wrote to stderr so far (all of it once stopped)."""
        if self._final_log is not None:
            return self._final_log
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def _dump_stacks(self) -> None:
        """Has a hung fake print every thread's stack into its log (SIGUSR1), so the failure says where."""
        self.proc.send_signal(signal.SIGUSR1)
        try:
            self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_SECS) -> int:
        """Signals the process, kills it if it outlives timeout; returns its exit code. Idempotent."""
        if self.exit_code is None:
            try:
                if self.proc.poll() is None:
                    self.proc.send_signal(sig)
                    try:
                        self.proc.wait(timeout=timeout)
                    except subprocess.TimeoutExpired:
                        self._dump_stacks()
                        self.proc.kill()
                        self.proc.wait()
            finally:
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                self.exit_code = self.proc.returncode
                try:
                    self._final_log = self.log()
                except OSError:
                    self._final_log = ""
                if self._own_workdir:
                    shutil.rmtree(self.workdir, ignore_errors=True)
        return self.exit_code


def _flags(opts: dict) -> list[str]:
    out = []
    for key, value in opts.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, (list, tuple)):
            out += [flag, ",".join(str(v) for v in value)]
        else:
            out += [flag, str(value)]
    return out


def start_fake_exchange(tls: bool = False, tls_dir: str | None = None, host: str = "127.0.0.1",
                        python: str | None = None, start_timeout: float = START_TIMEOUT_SECS, **opts) -> FakeExchange:
    """Starts tools/fake_exchange.py on a free port and waits for its LISTENING line.
    Keyword options become flags (see the module doc); stderr goes to a log file (FakeExchange.log())."""
    workdir = tempfile.mkdtemp(prefix="mc-fake-exchange-")
    args = [python or sys.executable, fake_exchange_script(), "--host", host, "--port", str(opts.pop("port", 0))]
    if tls or tls_dir:
        tls_dir = tls_dir or os.path.join(workdir, "tls")
        args += ["--tls-dir", tls_dir]
    args += _flags(opts)
    out_path, log_path = os.path.join(workdir, "stdout"), os.path.join(workdir, "stderr.log")
    with open(out_path, "wb") as out, open(log_path, "wb") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    exchange = None
    try:
        deadline = time.monotonic() + start_timeout
        port = None
        while port is None:
            with open(out_path, "rb") as f:
                line = f.readline()
            if line.endswith(b"\n"):
                word, _, value = line.decode().partition(" ")
                if word != "LISTENING":
                    raise RuntimeError(f"fake exchange printed {line!r}")
                port = int(value)
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(log_path, "rb") as f:
                    raise RuntimeError(f"fake exchange did not start (exit {proc.poll()}): {f.read()[-2000:]!r}")
            time.sleep(0.01)
        ca_file = os.path.join(tls_dir, "ca.pem") if tls_dir else None
        exchange = FakeExchange(proc, port, bool(tls_dir), ca_file, workdir, log_path, own_workdir=True, host=host)
        return exchange
    finally:
        if exchange is None:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            shutil.rmtree(workdir, ignore_errors=True)
