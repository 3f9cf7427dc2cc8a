"""A reverse proxy between an S3 client and moto that injects scripted faults. Standard library only.

    with FaultProxy(moto.endpoint_url) as proxy:      # listens on 127.0.0.1, a kernel-chosen port
        proxy.url                                      # give this to the client as its S3 endpoint
        proxy.add_rule(Fault.slowdown(), requests=[1, 2])          # the 1st and 2nd requests: 503
        proxy.add_rule(Fault.reset(after_bytes=1024), key_pattern=r"part-.*\\.jsonl\\.gz$", times=1)
        proxy.fail_next(Fault.internal_error(), times=3)            # the next 3 requests: 500
        ...
        proxy.records                                  # [RequestRecord(n, method, raw_path, status, fault, body_bytes, held_secs)]

Requests without a matching rule are forwarded unchanged: method, the request target exactly as received
(never re-encoded: the client signed it), headers, body. The client may keep its connection alive; the
proxy opens one upstream connection per request (moto closes every connection anyway). A rule matches
by request number (1-based, counted over the proxy's life), by a regular expression searched in the
*decoded* path, and/or by method; the first rule with uses left wins. Faults:
  slowdown        503 <Error><Code>SlowDown</Code>...
  internal_error  500 <Error><Code>InternalError</Code>...
  reset           reads after_bytes of the body, then closes with SO_LINGER 0 (the client sees a RST)
  delay           forwards, then holds moto's answer for secs seconds (the object IS stored)
  forbidden_empty 403 with an empty body (what a load balancer or a KMS denial may send)
  time_skewed     400 RequestTimeTooSkewed with a Date header skew_secs away from the local clock
  black_hole      reads the whole request, then answers nothing: holds the connection until the rule's
                  period ends (for_secs), secs passed (when > 0), the client gives up or the proxy closes,
                  then closes it without a status (what a store behind a dead route or a hung LB does)

A rule may be limited in time: add_rule(..., for_secs=60) matches only for the next 60 s. Rules added
together in order express a schedule, e.g. a 60 s black hole, then 503s for 30 s, then healthy:
        proxy.add_rule(Fault.black_hole(), for_secs=60)
        proxy.add_rule(Fault.slowdown(), for_secs=90)  # the first rule wins while it matches
"""
from __future__ import annotations

import dataclasses
import email.utils
import http.client
import http.server
import re
import select
import socket
import struct
import threading
import time
import urllib.parse
import uuid

UPSTREAM_TIMEOUT_SECS = 60.0
IDLE_CLIENT_TIMEOUT_SECS = 120.0  # a keep-alive client that goes quiet longer than this is dropped
# Not forwarded in either direction: they describe one hop, not the request (RFC 9110 section 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "transfer-encoding"}


class LoopbackHttpServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server on loopback whose close() also ends open keep-alive connections and joins
    every handler thread, so a test leaves no thread or socket behind. Handlers may wait on .stopping."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, handler_cls, host: str = "127.0.0.1"):
        super().__init__((host, 0), handler_cls)
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=type(self).__name__, daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread is None:
            return
        self.stopping.set()
        self.shutdown()
        with self._conns_lock:  # shutdown_request removes a socket under this lock before closing it
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.server_close()
        self._thread.join()
        self._thread = None

    def process_request(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)


def read_request_body(handler: http.server.BaseHTTPRequestHandler, limit: int | None = None) -> tuple[bytes, bool]:
    """The request body (Content-Length or chunked, de-chunked) and whether it was read completely.
    With limit, stops after limit bytes of the wire stream (for a reset in the middle of a body)."""
    length = handler.headers.get("Content-Length")
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        if limit is not None:
            return handler.rfile.read(limit), False
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(chunks), True
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    total = int(length) if length else 0
    want = total if limit is None else min(limit, total)
    data = handler.rfile.read(want) if want else b""
    return data, len(data) == total


@dataclasses.dataclass(frozen=True)
class Fault:
    kind: str
    secs: float = 0.0
    after_bytes: int = 0
    skew_secs: float = 0.0

    @staticmethod
    def slowdown() -> "Fault":
        return Fault("slowdown")

    @staticmethod
    def internal_error() -> "Fault":
        return Fault("internal_error")

    @staticmethod
    def reset(after_bytes: int = 0) -> "Fault":
        return Fault("reset", after_bytes=after_bytes)

    @staticmethod
    def delay(secs: float) -> "Fault":
        return Fault("delay", secs=secs)

    @staticmethod
    def forbidden_empty() -> "Fault":
        return Fault("forbidden_empty")

    @staticmethod
    def time_skewed(skew_secs: float = 3600.0) -> "Fault":
        return Fault("time_skewed", skew_secs=skew_secs)

    @staticmethod
    def black_hole(secs: float = 0.0) -> "Fault":
        """secs > 0: hold each connection at most that long; 0: until the rule's period ends."""
        return Fault("black_hole", secs=secs)


@dataclasses.dataclass
class Rule:
    fault: Fault
    requests: frozenset[int] | None = None
    key_pattern: re.Pattern | None = None
    method: str | None = None
    times: int | None = None  # uses left; None: unlimited
    until: float | None = None  # time.monotonic() after which the rule no longer matches; None: never

    def matches(self, number: int, method: str, decoded_path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.until is not None and time.monotonic() >= self.until:
            return False
        if self.requests is not None and number not in self.requests:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.key_pattern is None or self.key_pattern.search(decoded_path) is not None


@dataclasses.dataclass(frozen=True)
class RequestRecord:
    number: int
    method: str
    raw_path: str
    status: int | None  # None: the connection was reset, no status was sent
    fault: str | None   # Fault.kind, or None when forwarded untouched
    body_bytes: int     # request body bytes the proxy read
    held_secs: float = 0.0  # black_hole: how long the connection was held before it was closed


def s3_error_body(code: str, message: str, extra: str = "") -> bytes:
    request_id = uuid.uuid4().hex[:16].upper()
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"{extra}<RequestId>{request_id}</RequestId><HostId>fault-proxy</HostId></Error>").encode()


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_CLIENT_TIMEOUT_SECS
    proxy: "FaultProxy"  # set on the subclass FaultProxy builds

    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass

    def do_GET(self):
        self._handle()

    do_PUT = do_POST = do_HEAD = do_DELETE = do_GET

    def _handle(self):
        number, rule = self.proxy._next_request(self.command, self.path)
        fault = rule.fault if rule is not None else None
        if fault is not None and fault.kind == "black_hole":
            body, _ = read_request_body(self)
            held = self._hold(fault, rule.until)
            self.proxy._record(number, self.command, self.path, None, fault.kind, len(body), held)
            return
        if fault is not None and fault.kind == "reset":
            body, _ = read_request_body(self, limit=fault.after_bytes)
            self.proxy._record(number, self.command, self.path, None, fault.kind, len(body))
            self._reset()
            return
        body, _ = read_request_body(self)
        if fault is None or fault.kind == "delay":
            status, reason, headers, payload = self._forward(body)
            if fault is not None and self.proxy._server.stopping.wait(fault.secs):
                self.close_connection = True  # the proxy is closing: drop the held answer
        else:
            status, reason, headers, payload = self._fault_response(fault)
        self.proxy._record(number, self.command, self.path, status, fault.kind if fault else None, len(body))
        self._reply(status, reason, headers, payload)

    def _hold(self, fault: Fault, until: float | None) -> float:
        """Keeps the connection open and silent until the hold ends; returns how long it was held.
        The connection is then closed without a status line."""
        self.close_connection = True
        started = time.monotonic()
        deadline = until if until is not None else float("inf")
        if fault.secs > 0:
            deadline = min(deadline, started + fault.secs)
        while not self.proxy._server.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                readable, _, _ = select.select([self.connection], [], [], min(left, 0.2))
                # Anything more the client sends is discarded; end of stream means it gave up.
                if readable and not self.connection.recv(65536):
                    break
            except OSError:
                break
        return time.monotonic() - started

    def _forward(self, body: bytes):
        conn = http.client.HTTPConnection(self.proxy.upstream_host, self.proxy.upstream_port,
                                          timeout=UPSTREAM_TIMEOUT_SECS)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    conn.putheader(name, value)
            if chunked:
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders(message_body=iter([body]) if body else iter([]), encode_chunked=True)
            else:
                conn.endheaders(message_body=body or None)
            resp = conn.getresponse()
            payload = resp.read()
            headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            return resp.status, resp.reason, headers, payload
        except (OSError, http.client.HTTPException) as e:
            return 502, "Bad Gateway", [("Content-Type", "text/plain")], f"fault proxy: upstream: {e}".encode()
        finally:
            conn.close()

    def _fault_response(self, fault: Fault):
        xml = [("Content-Type", "application/xml")]
        if fault.kind == "slowdown":
            return 503, "Slow Down", xml, s3_error_body("SlowDown", "Please reduce your request rate.")
        if fault.kind == "internal_error":
            return 500, "Internal Server Error", xml, s3_error_body(
                "InternalError", "We encountered an internal error. Please try again.")
        if fault.kind == "forbidden_empty":
            return 403, "Forbidden", [], b""
        if fault.kind == "time_skewed":
            server_time = time.time() + fault.skew_secs
            iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(server_time))
            extra = (f"<RequestTime>{self.headers.get('X-Amz-Date', '')}</RequestTime><ServerTime>{iso}</ServerTime>"
                     "<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>")
            body = s3_error_body("RequestTimeTooSkewed",
                                 "The difference between the request time and the current time is too large.", extra)
            return 400, "Bad Request", xml + [("Date", email.utils.formatdate(server_time, usegmt=True))], body
        raise ValueError(f"unknown fault {fault.kind!r}")

    def _reply(self, status: int, reason: str, headers: list[tuple[str, str]], payload: bytes):
        try:
            self.send_response_only(status, reason)
            has_date = False
            for name, value in headers:
                lower = name.lower()
                has_date = has_date or lower == "date"
                # HEAD: moto's Content-Length is the object's size and stays; otherwise it is recomputed
                if lower != "content-length" or self.command == "HEAD":
                    self.send_header(name, value)
            if not has_date:
                self.send_header("Date", self.date_time_string())
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and payload:
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its timeout during a delay)

    def _reset(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            return
        # rfile holds a reference to the socket: only when both are closed does the kernel send the RST
        self.rfile.close()
        self.connection.close()


class FaultProxy:
    """See the module doc. Thread-based (the test process owns it); use as a context manager."""

    def __init__(self, upstream_url: str, host: str = "127.0.0.1"):
        parts = urllib.parse.urlsplit(upstream_url)
        if parts.scheme != "http":
            raise ValueError(f"the fault proxy forwards plain HTTP only, not {upstream_url!r}")
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._records: list[RequestRecord] = []
        self._count = 0
        handler = type("FaultProxyHandler", (_ProxyHandler,), {"proxy": self})
        self._server = LoopbackHttpServer(handler, host)
        self._server.start()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._server.close()

    def add_rule(self, fault: Fault, requests=None, key_pattern: str | None = None, method: str | None = None,
                 times: int | None = None, for_secs: float | None = None) -> Rule:
        """requests: request numbers (1-based) to hit; key_pattern: regex searched in the decoded path;
        times: how many matching requests get the fault (None: every one); for_secs: the rule matches
        only for that many seconds from now (None: for ever)."""
        until = time.monotonic() + for_secs if for_secs is not None else None
        rule = Rule(fault, frozenset(requests) if requests is not None else None,
                    re.compile(key_pattern) if key_pattern else None, method, times, until)
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail_next(self, fault: Fault, times: int = 1) -> Rule:
        """The next `times` requests (whatever they are) get fault."""
        return self.add_rule(fault, times=times)

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._count

    def _next_request(self, method: str, raw_path: str) -> tuple[int, Rule | None]:
        decoded = urllib.parse.unquote(urllib.parse.urlsplit(raw_path).path)
        with self._lock:
            self._count += 1
            for rule in self._rules:
                if rule.matches(self._count, method, decoded):
                    if rule.times is not None:
                        rule.times -= 1
                    return self._count, rule
            return self._count, None

    def _record(self, number, method, raw_path, status, fault, body_bytes, held_secs=0.0) -> None:
        with self._lock:
            self._records.append(RequestRecord(number, method, raw_path, status, fault, body_bytes, held_secs))
