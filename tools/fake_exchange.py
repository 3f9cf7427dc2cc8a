#!/usr/bin/python3
"""Fake Binance spot exchange: combined @trade WebSocket streams, REST trade history, fault injection.

Used by market-collector's integration tests, its benchmarks and the README's offline demo.
Python 3.11 standard library only; the `openssl` command-line tool only for --tls-dir.

    /usr/bin/python3 tools/fake_exchange.py --port 0 [--tls-dir DIR] [--rate 20] [...]

One TCP port serves everything, plain or TLS (--tls-dir):

  WebSocket (RFC 6455)   GET /stream?streams=btcusdt@trade/ethusdt@trade
        Binance's combined-stream envelope, one text message per trade:
        {"stream":"btcusdt@trade","data":{"e":"trade","E":<ms>,"s":"BTCUSDT","t":<id>,
         "p":"97000.01000000","q":"0.00100000","T":<ms>,"m":true,"M":true}}
        Client text messages {"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS",
        "params":[...],"id":N} are answered as Binance does ({"result":null,"id":N}).
        The server pings every --ping-interval seconds (payload: epoch ms as ASCII digits),
        answers client pings, logs each missing pong, and completes the close handshake.
        Before maintenance (server_shutdown, --shutdown-every) every client gets, unwrapped:
        {"e":"serverShutdown","E":<ms>}
  REST                   GET /api/v3/historicalTrades?symbol=S[&fromId=N][&limit=L]  (L 1..1000, 500)
                         GET /api/v3/trades?symbol=S[&limit=L]     (the most recent trades)
                         GET /api/v3/ping -> {}     GET /api/v3/time -> {"serverTime":ms}
                         GET /api/v3/exchangeInfo   (every symbol with its "status": TRADING, or
                                                     BREAK once delisted with status=BREAK)
        Binance's row shape {"id","price","qty","quoteQty","time","isBuyerMaker","isBestMatch"},
        header X-MBX-USED-WEIGHT-1M, errors {"code":-11xx,"msg":...} with HTTP 400. Only the last
        --history trades per symbol are kept: a fromId older than that starts at the oldest kept.
        GET /api/v3/aggTrades?symbol=S[&fromId=A][&startTime=ms][&endTime=ms][&limit=L] (weight 4):
        one aggregate per trade, {"a":<id - --start-id>,"p","q","f":<id>,"l":<id>,"T":<ms>,"m","M"},
        ascending, from the same kept history; by time as Binance: startTime alone looks one hour on,
        endTime alone one hour back, both at most an hour apart (else -1127); none: the newest L.
  Control (JSON)         GET  /control/stats
                         POST /control/inject?kind=KIND[&symbol=S]
                         POST /control/drop[?mode=fin|rst][&stream=NAME]
                         POST /control/close[?code=1001]
                         POST /control/silence?secs=S
                         POST /control/trickle?secs=S
                         POST /control/oversize?bytes=N[&symbol=S][&fragment=K]
                         POST /control/skip?count=N[&symbol=S]
                         POST /control/vanish?count=N[&symbol=S]
                         POST /control/replay?symbol=S&from=A&to=B
                         POST /control/pause      POST /control/resume
                         POST /control/calm
                         POST /control/rest_fail?status=503[&count=1][&retry_after=1]
                         POST /control/server_shutdown[?close_after=0]
                         POST /control/duplicate?count=N[&symbol=S]
                         POST /control/reorder?count=N[&symbol=S]
                         POST /control/list?symbol=S              POST /control/delist?symbol=S[&status=BREAK]
  Anything else: HTTP 404.

Trades: a producer thread makes --rate trades per second per symbol (0: as fast as the slowest
client reads) whether or not a client is connected, at most one batch per --tick-ms (default 1: a high
rate goes out in 1 ms batches; more makes fewer, larger sends, as a busy exchange's batching would), ids `t` sequential per symbol from --start-id.
Each trade goes to every client subscribed to its stream at that moment; --total N stops after id
start+N-1 (injected `huge` trades count). Prices, quantities and sides come from a seeded pool
indexed by the id, so REST returns exactly what the stream carried.

Control API:
  stats     {"symbols":{"BTCUSDT":{"next_id":N,"first_id":N,"history":[oldest,newest]|null,
             "sent":[[first,last],...],"duplicate_left":N,"reorder_left":N,"absent":[[first,last],...]}},
             "clients":N,
             "clients_detail":[...], "paused":bool, "producing":bool, "silenced_secs":S, "trickle_secs":S,
             "producer_paused":bool, "missing_pongs":N, "pong_timeouts":N, "server_shutdowns":N,
             "drops_total":N, "injected":{kind:N}, "rest_requests_total":N,
             "rest_requests":[{"path":P,"query":{name:value},"time":<epoch s, float>,"status":N}], ...}
             "sent" is the union, per symbol, of the id ranges whose messages were completely
             written to at least one WebSocket client (adjacent ranges merged). "rest_requests" holds
             the last 1000 REST (/api/) requests, oldest first, "time" taken when the request arrived.
             "producer_paused": paused and the producer has seen it (or it has ended): it makes no
             trade until a resume, so "next_id" stays (trades already queued may still go out).
             "drops_total": connections cut by drop, POST or --drop-every, since the start.
  inject    one bad message to every WebSocket client: not_json, truncated (a trade cut in half),
             no_id (a trade without "t"), binary (a binary frame), unknown_event ("e":"mystery"),
             sub_reply ({"result":null,"id":1}) -- these consume no trade id; huge: a real trade with
             the symbol's next id and a price string padded to 1 MiB, sent to its subscribers.
  list      a new symbol S (2 to 20 of A-Z 0-9), status TRADING: exchangeInfo lists it, the producer makes its
             trades (ids from --start-id) for whoever subscribes its stream; {"symbol":S,"listed":true}.
             A symbol delisted before is listed again (its ids go on).
  delist    S stops trading: no more trades; exchangeInfo drops it, or with status=BREAK (any status
             but TRADING) lists it with that status. Its stats stay. {"symbol":S,"status":...}
  drop      closes every WebSocket connection without a close frame; mode=fin (default: shutdown,
             queued bytes still arrive) or rst (SO_LINGER 0: reset, the kernel drops queued bytes).
             stream=NAME (e.g. ethusdt@trade): only the connections subscribed to that stream (a
             client that spreads its streams over several connections loses just one of them).
  close     sends a close frame (default 1001 going away) to every client, closes after the reply.
  silence   sends nothing at all (no data, no pings) for S seconds, the TCP connection staying open
             (a stall); trades produced meanwhile are never sent (REST still has them); secs=0 ends it.
  trickle   for S seconds every WebSocket client gets one byte a second of what it is sent (trades,
             pings, every frame: frames never complete in time, bytes keep coming), connections opened
             meanwhile too; trades are still queued and go out at full speed once it ends (to a client
             still connected); secs=0 ends it.
  oversize  one text message of exactly N bytes, consuming no trade id: with symbol, a trade-shaped
             {"stream":"s@trade","data":{"e":"trade","E":..,"s":"S","pad":"000…"}} to its subscribers, in
             order with its trades; without, {"e":"oversize","pad":"000…"} to every client. fragment=K:
             sent as frames of at most K payload bytes. Counted in stats "injected" as "oversize".
  skip      the next N trades of the symbol (default: of every symbol) are produced but not sent:
             an id gap on the stream that REST can fill.
  vanish    the next N ids of the symbol (default: of every symbol) never exist: consumed, never sent,
             never served over REST, which serves the ids on both sides of them.
  replay    sends trades A..B of the symbol again, live, to its subscribers, ids made absent by
             vanish included (an exchange delivering late what it said does not exist).
  pause / resume   stop / restart trade production (--start-paused starts paused).
  calm      ends the --drop-every, --close-every and --shutdown-every schedules for good (a test
             that is done injecting faults lets the feed settle).
  rest_fail the next `count` REST requests fail with `status`; 429/418 carry Retry-After: <retry_after>
             (whole seconds, default 1) and {"code":-1003,"msg":...}, others {"code":-1000,...}.
  server_shutdown  the serverShutdown message above to every WebSocket client (queued after what
             it already has); close_after=S > 0: S seconds later the server closes those
             connections with close code 1012 (service restart). Trades flow until then.
  duplicate the next N trades of the symbol (default: of every symbol) are each sent twice in a
             row (the same bytes).
  reorder   the next N trades (rounded up to an even number) go out in swapped adjacent pairs:
             t+1, then t (a pair's first trade waits for its second). Neither duplicate nor
             reorder consumes or skips an id; REST and "sent" are unaffected.

Faults from the command line: --fragment N [--fragment-every K] splits every K-th trade message
into frames of at most N payload bytes (text, continuation..., FIN on the last); injected messages
other than huge are never fragmented. --malformed-every N sends a not_json message after every N-th
trade of a symbol. --drop-every / --close-every S do drop / close every S seconds;
--max-conn-age S closes (1001) each connection S seconds after its upgrade (Binance's 24 h limit).
--rest-lag S serves a trade over REST only S seconds after it was made (an empty or short page for
the newest ids, as Binance's REST gives when it trails its stream).
--shutdown-every S does server_shutdown with close_after = min(S/2, 10) every S seconds.
--pong-deadline S cuts (no close frame, as a dead peer would) a client that has not answered a
server ping within S seconds; logged, counted in "pong_timeouts".

Start-up prints exactly one line `LISTENING <port>` on stdout (and writes the port to --ready-file).
With --tls-dir DIR, DIR/cert.pem + DIR/key.pem are used, or generated with `openssl` when missing
(self-signed, CN localhost, SAN DNS:localhost and IP:127.0.0.1, P-256, 2 days); DIR/ca.pem is the
trust anchor to give the collector (TLS_CA_FILE). SIGTERM/SIGINT: close everything, exit 0.
SIGUSR1: every thread's stack on stderr, and serving goes on.
Connection events are logged to stderr, one line each (--quiet: errors only).
"""
from __future__ import annotations

import argparse
import base64
import bisect
import collections
import fcntl
import hashlib
import itertools
import json
import math
import os
import random
import re
import selectors
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_REQUEST_HEAD_BYTES = 16 * 1024
MAX_REQUEST_BODY_BYTES = 1 << 20
MAX_CLIENT_MESSAGE_BYTES = 1 << 20      # what a client may send us; larger: close 1009
CLIENT_QUEUE_CAP_BYTES = 32 << 20       # per client; over it: block the producer (--rate 0) or drop
BLAST_BATCH = 512                       # trades per symbol per batch at --rate 0
MAX_BATCH = 5000                        # catch-up bound per symbol per producer step
SEND_CHUNK_BYTES = 256 * 1024
WRITE_BUDGET_BYTES = 4 << 20            # bytes sent between two looks at the socket's read side
CLOSE_HANDSHAKE_SECS = 3.0
TLS_HANDSHAKE_SECS = 10.0
HTTP_IDLE_SECS = 30.0
SHUTDOWN_GRACE_SECS = 0.4
STOP_POLL_SECS = 0.25                   # the accept loop looks at the stop flag at least this often
PRICE_POOL = 4096                       # power of two: the pool index is id & (PRICE_POOL - 1)
HUGE_PRICE_BYTES = 1 << 20
TRICKLE_BYTE_SECS = 1.0                 # /control/trickle: one byte per client this often
MAX_OVERSIZE_BYTES = 256 << 20          # /control/oversize
REST_MAX_LIMIT = 1000
REST_DEFAULT_LIMIT = 500
REST_LOG_MAX = 1000                     # REST requests kept for /control/stats
MAX_UNANSWERED_PINGS = 64               # per client, for --pong-deadline
SHUTDOWN_CLOSE_AFTER_MAX_SECS = 10.0    # --shutdown-every: close_after = min(S/2, this)
SERVICE_RESTART = 1012
REST_WEIGHTS = {"/api/v3/historicalTrades": 25, "/api/v3/trades": 25, "/api/v3/ping": 1, "/api/v3/time": 1,
                "/api/v3/exchangeInfo": 20}
SYMBOL_NAME = re.compile(r"[A-Z0-9]{2,20}")
INJECT_KINDS = ("not_json", "truncated", "no_id", "binary", "huge", "unknown_event", "sub_reply")
BASE_PRICES = {"BTCUSDT": 97000.0, "ETHUSDT": 2700.0, "BNBUSDT": 650.0, "SOLUSDT": 200.0}
NOT_JSON_TEXT = "not json: <html>502 Bad Gateway</html> {{{"
TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
HTTP_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                405: "Method Not Allowed", 418: "I'm a teapot", 426: "Upgrade Required",
                429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
                503: "Service Unavailable", 504: "Gateway Timeout"}

# aggTrades (the audit's view of the exchange), kept apart from the table above.
AGG_TRADES_PATH = "/api/v3/aggTrades"
AGG_TRADES_WINDOW_MS = 3_600_000        # how far Binance looks from startTime (or back from endTime)
REST_WEIGHTS[AGG_TRADES_PATH] = 4


class Log:
    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.lock = threading.Lock()

    def _write(self, level: str, msg: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime()) + f".{int(time.time() * 1000) % 1000:03d}"
        with self.lock:
            try:
                sys.stderr.write(f"{stamp} fake-exchange {level}: {msg}\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass

    def info(self, msg: str) -> None:
        if not self.quiet:
            self._write("info", msg)

    def error(self, msg: str) -> None:
        self._write("error", msg)


def drain(sock: socket.socket) -> None:
    """Reads a non-blocking wake-up socket empty."""
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# ----------------------------------------------------------------------------------------------
# WebSocket frames. Trade frames are built as latin-1 str (payloads are ASCII) and encoded once per
# batch: that is what keeps --rate 0 above 150k messages/s.

def _header_str(b0: int, n: int) -> str:
    if n < 126:
        return chr(b0) + chr(n)
    if n < 65536:
        return chr(b0) + "\x7e" + chr(n >> 8) + chr(n & 0xFF)
    return chr(b0) + "\x7f" + n.to_bytes(8, "big").decode("latin-1")


_TEXT_HEADERS = [_header_str(0x80 | TEXT, n) for n in range(126)]


def text_frames_str(payload: str, fragment: int) -> str:
    """One text message as frames; fragment > 0 splits it into frames of at most that many bytes."""
    n = len(payload)
    if fragment <= 0 or n <= fragment:
        return (_TEXT_HEADERS[n] if n < 126 else _header_str(0x80 | TEXT, n)) + payload
    out = []
    for off in range(0, n, fragment):
        chunk = payload[off:off + fragment]
        opcode = TEXT if off == 0 else CONT
        fin = 0x80 if off + fragment >= n else 0
        out.append(_header_str(fin | opcode, len(chunk)))
        out.append(chunk)
    return "".join(out)


def frame(opcode: int, payload: bytes) -> bytes:
    return _header_str(0x80 | opcode, len(payload)).encode("latin-1") + payload


def close_frame(code: int, reason: str) -> bytes:
    return frame(CLOSE, struct.pack("!H", code) + reason.encode()[:120])


def complete_trade_messages(blob: bytes, upto: int) -> int:
    """How many trade messages of a batch lie wholly within blob[:upto] (a send cut short)."""
    count = off = 0
    first_byte = 0
    while off + 2 <= upto:
        b0, b1 = blob[off], blob[off + 1] & 0x7F
        head = 2
        if b1 == 126:
            b1, head = int.from_bytes(blob[off + 2:off + 4], "big"), 4
        elif b1 == 127:
            b1, head = int.from_bytes(blob[off + 2:off + 10], "big"), 10
        end = off + head + b1
        if end > upto:
            break
        if b0 & 0x0F != CONT and b1 > 0:
            first_byte = blob[off + head]
        if b0 & 0x80 and first_byte == 0x7B:  # '{': the not_json messages of --malformed-every are not trades
            count += 1
        off = end
    return count


# ----------------------------------------------------------------------------------------------

class RangeSet:
    """Sorted, merged, inclusive id ranges. Appends at the end are O(1); anything else re-merges."""

    def __init__(self):
        self.ranges: list[list[int]] = []

    def add(self, first: int, last: int) -> None:
        r = self.ranges
        if r:
            tail = r[-1]
            if tail[0] <= first <= tail[1] + 1:
                tail[1] = max(tail[1], last)
                return
            if first > tail[1] + 1:
                r.append([first, last])
                return
        idx = bisect.bisect_left([x[0] for x in r], first)
        r.insert(idx, [first, last])
        merged: list[list[int]] = []
        for lo, hi in r:
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.ranges = merged

    def as_list(self) -> list[list[int]]:
        return [list(x) for x in self.ranges]


class Item:
    """Bytes for one client queue: a batch of trade frames (symbol, first id, count) or a single frame."""
    __slots__ = ("data", "symbol", "first", "count", "messages")

    def __init__(self, data: bytes, symbol: str | None = None, first: int = 0, count: int = 0, messages: int = 1):
        self.data, self.symbol, self.first, self.count, self.messages = data, symbol, first, count, messages


class Symbol:
    """One symbol's trade ids, history and message templates."""

    def __init__(self, name: str, args, rng: random.Random):
        self.name = name
        self.status = "TRADING"             # /control/delist: another status, or None (not listed)
        self.stream = name.lower() + "@trade"
        self.first_id = args.start_id
        self.next_id = args.start_id
        self.limit = args.start_id + args.total if args.total else None
        self.data_lock = threading.Lock()   # next_id, times
        self.send_lock = threading.Lock()   # keeps client queues in id order
        self.times: collections.deque[int] = collections.deque(maxlen=args.history)
        self.skip = 0
        self.vanish = 0                     # next ids that never exist: neither sent nor served
        self.absent: list[tuple[int, int]] = []   # those ids, as [first, last] ranges; data_lock
        self.duplicate = 0                  # trades still to send twice
        self.reorder = 0                    # trades still to send in swapped pairs
        self.held: tuple[int, int, bool] | None = None   # (t, E, duplicate): waits for t+1; send_lock
        base = BASE_PRICES.get(name, 100.0)
        self.head0 = '{"stream":"%s","data":{"e":"trade","E":' % self.stream
        self.head1 = ',"s":"%s","t":' % name
        self.prices, self.qtys, self.quotes, self.makers = [], [], [], []
        for _ in range(PRICE_POOL):
            price = round(base * (1 + rng.uniform(-0.002, 0.002)), 2)
            price_e8 = int(round(price * 100)) * 1_000_000
            qty_e8 = rng.randint(1, 50_000) * 1000
            quote_e8 = price_e8 * qty_e8 // 100_000_000
            self.prices.append(f"{price_e8 // 10**8}.{price_e8 % 10**8:08d}")
            self.qtys.append(f"{qty_e8 // 10**8}.{qty_e8 % 10**8:08d}")
            self.quotes.append(f"{quote_e8 // 10**8}.{quote_e8 % 10**8:08d}")
            self.makers.append("true" if rng.random() < 0.5 else "false")
        self.mid = [',"p":"%s","q":"%s","T":' % (p, q) for p, q in zip(self.prices, self.qtys)]
        self.tail = [',"m":%s,"M":true}}' % m for m in self.makers]

    def trade_json(self, t: int, e_ms: int, price: str | None = None, with_id: bool = True) -> str:
        i = t & (PRICE_POOL - 1)
        mid = self.mid[i] if price is None else ',"p":"%s","q":"%s","T":' % (price, self.qtys[i])
        ident = f"{self.head1}{t}" if with_id else ',"s":"%s"' % self.name
        return f"{self.head0}{e_ms}{ident}{mid}{e_ms}{self.tail[i]}"

    def build_batch(self, first: int, n: int, e_ms: int, fragment: int, frag_every: int, malformed: int) -> bytes:
        e_str = str(e_ms)
        head = self.head0 + e_str + self.head1
        mid, tail, headers = self.mid, self.tail, _TEXT_HEADERS
        mask = PRICE_POOL - 1
        parts: list[str] = []
        add = parts.append
        if not fragment and not malformed:
            for t in range(first, first + n):
                i = t & mask
                s = f"{head}{t}{mid[i]}{e_str}{tail[i]}"
                ln = len(s)
                add(headers[ln] if ln < 126 else _header_str(0x81, ln))
                add(s)
        else:
            not_json = text_frames_str(NOT_JSON_TEXT, 0)
            for t in range(first, first + n):
                i = t & mask
                seq = t - self.first_id + 1
                s = f"{head}{t}{mid[i]}{e_str}{tail[i]}"
                add(text_frames_str(s, fragment if fragment and seq % frag_every == 0 else 0))
                if malformed and seq % malformed == 0:
                    add(not_json)
        return "".join(parts).encode("latin-1")

    def take_ids(self, n: int) -> tuple[int, int, int]:
        """Reserves up to n ids (bounded by --total); returns (first, count, E). Caller holds data_lock."""
        if self.limit is not None:
            n = min(n, self.limit - self.next_id)
        first = self.next_id
        e_ms = now_ms()
        if n > 0:
            self.next_id += n
            self.times.extend(itertools.repeat(e_ms, n))
        return first, max(n, 0), e_ms

    def rest_rows(self, start: int | None, limit: int, lag_ms: int = 0) -> list[str]:
        """Up to limit trades from id start (None: the most recent), as REST rows. Ids made absent by
        vanish are never served; with lag_ms, nor are trades made less than lag_ms ago."""
        with self.data_lock:
            oldest = self.next_id - len(self.times)
            served_end = self.next_id
            if lag_ms:
                cutoff = now_ms() - lag_ms
                while served_end > oldest and self.times[served_end - 1 - oldest] > cutoff:
                    served_end -= 1
            begin = max(oldest, served_end - limit) if start is None else max(start, oldest)
            absent = [r for r in self.absent if r[1] >= begin]
            picked: list[tuple[int, int]] = []
            t = begin
            while t < served_end and len(picked) < limit:
                hole = next((r for r in absent if r[0] <= t <= r[1]), None)
                if hole:
                    t = hole[1] + 1
                    continue
                picked.append((t, self.times[t - oldest]))
                t += 1
        rows = []
        for t, e_ms in picked:
            i = t & (PRICE_POOL - 1)
            rows.append(f'{{"id":{t},"price":"{self.prices[i]}","qty":"{self.qtys[i]}",'
                        f'"quoteQty":"{self.quotes[i]}","time":{e_ms},"isBuyerMaker":{self.makers[i]},'
                        f'"isBestMatch":true}}')
        return rows

    def agg_rows(self, from_id: int | None, start_ms: int | None, end_ms: int | None, limit: int,
                 lag_ms: int = 0) -> list[str]:
        """aggTrades rows, one aggregate per trade: those from aggregate id from_id and/or with a time
        in [start_ms, end_ms] (all: the newest `limit`), ascending. Absent ids and, with lag_ms, trades
        made less than lag_ms ago are not served, as in rest_rows."""
        with self.data_lock:
            oldest = self.next_id - len(self.times)
            served_end = self.next_id
            if lag_ms:
                cutoff = now_ms() - lag_ms
                while served_end > oldest and self.times[served_end - 1 - oldest] > cutoff:
                    served_end -= 1
            kept = [self.times[i] for i in range(served_end - oldest)]
            absent = list(self.absent)
        lo, hi = 0, len(kept)            # indexes into kept: ids oldest + lo .. oldest + hi - 1
        if start_ms is not None:
            lo = bisect.bisect_left(kept, start_ms)
        if end_ms is not None:
            hi = bisect.bisect_right(kept, end_ms)
        if from_id is not None:
            lo = max(lo, from_id + self.first_id - oldest)
        newest_only = from_id is None and start_ms is None and end_ms is None
        picked: list[int] = []
        ids = range(oldest + hi - 1, oldest + lo - 1, -1) if newest_only else range(oldest + lo, oldest + hi)
        for t in ids:
            if len(picked) == limit:
                break
            if not any(a <= t <= b for a, b in absent):
                picked.append(t)
        rows = []
        for t in sorted(picked):
            i = t & (PRICE_POOL - 1)
            rows.append(f'{{"a":{t - self.first_id},"p":"{self.prices[i]}","q":"{self.qtys[i]}","f":{t},"l":{t},'
                        f'"T":{kept[t - oldest]},"m":{self.makers[i]},"M":true}}')
        return rows


def plan_duplicate_reorder(sym: Symbol, first: int, count: int, e_ms: int) -> tuple[list[tuple[int, int, bool]], int]:
    """The send order of the leading ids of first..first+count-1 that duplicate/reorder touch, as
    (t, E, send twice), and how many ids that covers. Caller holds send_lock and data_lock. Each trade
    is its own queue item, so "sent" stays exact whatever the order."""
    plan: list[tuple[int, int, bool]] = []
    t, end = first, first + count
    while t < end and (sym.duplicate > 0 or sym.reorder > 0 or sym.held is not None):
        twice = sym.duplicate > 0
        sym.duplicate -= twice
        entry = (t, e_ms, twice)
        if sym.held is not None:
            plan += [entry, sym.held]
            sym.held = None
            sym.reorder = max(0, sym.reorder - 1)
        elif sym.reorder > 0:
            sym.held = entry
            sym.reorder -= 1
        else:
            plan.append(entry)
        t += 1
    return plan, t - first


# ----------------------------------------------------------------------------------------------

class WsSession:
    """One WebSocket client. Its thread alone touches the socket (non-blocking, selector loop);
    other threads hand it queue items and requests (drop, close, shutdown) through a wake-up pair."""

    def __init__(self, server: "FakeExchange", sock, peer: str, streams: list[str], leftover: bytes):
        self.server = server
        self.id = next(server.session_ids)
        self.sock = sock
        self.peer = peer
        self.tls = isinstance(sock, ssl.SSLSocket)
        self.streams: list[str] = sorted(set(streams))   # lower-case stream names, e.g. btcusdt@trade
        self.cond = threading.Condition(threading.Lock())
        self.data_q: collections.deque[Item] = collections.deque()
        self.ctrl_q: collections.deque[bytes] = collections.deque()   # this thread only
        self.qbytes = 0
        self.requests: list[str] = []
        self.finished = False
        self.wake_pending = False
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.closed_event = threading.Event()
        self.rbuf = bytearray(leftover)
        self.frag_op: int | None = None
        self.frag_parts: list[bytes] = []
        self.frag_len = 0
        self.cur: Item | None = None
        self.cur_view: memoryview | None = None
        self.cur_off = 0
        self.close_sent = False
        self.close_received = False
        self.close_deadline = float("inf")
        self.peer_closed_first = False
        self.outstanding_ping: bytes | None = None
        self.unanswered: collections.deque[tuple[bytes, float]] = collections.deque(maxlen=MAX_UNANSWERED_PINGS)
        self.restart_at = float("inf")      # server_shutdown's close_after; set under cond
        self.trickle_next = 0.0             # while trickling: when the next byte may go
        self.opened = time.monotonic()
        self.messages = self.bytes_sent = self.pings_sent = self.pongs = self.missing_pongs = 0
        self.sent: dict[str, RangeSet] = {}

    # -- called from other threads ------------------------------------------------------------

    def set_streams(self, streams: list[str]) -> None:
        self.streams = sorted(set(streams))
        self.server.resubscribe(self)

    def enqueue(self, item: Item, when_full: str) -> bool:
        """Queues item; when the queue is over its cap: "block" until it drains, "drop" the client,
        or "force" (injected messages: one more frame must not cost the connection)."""
        with self.cond:
            while when_full == "block" and self.qbytes > CLIENT_QUEUE_CAP_BYTES and not self.finished \
                    and not self.server.stopping.is_set():
                self.cond.wait(0.1)
            if self.finished:
                return False
            if when_full == "drop" and self.qbytes > CLIENT_QUEUE_CAP_BYTES:
                self._request_locked("slow")
                return False
            self.data_q.append(item)
            self.qbytes += len(item.data)
            self._wake_locked()
            return True

    def request(self, action: str) -> bool:
        with self.cond:
            if self.finished:
                return False
            self._request_locked(action)
            return True

    def wake(self) -> None:
        """Has the session thread look at the server's settings (silence, trickle) now."""
        with self.cond:
            if not self.finished:
                self._wake_locked()

    def close_at(self, when: float) -> bool:
        """Closes with 1012 (service restart) at monotonic time `when`."""
        with self.cond:
            if self.finished:
                return False
            self.restart_at = min(self.restart_at, when)
            self._wake_locked()
            return True

    def _request_locked(self, action: str) -> None:
        if action not in self.requests:
            self.requests.append(action)
        self._wake_locked()

    def _wake_locked(self) -> None:
        if not self.wake_pending:
            self.wake_pending = True
            try:
                self.wake_w.send(b"\0")
            except OSError:
                pass

    def detail(self) -> dict:
        return {"id": self.id, "peer": self.peer, "tls": self.tls, "streams": list(self.streams),
                "age_secs": round(time.monotonic() - self.opened, 3), "messages": self.messages,
                "bytes": self.bytes_sent, "queued_bytes": self.qbytes, "pings_sent": self.pings_sent,
                "pongs": self.pongs, "missing_pongs": self.missing_pongs,
                "sent": {s: r.as_list() for s, r in list(self.sent.items())}}

    # -- the session thread --------------------------------------------------------------------

    def run(self) -> None:
        reason = "?"
        try:
            reason = self._loop()
        except (OSError, ssl.SSLError) as e:
            reason = f"socket error: {e}"
        except Exception as e:  # a bug here must not take the server down
            reason = f"internal error: {e!r}"
        finally:
            self._finish(reason)

    def _loop(self) -> str:
        srv, args = self.server, self.server.args
        self.sock.setblocking(False)
        sel = selectors.DefaultSelector()
        try:
            sel.register(self.sock, selectors.EVENT_READ)
            sel.register(self.wake_r, selectors.EVENT_READ)
            registered = selectors.EVENT_READ
            ping_every = args.ping_interval
            next_ping = self.opened + ping_every if ping_every > 0 else float("inf")
            age_limit = self.opened + args.max_conn_age if args.max_conn_age > 0 else float("inf")
            pong_deadline = args.pong_deadline
            if self.rbuf:
                self._parse_frames()
            while True:
                with self.cond:
                    requests, self.requests = self.requests, []
                    restart_at = self.restart_at
                for action in requests:
                    if action in ("fin", "rst"):
                        self._abort(action)
                        return f"dropped by control ({action})"
                    if action == "slow":
                        self._abort("fin")
                        return f"slow consumer (more than {CLIENT_QUEUE_CAP_BYTES} bytes queued)"
                    if action == "close":
                        self._start_close(srv.close_code, "going away")
                    if action == "shutdown":
                        self._start_close(1001, "server shutting down")
                        self.close_deadline = min(self.close_deadline, time.monotonic() + SHUTDOWN_GRACE_SECS)
                now = time.monotonic()
                silent_until = srv.silence_until
                silenced = now < silent_until
                if now >= next_ping:
                    if not silenced and not self.close_sent:
                        self._ping()
                    next_ping = now + ping_every
                if now >= age_limit and not self.close_sent:
                    self._start_close(1001, "connection age limit")
                if now >= restart_at and not self.close_sent:
                    self._start_close(SERVICE_RESTART, "service restart")
                pong_due = self.unanswered[0][1] + pong_deadline if pong_deadline > 0 and self.unanswered \
                    else float("inf")
                if now >= pong_due and not self.close_sent:
                    self.server.count_pong_timeout()
                    self._abort("fin")
                    return f"no pong within --pong-deadline {pong_deadline:g} s (cut without a close frame)"
                if now >= self.close_deadline:
                    return "close handshake timed out" if not self.close_received else "closed"
                trickling = now < srv.trickle_until
                state = "silenced" if silenced else self._trickle(now) if trickling else self._pump()
                if self.close_sent and self.close_received and state == "idle":
                    return "closed by peer" if self.peer_closed_first else "closed"
                want = selectors.EVENT_READ | (selectors.EVENT_WRITE if state == "blocked" else 0)
                if want != registered:
                    sel.modify(self.sock, want)
                    registered = want
                if state == "budget" or (self.tls and self.sock.pending()):
                    timeout = 0.0
                else:
                    deadline = min(next_ping, age_limit, restart_at, pong_due, self.close_deadline,
                                   silent_until if silenced else now + 1.0,
                                   max(self.trickle_next, now) if trickling else float("inf"),
                                   srv.trickle_until if trickling else float("inf"))
                    timeout = max(0.0, min(1.0, deadline - now))
                readable = self.tls and self.sock.pending() > 0
                for key, events in sel.select(timeout):
                    if key.fileobj is self.wake_r:
                        with self.cond:
                            self.wake_pending = False
                            drain(self.wake_r)
                    elif events & selectors.EVENT_READ:
                        readable = True
                if readable and not self._read():
                    return "peer closed the TCP connection" + ("" if self.close_received else " without a close frame")
        finally:
            sel.close()

    def _pump(self) -> str:
        """Sends queued bytes. Returns idle (nothing left), blocked (socket full) or budget (more to do)."""
        budget = WRITE_BUDGET_BYTES
        while budget > 0:
            if self.cur is None and not self._take_next():
                return "idle"
            n = self._send(SEND_CHUNK_BYTES)
            if n is None:
                return "blocked"
            budget -= n
        return "budget"

    def _trickle(self, now: float) -> str:
        """Sends one queued byte if a second has passed since the last (the trickle control)."""
        if now < self.trickle_next or (self.cur is None and not self._take_next()):
            return "trickling"
        if self._send(1) is None:
            return "blocked"
        self.trickle_next = now + TRICKLE_BYTE_SECS
        return "trickling"

    def _take_next(self) -> bool:
        """Makes the next queued frame(s) current, control frames first; False when nothing is queued."""
        if self.ctrl_q:
            self._set_current(Item(self.ctrl_q.popleft(), messages=0))
            return True
        if self.close_sent:
            return False
        with self.cond:
            if not self.data_q:
                return False
            item = self.data_q.popleft()
            self.qbytes -= len(item.data)
            self.cond.notify_all()
        self._set_current(item)
        return True

    def _send(self, most: int) -> int | None:
        """Sends up to `most` bytes of the current item; None when the socket takes nothing now."""
        try:
            n = self.sock.send(self.cur_view[self.cur_off:self.cur_off + most])
        except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            return None
        self.cur_off += n
        self.bytes_sent += n
        if self.cur_off >= len(self.cur.data):
            self._done(self.cur, self.cur.count)
            self.cur = self.cur_view = None
        return n

    def _set_current(self, item: Item) -> None:
        self.cur, self.cur_view, self.cur_off = item, memoryview(item.data), 0

    def _done(self, item: Item, count: int) -> None:
        self.messages += item.messages if count == item.count else count
        if item.symbol is not None and count > 0:
            self.sent.setdefault(item.symbol, RangeSet()).add(item.first, item.first + count - 1)
            self.server.record_sent(item.symbol, item.first, item.first + count - 1)

    def _read(self) -> bool:
        """Reads what is available and handles the frames; False on EOF."""
        for _ in range(64):
            try:
                chunk = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                break
            if not chunk:
                return False
            self.rbuf += chunk
            if len(chunk) < 65536 and not (self.tls and self.sock.pending()):
                break
        if self.rbuf:
            self._parse_frames()
        return True

    def _parse_frames(self) -> None:
        buf = self.rbuf
        while len(buf) >= 2 and not self.close_received:
            b0, b1 = buf[0], buf[1]
            fin, opcode, masked, n = b0 & 0x80, b0 & 0x0F, b1 & 0x80, b1 & 0x7F
            head = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, head = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, head = int.from_bytes(buf[2:10], "big"), 10
            if b0 & 0x70:
                return self._protocol_error(1002, "reserved bits set")
            if not masked:
                return self._protocol_error(1002, "client frame not masked")
            if n > MAX_CLIENT_MESSAGE_BYTES:
                return self._protocol_error(1009, "frame too big")
            if len(buf) < head + 4 + n:
                return
            key = bytes(buf[head:head + 4])
            raw = bytes(buf[head + 4:head + 4 + n])
            del buf[:head + 4 + n]
            payload = (int.from_bytes(raw, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
            if opcode >= 0x8:
                if not fin or n > 125:
                    return self._protocol_error(1002, "bad control frame")
                self._on_control(opcode, payload)
            elif opcode in (TEXT, BINARY):
                if self.frag_op is not None:
                    return self._protocol_error(1002, "new message inside a fragmented one")
                if fin:
                    self._on_message(opcode, payload)
                else:
                    self.frag_op, self.frag_parts, self.frag_len = opcode, [payload], n
            elif opcode == CONT:
                if self.frag_op is None:
                    return self._protocol_error(1002, "continuation without a message")
                self.frag_parts.append(payload)
                self.frag_len += n
                if self.frag_len > MAX_CLIENT_MESSAGE_BYTES:
                    return self._protocol_error(1009, "message too big")
                if fin:
                    op, data = self.frag_op, b"".join(self.frag_parts)
                    self.frag_op, self.frag_parts, self.frag_len = None, [], 0
                    self._on_message(op, data)
            else:
                return self._protocol_error(1002, f"unknown opcode {opcode}")

    def _protocol_error(self, code: int, why: str) -> None:
        self.server.log.info(f"ws #{self.id} {self.peer}: protocol error: {why}")
        self.rbuf.clear()
        self._start_close(code, why)

    def _on_control(self, opcode: int, payload: bytes) -> None:
        if opcode == PING:
            if not self.close_sent:
                self.ctrl_q.append(frame(PONG, payload))
        elif opcode == PONG:
            self.pongs += 1
            if payload == self.outstanding_ping:
                self.outstanding_ping = None
            if any(p == payload for p, _ in self.unanswered):   # answers it and every older ping
                while self.unanswered.popleft()[0] != payload:
                    pass
        elif opcode == CLOSE:
            self.close_received = True
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            self.server.log.info(f"ws #{self.id} {self.peer}: close frame from client (code {code})")
            if not self.close_sent:
                self.peer_closed_first = True
                self._start_close(code if code and code not in (1005, 1006, 1015) else 1000, "")
        else:
            self._protocol_error(1002, f"unknown control opcode {opcode}")

    def _on_message(self, opcode: int, payload: bytes) -> None:
        if opcode != TEXT:
            return
        try:
            req = json.loads(payload)
            method, params, ident = req.get("method"), req.get("params") or [], req.get("id")
        except (ValueError, AttributeError):
            self.ctrl_q.append(frame(TEXT, b'{"error":{"code":3,"msg":"Invalid JSON"}}'))
            return
        if method == "SUBSCRIBE":
            self.set_streams(self.streams + [str(p).lower() for p in params])
            result = None
        elif method == "UNSUBSCRIBE":
            drop = {str(p).lower() for p in params}
            self.set_streams([s for s in self.streams if s not in drop])
            result = None
        elif method == "LIST_SUBSCRIPTIONS":
            result = list(self.streams)
        else:
            self.ctrl_q.append(frame(TEXT, json.dumps({"error": {"code": 2, "msg": "Invalid request"},
                                                       "id": ident}).encode()))
            return
        self.ctrl_q.append(frame(TEXT, json.dumps({"result": result, "id": ident}).encode()))

    def _ping(self) -> None:
        if self.outstanding_ping is not None:
            self.missing_pongs += 1
            self.server.count_missing_pong()
            self.server.log.info(f"ws #{self.id} {self.peer}: missing pong for ping {self.outstanding_ping.decode()}")
        payload = str(now_ms()).encode()
        self.outstanding_ping = payload
        self.unanswered.append((payload, time.monotonic()))
        self.pings_sent += 1
        self.ctrl_q.append(frame(PING, payload))

    def _start_close(self, code: int, reason: str) -> None:
        if self.close_sent:
            return
        self.close_sent = True
        self.ctrl_q.clear()
        self.ctrl_q.append(close_frame(code, reason))
        self.close_deadline = time.monotonic() + CLOSE_HANDSHAKE_SECS
        with self.cond:
            self.data_q.clear()
            self.qbytes = 0
            self.cond.notify_all()

    def _abort(self, mode: str) -> None:
        if mode == "rst":
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def _finish(self, reason: str) -> None:
        if self.cur is not None and self.cur.symbol is not None and self.cur_off > 0:
            self._done(self.cur, min(self.cur.count, complete_trade_messages(self.cur.data, self.cur_off)))
        self.cur = self.cur_view = None
        try:
            if self.sock.fileno() >= 0:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.sock.close()
        except OSError:
            pass
        with self.cond:
            self.finished = True
            self.data_q.clear()
            self.qbytes = 0
            self.cond.notify_all()
            self.wake_r.close()
            self.wake_w.close()
        self.server.unregister(self)
        self.server.log.info(f"ws #{self.id} {self.peer} disconnected: {reason} (messages={self.messages} "
                             f"bytes={self.bytes_sent})")
        self.closed_event.set()


# ----------------------------------------------------------------------------------------------

class HttpError(Exception):
    pass


class HttpConnection:
    """Blocking request reader for one TCP (or TLS) connection; keep-alive aware."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_REQUEST_HEAD_BYTES:
                raise HttpError("request head too large")
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            if not chunk:
                return None
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(f"bad request line {lines[0][:80]!r}")
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise HttpError("bad header line")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length < 0 or length > MAX_REQUEST_BODY_BYTES or "chunked" in headers.get("transfer-encoding", ""):
            raise HttpError("unsupported request body")
        while len(self.buf) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        body, self.buf = self.buf[:length], self.buf[length:]
        url = urllib.parse.urlsplit(target)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        return {"method": method, "path": url.path, "query": query, "headers": headers, "body": body,
                "keep_alive": keep_alive}

    def respond(self, status: int, body, extra: dict | None = None, keep_alive: bool = True,
                content_type: str = "application/json;charset=UTF-8") -> None:
        if not isinstance(body, (bytes, bytearray)):
            body = (body if isinstance(body, str) else json.dumps(body)).encode()
        head = [f"HTTP/1.1 {status} {HTTP_REASONS.get(status, 'Status')}",
                f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
                "Connection: " + ("keep-alive" if keep_alive else "close")]
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)


def rest_numbers(q: dict, names) -> tuple[dict, dict | None]:
    """The numeric query parameters of a trades request, checked as Binance does: ({name: int}, None) with
    "limit" defaulted, or ({}, the -1100 error body) for the first bad one."""
    numbers = {}
    for name in names:
        value = q.get(name)
        if value is None:
            continue
        if not re.fullmatch(r"[0-9]{1,20}", value):
            return {}, binance_error(-1100, f"Illegal characters found in parameter '{name}'; legal range "
                                            f"is '^[0-9]{{1,20}}$'.")
        numbers[name] = int(value)
    numbers.setdefault("limit", REST_DEFAULT_LIMIT)
    if not 1 <= numbers["limit"] <= REST_MAX_LIMIT:
        return {}, binance_error(-1100, f"Illegal characters found in parameter 'limit'; legal range is "
                                        f"'1..{REST_MAX_LIMIT}'.")
    return numbers, None


def binance_error(code: int, msg: str) -> dict:
    return {"code": code, "msg": msg}


# ----------------------------------------------------------------------------------------------

class FakeExchange:
    def __init__(self, args, log: Log, ssl_ctx: ssl.SSLContext | None):
        self.args = args
        self.log = log
        self.ssl_ctx = ssl_ctx
        rng = random.Random(args.seed)
        self.symbols = {name: Symbol(name, args, rng) for name in args.symbols}
        self.by_stream = {s.stream: s for s in self.symbols.values()}
        self.stopping = threading.Event()
        self.paused = threading.Event()
        if args.start_paused:
            self.paused.set()
        self.session_ids = itertools.count(1)
        self.lock = threading.Lock()   # sessions, subscribers, stats
        self.sessions: dict[int, WsSession] = {}
        self.subscribers: dict[str, tuple[WsSession, ...]] = {s: () for s in self.symbols}
        self.sent = {s: RangeSet() for s in self.symbols}
        self.connections_total = 0
        self.missing_pongs = 0
        self.pong_timeouts = 0
        self.server_shutdowns = 0
        self.drops_total = 0             # connections cut by POST /control/drop or --drop-every
        self.producer_idle = False       # the producer has seen the pause and makes nothing more
        self.calm = threading.Event()  # POST /control/calm: the --*-every schedules stop
        self.injected: collections.Counter[str] = collections.Counter()
        self.rest_requests_total = 0
        self.rest_log: collections.deque[dict] = collections.deque(maxlen=REST_LOG_MAX)
        self.rest_fail = (0, 0, 1)       # (status, remaining, Retry-After seconds)
        self.weight = (0, 0)             # (minute, used)
        self.silence_until = 0.0
        self.trickle_until = 0.0
        self.close_code = 1001
        self.producing = True
        self.started = time.monotonic()
        self.listener: socket.socket | None = None
        self.port = 0
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.stop_requested = False   # set by the signal handler; serve() polls it as well as wake_r

    # -- bookkeeping ------------------------------------------------------------------------------

    def resubscribe(self, session: WsSession) -> None:
        with self.lock:
            self._rebuild_subscribers_locked()

    def _rebuild_subscribers_locked(self) -> None:
        subs: dict[str, list[WsSession]] = {s: [] for s in self.symbols}
        for session in self.sessions.values():
            for stream in session.streams:
                sym = self.by_stream.get(stream)
                if sym is not None:
                    subs[sym.name].append(session)
        self.subscribers = {s: tuple(v) for s, v in subs.items()}

    def register(self, session: WsSession) -> None:
        with self.lock:
            self.sessions[session.id] = session
            self.connections_total += 1
            self._rebuild_subscribers_locked()

    def unregister(self, session: WsSession) -> None:
        with self.lock:
            self.sessions.pop(session.id, None)
            self._rebuild_subscribers_locked()

    def record_sent(self, symbol: str, first: int, last: int) -> None:
        with self.lock:
            self.sent[symbol].add(first, last)

    def count_missing_pong(self) -> None:
        with self.lock:
            self.missing_pongs += 1

    def count_pong_timeout(self) -> None:
        with self.lock:
            self.pong_timeouts += 1

    def all_sessions(self) -> list[WsSession]:
        with self.lock:
            return list(self.sessions.values())

    def list_symbol(self, name: str) -> dict:
        if not SYMBOL_NAME.fullmatch(name):
            raise ValueError(f"symbol {name!r} is not 2 to 20 of A-Z 0-9")
        with self.lock:
            sym = self.symbols.get(name)
            if sym is None:
                sym = Symbol(name, self.args, random.Random(f"{self.args.seed}/{name}"))
                self.symbols[name] = sym
                self.by_stream[sym.stream] = sym
                self.sent[name] = RangeSet()
            sym.status = "TRADING"
            self._rebuild_subscribers_locked()
        return {"symbol": name, "listed": True}

    def delist_symbol(self, name: str, status: str | None) -> dict:
        if status == "TRADING":
            raise ValueError("a delisted symbol's status is anything but TRADING")
        with self.lock:
            sym = self.symbols.get(name)
            if sym is None:
                raise KeyError(f"no symbol {name}")
            sym.status = status
        return {"symbol": name, "status": status}

    def exchange_info(self) -> dict:
        with self.lock:
            listed = [(name, sym.status) for name, sym in self.symbols.items() if sym.status is not None]
        return {"timezone": "UTC", "serverTime": now_ms(), "rateLimits": [], "exchangeFilters": [],
                "symbols": [{"symbol": name, "status": status, "baseAsset": name[:-4] or name,
                             "quoteAsset": name[-4:], "isSpotTradingAllowed": True, "permissions": ["SPOT"]}
                            for name, status in listed]}

    def stats(self) -> dict:
        symbols = {}
        with self.lock:
            known = list(self.symbols.items())
        for name, sym in known:
            with sym.data_lock:
                next_id, kept = sym.next_id, len(sym.times)
                duplicate_left, reorder_left = sym.duplicate, sym.reorder
                absent = [list(r) for r in sym.absent]
            with self.lock:
                sent = self.sent[name].as_list()
            symbols[name] = {"next_id": next_id, "first_id": sym.first_id,
                             "history": [next_id - kept, next_id - 1] if kept else None, "sent": sent,
                             "duplicate_left": duplicate_left, "reorder_left": reorder_left, "absent": absent,
                             "status": sym.status}
        sessions = self.all_sessions()
        with self.lock:
            rest_log = list(self.rest_log)
        return {"symbols": symbols, "clients": len(sessions),
                "clients_detail": [s.detail() for s in sorted(sessions, key=lambda s: s.id)],
                "connections_total": self.connections_total, "paused": self.paused.is_set(),
                "producing": self.producing,
                "silenced_secs": round(max(0.0, self.silence_until - time.monotonic()), 3),
                "trickle_secs": round(max(0.0, self.trickle_until - time.monotonic()), 3),
                "missing_pongs": self.missing_pongs, "pong_timeouts": self.pong_timeouts,
                "server_shutdowns": self.server_shutdowns, "drops_total": self.drops_total,
                "producer_paused": (self.paused.is_set() and self.producer_idle) or not self.producing,
                "injected": dict(self.injected),
                "rest_requests_total": self.rest_requests_total, "rest_requests": rest_log,
                "rate": self.args.rate, "tls": self.ssl_ctx is not None,
                "port": self.port, "uptime_secs": round(time.monotonic() - self.started, 3)}

    # -- trade production -------------------------------------------------------------------------

    def produce(self, sym: Symbol, n: int) -> int:
        """Makes up to n trades of sym and queues them to its subscribers; returns how many."""
        with sym.send_lock:
            with sym.data_lock:
                first, n, e_ms = sym.take_ids(n)
                gone = min(sym.vanish, n)
                if gone:
                    sym.vanish -= gone
                    if sym.absent and sym.absent[-1][1] + 1 == first:
                        sym.absent[-1] = (sym.absent[-1][0], first + gone - 1)
                    else:
                        sym.absent.append((first, first + gone - 1))
                skipped = min(sym.skip, n - gone)
                sym.skip -= skipped
                first_sent, count = first + gone + skipped, n - gone - skipped
                plan, covered = plan_duplicate_reorder(sym, first_sent, count, e_ms)
                if n == 0 and sym.held is not None:   # production ended: the pair's second never comes
                    plan, sym.held = [sym.held], None
            if not plan and count == 0:
                return n
            subscribers = self.subscribers[sym.name]
            if subscribers and time.monotonic() >= self.silence_until:
                items = []
                for t, e, twice in plan:
                    item = self.batch_item(sym, t, 1, e)
                    items += [item, item] if twice else [item]
                if covered < count:
                    items.append(self.batch_item(sym, first_sent + covered, count - covered, e_ms))
                when_full = "block" if self.args.rate == 0 else "drop"
                for session in subscribers:
                    for item in items:
                        session.enqueue(item, when_full)
            return n

    def batch_item(self, sym: Symbol, first: int, count: int, e_ms: int) -> Item:
        args = self.args
        data = sym.build_batch(first, count, e_ms, args.fragment, args.fragment_every, args.malformed_every)
        messages = count
        if args.malformed_every:
            lo, hi = first - sym.first_id + 1, first - sym.first_id + count
            messages += hi // args.malformed_every - (lo - 1) // args.malformed_every
        return Item(data, sym.name, first, count, messages)

    def replay(self, symbol: str, first: int, last: int) -> dict:
        """Sends trades first..last of symbol again, live, to its subscribers (ids it made absent too)."""
        sym = self.symbols.get(symbol)
        if sym is None:
            raise ValueError(f"unknown symbol {symbol!r}")
        with sym.data_lock:
            if not sym.first_id <= first <= last < sym.next_id:
                raise ValueError(f"from..to must lie within {sym.first_id}..{sym.next_id - 1}")
        with sym.send_lock:
            item = self.batch_item(sym, first, last - first + 1, now_ms())
            for session in self.subscribers[sym.name]:
                session.enqueue(item, "force")
        return {"replayed": [first, last], "symbol": symbol}

    def produce_huge(self, sym: Symbol) -> int:
        with sym.send_lock:
            with sym.data_lock:
                sym.limit = None if sym.limit is None else max(sym.limit, sym.next_id + 1)
                t, _n, e_ms = sym.take_ids(1)
            price = sym.prices[t & (PRICE_POOL - 1)].ljust(HUGE_PRICE_BYTES, "0")
            text = sym.trade_json(t, e_ms, price=price)
            item = Item(text_frames_str(text, self.args.fragment).encode("latin-1"), sym.name, t, 1, 1)
            if time.monotonic() >= self.silence_until:
                for session in self.subscribers[sym.name]:
                    session.enqueue(item, "force")
            return t

    def producer(self) -> None:
        args = self.args
        rate = args.rate
        produced = 0          # per symbol, on the rate schedule
        t0 = time.monotonic()
        was_paused = False
        try:
            while not self.stopping.is_set():
                if self.paused.is_set():
                    was_paused = self.producer_idle = True
                    self.stopping.wait(0.02)
                    continue
                if was_paused:  # the schedule restarts: no burst of the paused period's trades
                    was_paused, t0, produced = False, time.monotonic(), 0
                    self.producer_idle = False
                if rate > 0:
                    due = int((time.monotonic() - t0) * rate) + 1
                    n = min(due - produced, MAX_BATCH)
                    if n <= 0:  # sleep to the next trade, at least a tick: high rates go out in batches
                        self.stopping.wait(max(args.tick_ms / 1000, t0 + produced / rate - time.monotonic()))
                        continue
                else:
                    n = BLAST_BATCH
                made = 0
                with self.lock:
                    trading = [sym for sym in self.symbols.values() if sym.status == "TRADING"]
                for sym in trading:
                    made += self.produce(sym, n)
                produced += n
                if made == 0 and args.total:
                    self.log.info(f"producer: --total {args.total} reached for every symbol")
                    break
        except Exception as e:
            self.log.error(f"producer died: {e!r}")
        finally:
            self.producing = False

    # -- faults ----------------------------------------------------------------------------------

    def inject(self, kind: str, symbol: str | None) -> dict:
        if kind not in INJECT_KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {','.join(INJECT_KINDS)}")
        sym = self.symbols.get(symbol) if symbol else next(iter(self.symbols.values()))
        if sym is None:
            raise ValueError(f"unknown symbol {symbol!r}; known: {','.join(self.symbols)}")
        with self.lock:
            self.injected[kind] += 1
        if kind == "huge":
            t = self.produce_huge(sym)
            return {"injected": kind, "symbol": sym.name, "id": t, "clients": len(self.subscribers[sym.name])}
        with sym.data_lock:
            t = sym.next_id
        e_ms = now_ms()
        if kind == "not_json":
            data = frame(TEXT, NOT_JSON_TEXT.encode())
        elif kind == "truncated":
            text = sym.trade_json(t, e_ms)
            data = frame(TEXT, text[:len(text) // 2].encode())
        elif kind == "no_id":
            data = frame(TEXT, sym.trade_json(t, e_ms, with_id=False).encode())
        elif kind == "binary":
            data = frame(BINARY, b"\x00\x01\x02binary\xff\xfe" + struct.pack("!Q", e_ms))
        elif kind == "unknown_event":
            data = frame(TEXT, ('{"stream":"%s","data":{"e":"mystery","E":%d,"s":"%s","x":42}}'
                                % (sym.stream, e_ms, sym.name)).encode())
        else:  # sub_reply: what Binance answers to a SUBSCRIBE, on the data stream
            data = frame(TEXT, b'{"result":null,"id":1}')
        sessions = self.all_sessions()
        item = Item(data)
        for session in sessions:
            session.enqueue(item, "force")
        return {"injected": kind, "clients": len(sessions)}

    def oversize(self, size: int, symbol: str | None, fragment: int) -> dict:
        """One text message of exactly `size` bytes that takes no trade id (see the oversize control)."""
        sym = None
        if symbol:
            sym = self.symbols.get(symbol)
            if sym is None:
                raise ValueError(f"unknown symbol {symbol!r}; known: {','.join(self.symbols)}")
            head = '{"stream":"%s","data":{"e":"trade","E":%d,"s":"%s","pad":"' % (sym.stream, now_ms(), sym.name)
            tail = '"}}'
        else:
            head, tail = '{"e":"oversize","pad":"', '"}'
        pad = size - len(head) - len(tail)
        if pad < 0 or size > MAX_OVERSIZE_BYTES:
            raise ValueError(f"bytes must be from {len(head) + len(tail)} to {MAX_OVERSIZE_BYTES}")
        item = Item(text_frames_str(head + "0" * pad + tail, fragment).encode("latin-1"))
        with self.lock:
            self.injected["oversize"] += 1
        if sym is None:
            sessions = self.all_sessions()
            for session in sessions:
                session.enqueue(item, "force")
            return {"oversize": size, "clients": len(sessions)}
        with sym.send_lock:
            sessions = self.subscribers[sym.name]
            for session in sessions:
                session.enqueue(item, "force")
        return {"oversize": size, "symbol": sym.name, "clients": len(sessions)}

    def drop_all(self, mode: str, stream: str | None = None) -> int:
        sessions = [s for s in self.all_sessions() if (stream is None or stream in s.streams) and s.request(mode)]
        for s in sessions:
            s.closed_event.wait(2.0)
        with self.lock:
            self.drops_total += len(sessions)
        if sessions:
            self.log.info(f"dropped {len(sessions)} connection(s) ({mode})" + (f" carrying {stream}" if stream else ""))
        return len(sessions)

    def close_all(self) -> int:
        return sum(1 for s in self.all_sessions() if s.request("close"))

    def server_shutdown(self, close_after: float) -> int:
        """Binance's maintenance notice to every client; close_after > 0: close them 1012 that much later."""
        data = frame(TEXT, ('{"e":"serverShutdown","E":%d}' % now_ms()).encode())
        sessions = self.all_sessions()
        item = Item(data)
        when = time.monotonic() + close_after
        notified = 0
        for session in sessions:
            if session.enqueue(item, "force"):
                notified += 1
                if close_after > 0:
                    session.close_at(when)
        with self.lock:
            self.server_shutdowns += 1
        self.log.info(f"serverShutdown sent to {notified} client(s)"
                      + (f", closing them (1012) in {close_after:g} s" if close_after > 0 else ""))
        return notified

    def scheduler(self) -> None:
        """--drop-every / --close-every / --shutdown-every."""
        args = self.args
        now = time.monotonic()
        next_drop = now + args.drop_every if args.drop_every > 0 else float("inf")
        next_close = now + args.close_every if args.close_every > 0 else float("inf")
        next_shutdown = now + args.shutdown_every if args.shutdown_every > 0 else float("inf")
        while not self.stopping.wait(max(0.0, min(next_drop, next_close, next_shutdown) - time.monotonic())):
            if self.calm.is_set():
                return
            now = time.monotonic()
            if now >= next_drop:
                self.drop_all("fin")
                next_drop = now + args.drop_every
            if now >= next_close:
                self.close_all()
                next_close = now + args.close_every
            if now >= next_shutdown:
                self.server_shutdown(min(args.shutdown_every / 2, SHUTDOWN_CLOSE_AFTER_MAX_SECS))
                next_shutdown = now + args.shutdown_every

    # -- HTTP -------------------------------------------------------------------------------------

    def handle_connection(self, raw: socket.socket, peer: str) -> None:
        sock = raw
        upgraded = False
        try:
            raw.settimeout(TLS_HANDSHAKE_SECS)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_ctx is not None:
                try:
                    sock = self.ssl_ctx.wrap_socket(raw, server_side=True)
                except (OSError, ssl.SSLError) as e:
                    self.log.info(f"TLS handshake with {peer} failed: {e}")
                    return
            sock.settimeout(HTTP_IDLE_SECS)
            conn = HttpConnection(sock)
            while not self.stopping.is_set():
                try:
                    req = conn.read_request()
                except HttpError as e:
                    conn.respond(400, {"error": str(e)}, keep_alive=False)
                    return
                if req is None:
                    return
                if req["path"] == "/stream":
                    upgraded = self.upgrade(conn, req, peer)
                    return
                if req["path"].startswith("/control/"):
                    status, body, extra = self.control(req)
                elif req["path"].startswith("/api/"):
                    status, body, extra = self.rest(req)
                else:
                    status, body, extra = 404, {"error": "not found", "path": req["path"]}, {}
                conn.respond(status, body, extra, keep_alive=req["keep_alive"])
                if not req["keep_alive"]:
                    return
        except (OSError, ssl.SSLError, ValueError) as e:
            if not self.stopping.is_set():
                self.log.info(f"http connection from {peer}: {e}")
        finally:
            if not upgraded:
                try:
                    sock.close()
                except OSError:
                    pass

    def upgrade(self, conn: HttpConnection, req: dict, peer: str) -> bool:
        h = req["headers"]
        key = h.get("sec-websocket-key", "")
        try:
            key_ok = len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            key_ok = False
        if req["method"] != "GET" or h.get("upgrade", "").lower() != "websocket" \
                or "upgrade" not in [t.strip().lower() for t in h.get("connection", "").split(",")] or not key_ok:
            conn.respond(400, {"error": "expected a WebSocket upgrade (GET, Upgrade: websocket, "
                                        "Connection: Upgrade, Sec-WebSocket-Key)"}, keep_alive=False)
            return False
        if h.get("sec-websocket-version") != "13":
            conn.respond(426, {"error": "unsupported WebSocket version"}, {"Sec-WebSocket-Version": "13"},
                         keep_alive=False)
            return False
        streams = [s.lower() for s in req["query"].get("streams", "").split("/") if s]
        if not streams:
            conn.respond(400, binance_error(-1102, "Mandatory parameter 'streams' was not sent."), keep_alive=False)
            return False
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        conn.sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        session = WsSession(self, conn.sock, peer, streams, conn.buf)
        self.register(session)
        unknown = [s for s in streams if s not in self.by_stream]
        self.log.info(f"ws #{session.id} {peer} connected{' (tls)' if session.tls else ''} streams="
                      f"{'/'.join(streams)}" + (f" (never produced: {','.join(unknown)})" if unknown else ""))
        if self.stopping.is_set():
            session.request("shutdown")
        session.run()
        return True

    def control(self, req: dict):
        action = req["path"][len("/control/"):].strip("/")
        q = req["query"]
        if action == "stats":
            return (200, self.stats(), {}) if req["method"] == "GET" else (405, {"error": "use GET"}, {})
        if req["method"] != "POST":
            return 405, {"error": f"use POST /control/{action}"}, {}
        try:
            if action == "inject":
                result = self.inject(q.get("kind", ""), q.get("symbol") or None)
            elif action == "list":
                result = self.list_symbol(q.get("symbol", ""))
            elif action == "delist":
                result = self.delist_symbol(q.get("symbol", ""), q.get("status") or None)
            elif action == "drop":
                mode = q.get("mode", "fin")
                if mode not in ("fin", "rst"):
                    raise ValueError("mode must be fin or rst")
                result = {"dropped": self.drop_all(mode, q.get("stream", "").lower() or None)}
            elif action == "close":
                self.close_code = int(q.get("code", "1001"))
                result = {"closing": self.close_all(), "code": self.close_code}
            elif action == "silence":
                secs = float(q.get("secs", ""))
                if secs < 0:
                    raise ValueError("secs must be >= 0")
                self.silence_until = time.monotonic() + secs
                self.log.info(f"silence for {secs} s")
                result = {"silenced_secs": secs}
            elif action == "trickle":
                secs = float(q.get("secs", ""))
                if not 0 <= secs < math.inf:
                    raise ValueError("secs must be >= 0")
                self.trickle_until = time.monotonic() + secs
                for session in self.all_sessions():
                    session.wake()
                self.log.info(f"trickle for {secs} s")
                result = {"trickle_secs": secs}
            elif action == "oversize":
                size = int(q.get("bytes", ""))
                fragment = int(q.get("fragment", "0"))
                if fragment < 0:
                    raise ValueError("fragment must be >= 0")
                result = self.oversize(size, q.get("symbol") or None, fragment)
            elif action in ("skip", "vanish", "duplicate", "reorder"):
                count = int(q.get("count", ""))
                if count < 0:
                    raise ValueError("count must be >= 0")
                names = [q["symbol"]] if q.get("symbol") else list(self.symbols)
                syms = [self.symbols.get(name) for name in names]
                if None in syms:
                    raise ValueError(f"unknown symbol {names[syms.index(None)]!r}")
                for sym in syms:
                    with sym.data_lock:
                        setattr(sym, action, getattr(sym, action) + count)
                result = {action: count, "symbols": names}
            elif action == "replay":
                result = self.replay(q.get("symbol", ""), int(q.get("from", "")), int(q.get("to", "")))
            elif action == "server_shutdown":
                close_after = float(q.get("close_after", "0"))
                if not 0 <= close_after < math.inf:
                    raise ValueError("close_after must be >= 0")
                result = {"notified": self.server_shutdown(close_after), "close_after": close_after}
            elif action == "calm":
                self.calm.set()
                self.log.info("calm: --drop-every, --close-every and --shutdown-every stopped")
                result = {"calm": True}
            elif action == "pause":
                self.paused.set()
                result = {"paused": True}
            elif action == "resume":
                self.paused.clear()
                result = {"paused": False}
            elif action == "rest_fail":
                status = int(q.get("status", "503"))
                count = int(q.get("count", "1"))
                retry_after = int(q.get("retry_after", "1"))
                if not 400 <= status <= 599 or count < 0 or retry_after < 0:
                    raise ValueError("status must be 4xx/5xx, count >= 0 and retry_after >= 0")
                with self.lock:
                    self.rest_fail = (status, count, retry_after)
                result = {"status": status, "count": count, "retry_after": retry_after}
            else:
                return 404, {"error": f"unknown control action {action!r}"}, {}
        except (ValueError, KeyError) as e:
            return 400, {"error": str(e)}, {}
        self.log.info(f"control {action} {q if q else ''}-> {result}")
        return 200, result, {}

    def rest(self, req: dict):
        arrived = time.time()
        status, body, extra = self.rest_answer(req)
        with self.lock:
            self.rest_log.append({"path": req["path"], "query": dict(req["query"]), "time": arrived,
                                  "status": status})
        return status, body, extra

    def rest_answer(self, req: dict):
        path, q = req["path"], req["query"]
        if path not in REST_WEIGHTS:
            return 404, binance_error(-1000, f"Unknown endpoint {path}."), {}
        minute = int(time.time() // 60)
        with self.lock:
            self.rest_requests_total += 1
            used = (self.weight[1] if self.weight[0] == minute else 0) + REST_WEIGHTS[path]
            self.weight = (minute, used)
            fail_status, fail_left, retry_after = self.rest_fail
            if fail_left > 0:
                self.rest_fail = (fail_status, fail_left - 1, retry_after)
        extra = {"X-MBX-USED-WEIGHT-1M": str(used)}
        retry = {"Retry-After": str(retry_after)}
        if fail_left > 0:
            if fail_status in (418, 429):
                return fail_status, binance_error(-1003, "Too many requests; injected by the fake exchange."), \
                    {**extra, **retry}
            return fail_status, binance_error(-1000, "An unknown error occurred while processing the request."), extra
        if used > self.args.weight_limit:
            return 429, binance_error(-1003, f"Too much request weight used; current limit is "
                                             f"{self.args.weight_limit} request weight per 1 MINUTE. Please use "
                                             "WebSocket Streams for live updates to avoid polling the API."), \
                {**extra, "Retry-After": str(60 - int(time.time()) % 60)}
        if req["method"] != "GET":
            return 405, binance_error(-1000, "Only GET is supported."), extra
        if self.args.require_api_key and path in ("/api/v3/historicalTrades",) \
                and not req["headers"].get("x-mbx-apikey"):
            return 401, binance_error(-2014, "API-key format invalid."), extra
        if path == "/api/v3/ping":
            return 200, {}, extra
        if path == "/api/v3/time":
            return 200, {"serverTime": now_ms()}, extra
        if path == "/api/v3/exchangeInfo":
            return 200, self.exchange_info(), extra
        symbol = q.get("symbol", "")
        if not symbol:
            return 400, binance_error(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, "
                                             "or malformed."), extra
        sym = self.symbols.get(symbol)
        if sym is None:
            return 400, binance_error(-1121, "Invalid symbol."), extra
        if path == AGG_TRADES_PATH:
            return self.agg_trades_answer(sym, q, extra)
        numbers, error = rest_numbers(q, ("limit", "fromId") if path.endswith("historicalTrades") else ("limit",))
        if error:
            return 400, error, extra
        limit = numbers["limit"]
        rows = sym.rest_rows(numbers.get("fromId"), limit, int(self.args.rest_lag * 1000))
        return 200, "[" + ",".join(rows) + "]", extra

    def agg_trades_answer(self, sym: Symbol, q: dict, extra: dict):
        """GET /api/v3/aggTrades for a known symbol: Binance's parameter checks, then agg_rows."""
        numbers, error = rest_numbers(q, ("fromId", "startTime", "endTime", "limit"))
        if error:
            return 400, error, extra
        limit = numbers["limit"]
        start, end = numbers.get("startTime"), numbers.get("endTime")
        if start is not None and end is not None and end - start > AGG_TRADES_WINDOW_MS:
            return 400, binance_error(-1127, "More than 1 hours between startTime and endTime."), extra
        if start is not None and end is None:
            end = start + AGG_TRADES_WINDOW_MS
        elif end is not None and start is None:
            start = max(0, end - AGG_TRADES_WINDOW_MS)
        rows = sym.agg_rows(numbers.get("fromId"), start, end, limit, int(self.args.rest_lag * 1000))
        return 200, "[" + ",".join(rows) + "]", extra

    # -- life cycle --------------------------------------------------------------------------------

    def bind(self) -> int:
        family = socket.AF_INET6 if ":" in self.args.host else socket.AF_INET
        self.listener = socket.create_server((self.args.host, self.args.port), family=family, backlog=128)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        return self.port

    def request_stop(self) -> None:
        self.stop_requested = True
        try:
            self.wake_w.send(b"x")
        except OSError:
            pass

    def serve(self) -> None:
        threading.Thread(target=self.producer, name="producer", daemon=True).start()
        if self.args.drop_every > 0 or self.args.close_every > 0 or self.args.shutdown_every > 0:
            threading.Thread(target=self.scheduler, name="scheduler", daemon=True).start()
        sel = selectors.DefaultSelector()
        sel.register(self.listener, selectors.EVENT_READ)
        sel.register(self.wake_r, selectors.EVENT_READ)
        # The timeout is a second way out: a stop whose wake-up is lost (a signal taken by another
        # thread never interrupts this select) still ends the loop within STOP_POLL_SECS.
        with sel:
            while not self.stop_requested:
                for key, _ in sel.select(STOP_POLL_SECS):
                    if key.fileobj is self.wake_r:
                        drain(self.wake_r)
                    else:
                        self.accept_one()

    def accept_one(self) -> None:
        try:
            raw, addr = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self.log.error(f"accept: {e}")
            time.sleep(0.05)
            return
        raw.setblocking(True)
        peer = f"{addr[0]}:{addr[1]}"
        threading.Thread(target=self.handle_connection, args=(raw, peer), name=f"conn-{peer}",
                         daemon=True).start()

    def shutdown(self) -> None:
        self.stopping.set()
        self.listener.close()
        sessions = self.all_sessions()
        for s in sessions:
            s.request("shutdown")
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECS + 0.2
        for s in sessions:
            s.closed_event.wait(max(0.0, deadline - time.monotonic()))
        self.log.info(f"stopped ({self.connections_total} WebSocket connection(s) served)")


# ----------------------------------------------------------------------------------------------

def ensure_certificate(tls_dir: str, log: Log) -> tuple[str, str]:
    """Returns (cert, key) in tls_dir, generating a self-signed pair with `openssl` when missing or expiring."""
    os.makedirs(tls_dir, exist_ok=True)
    cert, key, ca = (os.path.join(tls_dir, n) for n in ("cert.pem", "key.pem", "ca.pem"))
    marker = os.path.join(tls_dir, ".generated-by-fake-exchange")
    with open(os.path.join(tls_dir, ".fake-exchange.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # two fakes starting on one directory must not mix key and cert
        have = os.path.exists(cert) and os.path.exists(key)
        if have and os.path.exists(marker):
            check = subprocess.run(["openssl", "x509", "-checkend", "3600", "-noout", "-in", cert],
                                   capture_output=True)
            have = check.returncode == 0
        if not have:
            cfg = os.path.join(tls_dir, ".openssl.cnf")
            with open(cfg, "w") as f:
                f.write("[req]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n"
                        "[dn]\nCN = localhost\n"
                        "[ext]\nsubjectAltName = DNS:localhost,IP:127.0.0.1\nbasicConstraints = critical,CA:FALSE\n"
                        "keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n"
                        "subjectKeyIdentifier = hash\n")
            tmp_cert, tmp_key = cert + ".tmp", key + ".tmp"
            cmd = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                   "-nodes", "-days", "2", "-config", cfg, "-keyout", tmp_key, "-out", tmp_cert]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            except FileNotFoundError:
                raise SystemExit("fake-exchange: --tls-dir needs the openssl command-line tool in PATH")
            finally:
                os.unlink(cfg)
            if proc.returncode != 0:
                raise SystemExit(f"fake-exchange: openssl failed ({proc.returncode}): {proc.stderr.strip()}")
            os.chmod(tmp_key, 0o600)
            os.replace(tmp_key, key)
            os.replace(tmp_cert, cert)
            open(marker, "w").close()
            if os.path.exists(ca):
                os.unlink(ca)
            log.info(f"generated a self-signed certificate in {tls_dir}")
        if not os.path.exists(ca):
            with open(cert, "rb") as src, open(ca + ".tmp", "wb") as dst:
                dst.write(src.read())
            os.replace(ca + ".tmp", ca)
    return cert, key


def make_ssl_context(tls_dir: str, log: Log) -> ssl.SSLContext:
    cert, key = ensure_certificate(tls_dir, log)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def parse_args(argv):
    def nonneg(kind):
        def parse(text):
            value = kind(text)
            if value < 0:
                raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
            return value
        return parse

    def symbols(text):
        names = [s.strip().upper() for s in text.split(",") if s.strip()]
        bad = [s for s in names if not re.fullmatch(r"[A-Z0-9]{2,20}", s)]
        if not names or bad:
            raise argparse.ArgumentTypeError(f"expected a comma list of symbols like BTCUSDT, got {text!r}")
        return list(dict.fromkeys(names))

    p = argparse.ArgumentParser(prog="fake_exchange.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=nonneg(int), default=0, help="TCP port; 0 picks a free one (default 0)")
    p.add_argument("--tls-dir", help="serve TLS with DIR/cert.pem + DIR/key.pem (generated when missing); "
                                     "DIR/ca.pem is the trust anchor for clients")
    p.add_argument("--ready-file", help="also write the port to this file once listening")
    p.add_argument("--symbols", type=symbols, default=["BTCUSDT", "ETHUSDT"],
                   help="symbols the producer trades (default BTCUSDT,ETHUSDT)")
    p.add_argument("--rate", type=nonneg(float), default=20.0,
                   help="trades per second per symbol; 0 = as fast as clients read (default 20)")
    p.add_argument("--tick-ms", type=nonneg(float), default=1.0,
                   help="shortest wait of the producer between batches at --rate > 0 (default 1)")
    p.add_argument("--total", type=nonneg(int), default=0, help="stop producing after N trades per symbol (0: never)")
    p.add_argument("--start-id", type=nonneg(int), default=1_000_000, help="first trade id (default 1000000)")
    p.add_argument("--start-paused", action="store_true", help="produce nothing until POST /control/resume")
    p.add_argument("--history", type=int, default=100_000, help="trades kept per symbol for REST (default 100000)")
    p.add_argument("--ping-interval", type=nonneg(float), default=20.0,
                   help="seconds between server pings; 0 disables (default 20)")
    p.add_argument("--fragment", type=nonneg(int), default=0,
                   help="split trade messages into frames of at most N payload bytes (default 0: never)")
    p.add_argument("--fragment-every", type=int, default=1, help="with --fragment: only every K-th trade (default 1)")
    p.add_argument("--malformed-every", type=nonneg(int), default=0,
                   help="send a not_json message after every N-th trade of a symbol (default 0: never)")
    p.add_argument("--drop-every", type=nonneg(float), default=0.0, help="drop every connection every S seconds")
    p.add_argument("--close-every", type=nonneg(float), default=0.0, help="send close 1001 every S seconds")
    p.add_argument("--max-conn-age", type=nonneg(float), default=0.0,
                   help="close (1001) each connection S seconds after its upgrade (Binance: 24 h)")
    p.add_argument("--shutdown-every", type=nonneg(float), default=0.0,
                   help="send serverShutdown every S seconds, close (1012) min(S/2, 10) s later (default 0: never)")
    p.add_argument("--pong-deadline", type=nonneg(float), default=0.0,
                   help="cut a client that has not answered a ping within S seconds (default 0: never)")
    p.add_argument("--rest-lag", type=nonneg(float), default=0.0,
                   help="REST serves a trade only S seconds after it was made (Binance's REST trailing its stream)")
    p.add_argument("--weight-limit", type=int, default=6000, help="REST weight per minute before 429 (default 6000)")
    p.add_argument("--require-api-key", action="store_true",
                   help="historicalTrades answers 401 (-2014) without an X-MBX-APIKEY header")
    p.add_argument("--seed", type=int, default=1, help="seed of the price/quantity pool (default 1)")
    p.add_argument("--quiet", action="store_true", help="log errors only")
    args = p.parse_args(argv)
    if args.history < 1:
        p.error("--history must be >= 1")
    if args.fragment_every < 1:
        p.error("--fragment-every must be >= 1")
    return args


def write_ready_file(path: str, port: int) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def dump_thread_stacks(out) -> None:
    """Every thread's stack, newest call last, as traceback prints them."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        out.write(f"Thread {names.get(ident, '?')} ({ident:#x}):\n{''.join(traceback.format_stack(frame))}")
    out.flush()


def main(argv=None) -> int:
    args = parse_args(argv)
    log = Log(args.quiet)
    ssl_ctx = make_ssl_context(args.tls_dir, log) if args.tls_dir else None
    server = FakeExchange(args, log, ssl_ctx)
    try:
        port = server.bind()
    except OSError as e:
        log.error(f"cannot listen on {args.host}:{args.port}: {e}")
        return 1
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signo, _frame: server.request_stop())
    # Whichever thread the kernel hands a signal to, its C handler writes to wake_w, so the accept
    # loop wakes and runs the Python handler at once.
    signal.set_wakeup_fd(server.wake_w.fileno(), warn_on_full_buffer=False)
    # A stop that still hangs can be diagnosed: the test harness sends SIGUSR1 before it kills. The
    # stacks are read by the Python handler on the accept loop (woken by wake_w): faulthandler's
    # all-threads dump reads other threads' frames while they run, and crashed the process (-11).
    signal.signal(signal.SIGUSR1, lambda _signo, _frame: dump_thread_stacks(sys.stderr))
    if args.ready_file:
        write_ready_file(args.ready_file, port)
    sys.stdout.write(f"LISTENING {port}\n")
    sys.stdout.flush()
    log.info(f"listening on {'wss' if ssl_ctx else 'ws'}://{args.host}:{port}/stream symbols="
             f"{','.join(args.symbols)} rate={args.rate:g}/s" + (" (paused)" if args.start_paused else ""))
    server.serve()
    server.shutdown()
    return 0


if __name__ == "__main__":
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)   # daemon threads may sit in blocking calls; exit now
