"""A small blocking WebSocket client (RFC 6455) for the integration tests; standard library only.

    with WsClient.connect("wss://127.0.0.1:PORT/stream?streams=btcusdt@trade", ca_file=CA) as ws:
        msg = ws.recv(timeout=5)          # Message(opcode, data, frames); pings are answered on the way
        trade = msg.json()

Client frames are masked; fragmented messages are reassembled (Message.frames tells how many frames
carried it); pings are answered with a pong unless auto_pong is off, and recorded in `pings`; a close
frame is answered and raised as ConnectionClosed(code, reason, clean=True); a TCP close without a
close frame raises ConnectionClosed(None, ..., clean=False).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import time
import urllib.parse

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE_BYTES = 64 << 20


class ConnectionClosed(Exception):
    def __init__(self, code, reason, clean):
        super().__init__(f"connection closed (code={code}, reason={reason!r}, clean={clean})")
        self.code, self.reason, self.clean = code, reason, clean


class HandshakeError(Exception):
    def __init__(self, status, body):
        super().__init__(f"WebSocket handshake refused: HTTP {status}: {body[:200]!r}")
        self.status, self.body = status, body


class Message:
    __slots__ = ("opcode", "data", "frames", "recv_time")

    def __init__(self, opcode, data, frames, recv_time):
        self.opcode, self.data, self.frames, self.recv_time = opcode, data, frames, recv_time

    @property
    def is_text(self):
        return self.opcode == TEXT

    def text(self):
        return self.data.decode("utf-8")

    def json(self):
        return json.loads(self.data)

    def __repr__(self):
        return f"Message(opcode={self.opcode}, frames={self.frames}, data={self.data[:80]!r}...)"


def open_socket(url, ca_file=None, timeout=10.0):
    """TCP (+ TLS, verifying the host name against ca_file or the system store) to a ws/wss/http/https URL."""
    parts = urllib.parse.urlsplit(url)
    secure = parts.scheme in ("wss", "https")
    port = parts.port or (443 if secure else 80)
    sock = socket.create_connection((parts.hostname, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if secure:
        ctx = ssl.create_default_context(cafile=ca_file)
        sock = ctx.wrap_socket(sock, server_hostname=parts.hostname)
    return sock


class WsClient:
    def __init__(self, sock, auto_pong=True):
        self.sock = sock
        self.auto_pong = auto_pong
        self.buf = bytearray()
        self.pings: list[tuple[float, bytes]] = []   # (monotonic time, payload) of each ping received
        self.pongs: list[bytes] = []
        self.close_code = None
        self.closed = False
        self._opcode = None
        self._parts: list[bytes] = []

    @classmethod
    def connect(cls, url, ca_file=None, timeout=10.0, auto_pong=True, headers=None):
        parts = urllib.parse.urlsplit(url)
        sock = open_socket(url, ca_file, timeout)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Upgrade: websocket",
                     "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    raise HandshakeError(0, head)
                head += chunk
            head, rest = head.split(b"\r\n\r\n", 1)
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split()[1])
            hdrs = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                hdrs[name.strip().lower()] = value.strip()
            if status != 101:
                raise HandshakeError(status, rest)
            expect = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            if hdrs.get("sec-websocket-accept") != expect:
                raise HandshakeError(status, b"bad Sec-WebSocket-Accept")
        except BaseException:
            sock.close()
            raise
        client = cls(sock, auto_pong)
        client.buf += rest
        return client

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.abort()

    # -- sending -----------------------------------------------------------------------------------

    def send_frame(self, opcode, payload=b"", fin=True, mask=True):
        header = bytearray([(0x80 if fin else 0) | opcode])
        n = len(payload)
        mask_bit = 0x80 if mask else 0
        if n < 126:
            header.append(mask_bit | n)
        elif n < 65536:
            header.append(mask_bit | 126)
            header += struct.pack("!H", n)
        else:
            header.append(mask_bit | 127)
            header += struct.pack("!Q", n)
        if mask:
            key = os.urandom(4)
            header += key
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
        self.sock.sendall(bytes(header) + payload)

    def send_text(self, text):
        self.send_frame(TEXT, text.encode())

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def ping(self, payload=b"x"):
        self.send_frame(PING, payload)

    def close(self, code=1000, reason="", timeout=5.0):
        """Close handshake: sends a close frame, waits for the server's and for the TCP close."""
        if not self.closed:
            try:
                self.send_frame(CLOSE, struct.pack("!H", code) + reason.encode())
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    self.recv(timeout=max(0.01, deadline - time.monotonic()))
            except ConnectionClosed:
                pass
            except (OSError, TimeoutError):
                pass
        self.abort()
        return self.close_code

    def abort(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    # -- receiving ---------------------------------------------------------------------------------

    def _fill(self, need, deadline):
        while len(self.buf) < need:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete WebSocket frame in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except (socket.timeout, TimeoutError, ssl.SSLWantReadError):
                raise TimeoutError("no complete WebSocket frame in time") from None
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as e:
                self.closed = True
                raise ConnectionClosed(None, str(e), False) from None
            if not chunk:
                self.closed = True
                raise ConnectionClosed(None, "TCP connection closed without a close frame", False)
            self.buf += chunk

    def _frame(self, deadline):
        """(fin, opcode, payload) of the next frame. Partial frames stay buffered on a timeout."""
        self._fill(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise AssertionError("server frames must not be masked")
        if b0 & 0x70:
            raise AssertionError("reserved bits set in a server frame")
        n, head = b1 & 0x7F, 2
        if n == 126:
            self._fill(4, deadline)
            n, head = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._fill(10, deadline)
            n, head = struct.unpack("!Q", self.buf[2:10])[0], 10
        if n > MAX_MESSAGE_BYTES:
            raise AssertionError(f"frame of {n} bytes")
        self._fill(head + n, deadline)
        payload = bytes(self.buf[head:head + n])
        del self.buf[:head + n]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def recv(self, timeout=10.0):
        """The next text or binary message."""
        deadline = time.monotonic() + timeout
        # The message being reassembled lives on self, so a timeout between fragments loses nothing.
        while True:
            fin, op, payload = self._frame(deadline)
            if op == PING:
                self.pings.append((time.monotonic(), payload))
                if self.auto_pong and not self.closed:
                    self.send_frame(PONG, payload)
                continue
            if op == PONG:
                self.pongs.append(payload)
                continue
            if op == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                reason = payload[2:].decode("utf-8", "replace")
                self.close_code = code
                if not self.closed:
                    try:
                        self.send_frame(CLOSE, payload[:2])
                    except OSError:
                        pass
                self.closed = True
                raise ConnectionClosed(code, reason, True)
            if op in (TEXT, BINARY):
                if self._opcode is not None:
                    raise AssertionError("new message inside a fragmented message")
                self._opcode = op
            elif op == CONT:
                if self._opcode is None:
                    raise AssertionError("continuation frame without a message")
            else:
                raise AssertionError(f"unknown opcode {op}")
            self._parts.append(payload)
            if fin:
                msg = Message(self._opcode, b"".join(self._parts), len(self._parts), time.monotonic())
                self._opcode, self._parts = None, []
                return msg

    def recv_until_quiet(self, quiet=0.5, limit=10.0):
        """Every message until none arrived for `quiet` seconds (or `limit` seconds passed)."""
        out = []
        end = time.monotonic() + limit
        while time.monotonic() < end:
            try:
                out.append(self.recv(timeout=quiet))
            except TimeoutError:
                break
        return out
