"""tools/fake_exchange.py checked from the outside: stream shape and ids, TLS, fragments, pings,
injected faults, control API, REST history, signals. Standard library only."""
import http.client
import json
import math
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

import harness
import wsclient
from wsclient import BINARY, ConnectionClosed, HandshakeError, TEXT, WsClient

TRADE_KEYS = ["e", "E", "s", "t", "p", "q", "T", "m", "M"]
START_ID = 1_000_000


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def trade_id(msg):
    return msg.json()["data"]["t"]


def read_until_closed(ws, timeout=10.0):
    """Every message until the connection ends; returns (messages, ConnectionClosed, monotonic end)."""
    messages = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            messages.append(ws.recv(max(0.01, deadline - time.monotonic())))
    except ConnectionClosed as closed:
        return messages, closed, time.monotonic()


def ids_by_symbol(messages):
    out = {}
    for msg in messages:
        if msg.opcode != TEXT:
            continue
        try:
            body = msg.json()
        except ValueError:
            continue
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and data.get("e") == "trade" and "t" in data:
            out.setdefault(data["s"], []).append(data["t"])
    return out


class FakeExchangeTest(unittest.TestCase):
    def start(self, **opts):
        exchange = harness.start_fake_exchange(**opts)
        self.addCleanup(self._stop, exchange)
        return exchange

    def _stop(self, exchange):
        code = exchange.stop()
        log = exchange.log()
        self.assertIsNotNone(exchange.proc.poll(), "the fake exchange outlived stop()")
        self.assertEqual(code, 0, log[-2000:])
        for bad in ("Traceback", "internal error", "producer died"):
            self.assertNotIn(bad, log)

    def connect(self, exchange, symbols=("BTCUSDT",), **kwargs):
        ws = WsClient.connect(exchange.stream_url(symbols), ca_file=exchange.ca_file, **kwargs)
        self.addCleanup(ws.abort)
        return ws

    def assert_sequential(self, ids):
        self.assertTrue(ids, "no trades")
        self.assertEqual(ids, list(range(ids[0], ids[0] + len(ids))))

    # -- stream ------------------------------------------------------------------------------------

    def test_plain_stream_has_binance_shape_and_sequential_ids_per_symbol(self):
        ex = self.start(rate=100, symbols=["BTCUSDT", "ETHUSDT"])
        self.assertTrue(ex.url.startswith("ws://127.0.0.1:"))
        ws = self.connect(ex, ["BTCUSDT", "ETHUSDT"])
        messages = [ws.recv(5) for _ in range(60)]
        for msg in messages:
            self.assertEqual(msg.opcode, TEXT)
            body = msg.json()
            self.assertEqual(list(body), ["stream", "data"])
            data = body["data"]
            self.assertEqual(list(data), TRADE_KEYS)
            self.assertEqual(body["stream"], data["s"].lower() + "@trade")
            self.assertEqual(data["e"], "trade")
            self.assertIsInstance(data["t"], int)
            self.assertRegex(data["p"], r"^\d+\.\d{8}$")
            self.assertRegex(data["q"], r"^\d+\.\d{8}$")
            self.assertLess(abs(data["E"] - time.time() * 1000), 5000)
            self.assertIsInstance(data["m"], bool)
            self.assertIs(data["M"], True)
            # The wire bytes are compact, as Binance's are.
            self.assertNotIn(b", ", msg.data)
        by_symbol = ids_by_symbol(messages)
        self.assertEqual(set(by_symbol), {"BTCUSDT", "ETHUSDT"})
        for ids in by_symbol.values():
            self.assert_sequential(ids)
        prices = {m.json()["data"]["p"] for m in messages}
        self.assertGreater(len(prices), 10, "prices should vary")

    def test_tls_with_the_generated_certificate(self):
        ex = self.start(tls=True, rate=50)
        self.assertTrue(ex.url.startswith("wss://127.0.0.1:"))
        tls_dir = os.path.dirname(ex.ca_file)
        for name in ("cert.pem", "key.pem", "ca.pem"):
            self.assertTrue(os.path.exists(os.path.join(tls_dir, name)), name)
        ws = self.connect(ex)
        self.assert_sequential([trade_id(ws.recv(5)) for _ in range(5)])
        # Valid for "localhost" too, and refused without the CA.
        ws = WsClient.connect(f"wss://localhost:{ex.port}/stream?streams=btcusdt@trade", ca_file=ex.ca_file)
        ws.abort()
        with self.assertRaises(ssl.SSLCertVerificationError):
            WsClient.connect(ex.stream_url(), ca_file=None)
        # REST and control on the same TLS port.
        self.assertEqual(ex.get("/api/v3/ping").json(), {})
        self.assertTrue(ex.stats()["tls"])

    def test_certificate_directory_is_reused(self):
        with tempfile.TemporaryDirectory(prefix="mc-fake-tls-") as tls_dir:
            with harness.start_fake_exchange(tls_dir=tls_dir) as ex:
                self.assertEqual(ex.ca_file, os.path.join(tls_dir, "ca.pem"))
                first = read_bytes(ex.ca_file)
            with harness.start_fake_exchange(tls_dir=tls_dir) as ex:
                self.assertEqual(read_bytes(ex.ca_file), first)
                ex.get("/api/v3/ping")
            self.assertEqual(oct(os.stat(os.path.join(tls_dir, "key.pem")).st_mode & 0o777), "0o600")

    def test_fragmented_messages_reassemble(self):
        ex = self.start(rate=100, fragment=40, fragment_every=2)
        ws = self.connect(ex)
        messages = [ws.recv(5) for _ in range(30)]
        ids = [trade_id(m) for m in messages]
        self.assert_sequential(ids)
        for msg, t in zip(messages, ids):
            expected = math.ceil(len(msg.data) / 40) if (t - START_ID + 1) % 2 == 0 else 1
            self.assertEqual(msg.frames, expected, f"trade {t}")
        self.assertTrue(any(m.frames > 1 for m in messages))

    def test_symbols_limit_what_is_produced(self):
        ex = self.start(rate=100, symbols=["BTCUSDT"])
        ws = self.connect(ex, ["BTCUSDT", "ETHUSDT"])
        messages = [ws.recv(5) for _ in range(20)]
        self.assertEqual(set(ids_by_symbol(messages)), {"BTCUSDT"})
        self.assertEqual(set(ex.stats()["symbols"]), {"BTCUSDT"})

    def test_many_clients_receive_the_same_trades(self):
        ex = self.start(rate=100)
        clients = [self.connect(ex) for _ in range(4)]
        harness.wait_until(lambda: ex.stats()["clients"] == 4, 5, "4 clients")
        received = [[trade_id(ws.recv(5)) for _ in range(30)] for ws in clients]
        for ids in received:
            self.assert_sequential(ids)
        common = set.intersection(*(set(ids) for ids in received))
        self.assertGreater(len(common), 10)

    def test_subscribe_and_unsubscribe_requests(self):
        ex = self.start(rate=100, symbols=["BTCUSDT", "ETHUSDT"])
        ws = self.connect(ex, ["BTCUSDT"])
        ws.send_json({"method": "SUBSCRIBE", "params": ["ethusdt@trade"], "id": 5})
        ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 6})
        replies, messages = [], []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (len(replies) < 2 or "ETHUSDT" not in ids_by_symbol(messages)):
            msg = ws.recv(5)
            (replies if b'"id"' in msg.data and b'"result"' in msg.data else messages).append(msg)
        self.assertEqual(replies[0].json(), {"result": None, "id": 5})
        self.assertEqual(replies[1].json(), {"result": ["btcusdt@trade", "ethusdt@trade"], "id": 6})
        self.assertIn("ETHUSDT", ids_by_symbol(messages))

    def test_exchange_info_lists_and_delists_symbols_mid_run(self):
        ex = self.start(rate=50, symbols=["BTCUSDT", "ETHUSDT"])

        def listed():
            resp = ex.get("/api/v3/exchangeInfo")
            self.assertEqual(resp.status, 200)
            return {s["symbol"]: s["status"] for s in resp.json()["symbols"]}
        self.assertEqual(listed(), {"BTCUSDT": "TRADING", "ETHUSDT": "TRADING"})
        ws = self.connect(ex, ["BTCUSDT"])
        self.assertEqual(ex.list_symbol("NEWUSDT"), {"symbol": "NEWUSDT", "listed": True})
        self.assertEqual(listed()["NEWUSDT"], "TRADING")
        # A new listing trades for whoever subscribes it on a live connection.
        ws.send_json({"method": "SUBSCRIBE", "params": ["newusdt@trade"], "id": 9})
        messages = []
        harness.wait_until(lambda: messages.append(ws.recv(5)) or "NEWUSDT" in ids_by_symbol(
            [m for m in messages if b'"result"' not in m.data]), 10, "a trade of the new listing")
        self.assertIn({"result": None, "id": 9}, [m.json() for m in messages if b'"result"' in m.data])
        # Delisted: BREAK stays listed with that status, no status leaves the list; neither trades.
        ex.delist_symbol("ETHUSDT", "BREAK")
        ex.delist_symbol("NEWUSDT")
        self.assertEqual(listed(), {"BTCUSDT": "TRADING", "ETHUSDT": "BREAK"})
        frozen = {s: ex.stats()["symbols"][s]["next_id"] for s in ("ETHUSDT", "NEWUSDT")}
        before = ex.stats()["symbols"]["BTCUSDT"]["next_id"]
        harness.wait_until(lambda: ex.stats()["symbols"]["BTCUSDT"]["next_id"] > before + 20, 10, "BTCUSDT to go on")
        self.assertEqual({s: ex.stats()["symbols"][s]["next_id"] for s in frozen}, frozen)
        self.assertEqual(ex.stats()["symbols"]["NEWUSDT"]["status"], None)
        for bad in ("/control/list?symbol=bad-name", "/control/delist?symbol=NOSUCHUSDT",
                    "/control/delist?symbol=BTCUSDT&status=TRADING"):
            self.assertEqual(ex.post(bad).status, 400, bad)

    # -- pings -------------------------------------------------------------------------------------

    def test_server_pings_and_counts_missing_pongs(self):
        ex = self.start(rate=40, ping_interval=0.5)
        polite = self.connect(ex)
        rude = self.connect(ex, auto_pong=False)
        deadline = time.monotonic() + 2.2
        while time.monotonic() < deadline:
            for ws in (polite, rude):
                ws.recv(5)
        for ws in (polite, rude):
            self.assertGreaterEqual(len(ws.pings), 2)
            for _when, payload in ws.pings:
                self.assertTrue(payload.isdigit(), payload)
                self.assertLess(abs(int(payload) - time.time() * 1000), 10_000)
        details = {d["peer"].rsplit(":", 1)[1]: d for d in ex.stats()["clients_detail"]}
        self.assertEqual(details[str(polite.sock.getsockname()[1])]["missing_pongs"], 0)
        self.assertGreaterEqual(details[str(rude.sock.getsockname()[1])]["missing_pongs"], 1)
        self.assertIn("missing pong", ex.log())
        # The server answers our pings too.
        polite.ping(b"hello")
        harness.wait_until(lambda: polite.recv(5) and b"hello" in polite.pongs, 5, "our pong")

    # -- faults ------------------------------------------------------------------------------------

    def test_every_injected_kind_arrives_and_only_huge_takes_an_id(self):
        ex = self.start(rate=50)
        ws = self.connect(ex)
        trades = [trade_id(ws.recv(5)) for _ in range(3)]
        seen = {}
        for kind in ("not_json", "truncated", "no_id", "binary", "huge", "unknown_event", "sub_reply"):
            result = ex.inject(kind)
            self.assertEqual(result["injected"], kind)
            self.assertEqual(result["clients"], 1)
            while kind not in seen:
                msg = ws.recv(5)
                try:
                    body = json.loads(msg.data) if msg.opcode == TEXT else None
                except ValueError:
                    body = None
                data = body.get("data") if isinstance(body, dict) else None
                if isinstance(data, dict) and data.get("e") == "trade" and "t" in data \
                        and len(msg.data) < 10_000:
                    trades.append(data["t"])
                    continue
                seen[kind] = msg
                if kind == "huge":
                    self.assertEqual(data["t"], result["id"])
                    trades.append(data["t"])
        self.assertRaises(ValueError, json.loads, seen["not_json"].data)
        self.assertRaises(ValueError, json.loads, seen["truncated"].data)
        self.assertTrue(seen["truncated"].data.startswith(b'{"stream":"btcusdt@trade"'))
        no_id = json.loads(seen["no_id"].data)["data"]
        self.assertNotIn("t", no_id)
        self.assertEqual(no_id["e"], "trade")
        self.assertEqual(seen["binary"].opcode, BINARY)
        huge = json.loads(seen["huge"].data)["data"]
        self.assertGreaterEqual(len(huge["p"]), 1 << 20)
        self.assertEqual(float(huge["p"]), float(huge["p"][:20]))
        unknown = json.loads(seen["unknown_event"].data)
        self.assertEqual(unknown["stream"], "btcusdt@trade")
        self.assertEqual(unknown["data"]["e"], "mystery")
        self.assertEqual(json.loads(seen["sub_reply"].data), {"result": None, "id": 1})
        trades += [trade_id(ws.recv(5)) for _ in range(3)]
        self.assert_sequential(trades)   # nothing but huge consumed an id
        self.assertEqual(ex.stats()["injected"]["huge"], 1)
        self.assertEqual(ex.post("/control/inject?kind=bogus").status, 400)

    def test_malformed_every(self):
        ex = self.start(rate=200, malformed_every=5)
        ws = self.connect(ex)
        messages = [ws.recv(5) for _ in range(40)]
        bad = [i for i, m in enumerate(messages) if not m.data.startswith(b"{")]
        self.assertGreaterEqual(len(bad), 5)
        for i in bad:
            if i > 0:
                self.assertEqual((trade_id(messages[i - 1]) - START_ID + 1) % 5, 0)
        self.assert_sequential(ids_by_symbol(messages)["BTCUSDT"])

    def test_drop_closes_the_tcp_connection_without_a_close_frame(self):
        for mode in ("fin", "rst"):
            with self.subTest(mode=mode):
                ex = self.start(rate=50)
                ws = self.connect(ex)
                ws.recv(5)
                self.assertEqual(ex.drop(mode)["dropped"], 1)
                with self.assertRaises(ConnectionClosed) as ctx:
                    while True:
                        ws.recv(5)
                self.assertFalse(ctx.exception.clean)
                self.assertIsNone(ctx.exception.code)
                harness.wait_until(lambda: ex.stats()["clients"] == 0, 5, "no clients")
                self.assertGreater(trade_id(self.connect(ex).recv(5)), START_ID)   # reconnecting works

    def test_drop_by_stream_closes_only_the_connections_carrying_it(self):
        ex = self.start(rate=50, symbols=["BTCUSDT", "ETHUSDT"])
        btc = self.connect(ex, ["BTCUSDT"])
        eth = self.connect(ex, ["ETHUSDT"])
        btc.recv(5)
        eth.recv(5)
        self.assertEqual(ex.drop(stream="ETHUSDT@trade")["dropped"], 1)
        with self.assertRaises(ConnectionClosed):
            while True:
                eth.recv(5)
        harness.wait_until(lambda: ex.stats()["clients"] == 1, 5, "one client left")
        self.assertEqual(ex.stats()["clients_detail"][0]["streams"], ["btcusdt@trade"])
        btc.recv(5)   # the other connection still delivers
        self.assertEqual(ex.drop(stream="solusdt@trade")["dropped"], 0)
        self.assertEqual(ex.stats()["drops_total"], 1)
        self.assertIn("dropped 1 connection(s) (fin) carrying ethusdt@trade", ex.log())

    def test_close_sends_going_away_and_completes_the_handshake(self):
        ex = self.start(rate=50)
        ws = self.connect(ex)
        ws.recv(5)
        self.assertEqual(ex.close_clients()["closing"], 1)
        with self.assertRaises(ConnectionClosed) as ctx:
            while True:
                ws.recv(5)
        self.assertTrue(ctx.exception.clean)
        self.assertEqual(ctx.exception.code, 1001)
        harness.wait_until(lambda: ex.stats()["clients"] == 0, 5, "no clients")
        self.assertIn("disconnected: closed", ex.log())

    def test_client_close_is_echoed(self):
        ex = self.start(rate=50)
        ws = self.connect(ex)
        ws.recv(5)
        self.assertEqual(ws.close(4000, "bye"), 4000)
        harness.wait_until(lambda: ex.stats()["clients"] == 0, 5, "no clients")

    def test_unmasked_client_frame_is_a_protocol_error(self):
        ex = self.start(rate=50)
        ws = self.connect(ex)
        ws.send_frame(TEXT, b"{}", mask=False)
        with self.assertRaises(ConnectionClosed) as ctx:
            while True:
                ws.recv(5)
        self.assertEqual(ctx.exception.code, 1002)

    def test_silence_sends_nothing_and_rest_has_what_was_not_sent(self):
        ex = self.start(rate=100, ping_interval=0.2)
        ws = self.connect(ex)
        messages = [ws.recv(5)]
        ex.silence(1.0)
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            messages.append(ws.recv(5))
        # The largest pause between two messages is the silence; its trades never came.
        pause, i = max((b.recv_time - a.recv_time, i) for i, (a, b) in enumerate(zip(messages, messages[1:])))
        self.assertGreater(pause, 0.8)
        quiet_from, quiet_to = messages[i].recv_time, messages[i + 1].recv_time
        before, after = trade_id(messages[i]), trade_id(messages[i + 1])
        self.assertGreater(after, before + 50, "trades made during the silence must not be sent")
        self.assertEqual([p for p in ws.pings if quiet_from + 0.1 < p[0] < quiet_to - 0.1], [], "pings while silent")
        self.assert_sequential([trade_id(m) for m in messages[:i + 1]])
        self.assert_sequential([trade_id(m) for m in messages[i + 1:]])
        sent = ex.sent_ids("BTCUSDT")
        gap = list(range(before + 1, after))
        self.assertEqual([t for t in gap if t in sent], [])
        rows = ex.historical_trades("BTCUSDT", from_id=gap[0], limit=len(gap)).json()
        self.assertEqual([r["id"] for r in rows], gap)
        # A stall, not a drop: the same TCP connection carried the trades before and after.
        stats = ex.stats()
        self.assertEqual((stats["clients"], stats["connections_total"]), (1, 1))

    def test_trickle_sends_a_byte_a_second_and_holds_the_trades_back_until_it_ends(self):
        ex = self.start(rate=100)
        ws = self.connect(ex)
        ids = [trade_id(ws.recv(5))]
        ex.post("/control/trickle?secs=3")
        self.assertGreater(ex.stats()["trickle_secs"], 2.5)
        started = time.monotonic()
        before = ex.stats()["clients_detail"][0]["bytes"]
        # Bytes keep coming, a frame never completes: what was already whole arrives, then nothing.
        with self.assertRaises(TimeoutError):
            while True:
                ids.append(trade_id(ws.recv(max(0.01, started + 2.5 - time.monotonic()))))
        trickled = ex.stats()["clients_detail"][0]["bytes"] - before
        self.assertGreaterEqual(trickled, 2)
        self.assertLessEqual(trickled, 4)
        self.assertLess(len(ids), 10)
        # Afterwards the trades queued meanwhile arrive at once, on the same connection: nothing lost.
        msg = ws.recv(5)
        self.assertGreaterEqual(time.monotonic() - started, 2.9)
        ids.append(trade_id(msg))
        while time.monotonic() < started + 4.5:
            ids.append(trade_id(ws.recv(5)))
        self.assert_sequential(ids)
        self.assertGreater(len(ids), 300)
        stats = ex.stats()
        self.assertEqual((stats["connections_total"], stats["trickle_secs"]), (1, 0))
        self.assertEqual(ex.post("/control/trickle?secs=-1").status, 400)

    def test_oversize_sends_one_message_of_exactly_n_bytes_without_using_an_id(self):
        ex = self.start(rate=50)
        ws = self.connect(ex)
        trades = [trade_id(ws.recv(5))]
        self.assertEqual(ex.post("/control/oversize?bytes=300000&symbol=BTCUSDT&fragment=65536").json(),
                         {"oversize": 300000, "symbol": "BTCUSDT", "clients": 1})
        self.assertEqual(ex.post("/control/oversize?bytes=70000").json(), {"oversize": 70000, "clients": 1})
        big = []
        while len(big) < 2:
            msg = ws.recv(5)
            if len(msg.data) > 10_000:
                big.append(msg)
            else:
                trades.append(trade_id(msg))
        trades += [trade_id(ws.recv(5)) for _ in range(3)]
        self.assert_sequential(trades)
        routed, bare = big
        self.assertEqual((len(routed.data), routed.frames, routed.opcode), (300000, 5, TEXT))
        body = routed.json()
        self.assertEqual(body["stream"], "btcusdt@trade")
        self.assertEqual((body["data"]["e"], body["data"]["s"]), ("trade", "BTCUSDT"))
        self.assertNotIn("t", body["data"])
        self.assertEqual((len(bare.data), bare.frames), (70000, 1))
        self.assertEqual(bare.json()["e"], "oversize")
        self.assertEqual(ex.stats()["injected"]["oversize"], 2)
        self.assertEqual(ex.post("/control/oversize?bytes=10").status, 400)
        self.assertEqual(ex.post("/control/oversize?bytes=1000&symbol=NOPE").status, 400)

    def test_skip_leaves_an_id_gap(self):
        ex = self.start(rate=100)
        ws = self.connect(ex)
        first = trade_id(ws.recv(5))
        ex.skip(7)
        ids = [first] + [trade_id(ws.recv(5)) for _ in range(30)]
        jumps = [(a, b) for a, b in zip(ids, ids[1:]) if b != a + 1]
        self.assertEqual(len(jumps), 1, ids)
        self.assertEqual(jumps[0][1] - jumps[0][0], 8)

    def test_duplicate_sends_trades_twice_without_using_ids(self):
        ex = self.start(rate=100, symbols=["BTCUSDT", "ETHUSDT"])
        ws = self.connect(ex, ["BTCUSDT", "ETHUSDT"])
        messages = [ws.recv(5) for _ in range(4)]
        self.assertEqual(ex.post("/control/duplicate?count=5&symbol=BTCUSDT").json(),
                         {"duplicate": 5, "symbols": ["BTCUSDT"]})
        messages += [ws.recv(5) for _ in range(80)]
        ex.pause()
        messages += ws.recv_until_quiet(quiet=0.3)
        btc = [m for m in messages if m.json()["data"]["s"] == "BTCUSDT"]
        ids = [trade_id(m) for m in btc]
        twice = [i for i in range(len(ids) - 1) if ids[i] == ids[i + 1]]
        self.assertEqual(len(twice), 5, ids)
        for i in twice:
            self.assertEqual(btc[i].data, btc[i + 1].data)   # the same bytes
        self.assert_sequential([ids[i] for i in twice])
        self.assert_sequential(list(dict.fromkeys(ids)))   # no id skipped or consumed
        self.assert_sequential(ids_by_symbol(messages)["ETHUSDT"])
        stats = ex.stats()["symbols"]
        self.assertEqual(stats["BTCUSDT"]["sent"], [[ids[0], ids[-1]]])
        self.assertEqual(stats["BTCUSDT"]["duplicate_left"], 0)
        rows = ex.historical_trades("BTCUSDT", from_id=ids[twice[0]], limit=6).json()
        self.assert_sequential([r["id"] for r in rows])
        self.assertEqual(ex.post("/control/duplicate?count=1&symbol=NOPE").status, 400)

    def test_reorder_swaps_adjacent_pairs_without_using_ids(self):
        ex = self.start(rate=100, symbols=["BTCUSDT", "ETHUSDT"])
        ws = self.connect(ex, ["BTCUSDT", "ETHUSDT"])
        messages = [ws.recv(5) for _ in range(4)]
        self.assertEqual(ex.post("/control/reorder?count=4&symbol=BTCUSDT").json(),
                         {"reorder": 4, "symbols": ["BTCUSDT"]})
        messages += [ws.recv(5) for _ in range(80)]
        ex.pause()
        messages += ws.recv_until_quiet(quiet=0.3)
        ids = ids_by_symbol(messages)["BTCUSDT"]
        backwards = [i for i in range(1, len(ids)) if ids[i] < ids[i - 1]]
        self.assertEqual(len(backwards), 2, ids)
        k = backwards[0] - 1
        t = ids[k] - 1
        self.assertEqual(ids[k:k + 4], [t + 1, t, t + 3, t + 2], ids)
        self.assert_sequential(sorted(ids))   # every id once, none skipped
        self.assert_sequential(ids_by_symbol(messages)["ETHUSDT"])
        stats = ex.stats()["symbols"]
        self.assertEqual(stats["BTCUSDT"]["sent"], [[min(ids), max(ids)]])
        self.assertEqual(stats["BTCUSDT"]["reorder_left"], 0)
        rows = ex.historical_trades("BTCUSDT", from_id=t, limit=4).json()
        self.assertEqual([r["id"] for r in rows], [t, t + 1, t + 2, t + 3])

    def test_server_shutdown_notice_then_trades_then_1012(self):
        ex = self.start(rate=100, symbols=["BTCUSDT", "ETHUSDT"])
        ws = self.connect(ex, ["BTCUSDT", "ETHUSDT"])
        messages = [ws.recv(5)]
        # Without close_after: the notice only; the connection carries on.
        self.assertEqual(ex.post("/control/server_shutdown").json(), {"notified": 1, "close_after": 0.0})
        messages += [ws.recv(5) for _ in range(150)]
        notices = [m for m in messages if b"serverShutdown" in m.data]
        self.assertEqual(len(notices), 1)
        notice = notices[0].json()
        self.assertEqual(list(notice), ["e", "E"])   # unwrapped: no combined-stream envelope
        self.assertEqual(notice["e"], "serverShutdown")
        self.assertLess(abs(notice["E"] - time.time() * 1000), 5000)
        # With close_after=1: notice, trades for a second, then close 1012.
        self.assertEqual(ex.post("/control/server_shutdown?close_after=1").json(), {"notified": 1, "close_after": 1.0})
        more, closed, closed_at = read_until_closed(ws, timeout=5)
        at = [i for i, m in enumerate(more) if b"serverShutdown" in m.data]
        self.assertEqual(len(at), 1)
        after = more[at[0] + 1:]
        self.assertTrue(closed.clean)
        self.assertEqual(closed.code, 1012)
        self.assertGreater(len(after), 100, "trades keep flowing until the close")
        self.assertGreaterEqual(closed_at - more[at[0]].recv_time, 0.8)
        self.assertLess(closed_at - more[at[0]].recv_time, 2.5)
        trades = [m for m in messages + more if b"serverShutdown" not in m.data]
        for ids in ids_by_symbol(trades).values():
            self.assert_sequential(ids)
        harness.wait_until(lambda: ex.stats()["clients"] == 0, 5, "no clients")
        self.assertEqual(ex.stats()["server_shutdowns"], 2)

    def test_shutdown_every(self):
        ex = self.start(rate=100, shutdown_every=1.0)   # close_after = 0.5
        for _ in range(2):
            ws = self.connect(ex)
            messages, closed, closed_at = read_until_closed(ws, timeout=5)
            notices = [m for m in messages if m.data.startswith(b'{"e":"serverShutdown","E":')]
            self.assertEqual(len(notices), 1)
            self.assertEqual(closed.code, 1012)
            self.assertGreater(closed_at - notices[0].recv_time, 0.35)
            self.assertLess(closed_at - notices[0].recv_time, 1.5)
        self.assertGreaterEqual(ex.stats()["server_shutdowns"], 2)

    def test_pong_deadline_cuts_a_client_that_never_answers(self):
        ex = self.start(rate=50, ping_interval=0.5, pong_deadline=1.0)
        polite = self.connect(ex)
        rude = self.connect(ex, auto_pong=False)
        closed = cut_at = None
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            polite.recv(5)
            if closed is None:
                try:
                    rude.recv(5)
                except ConnectionClosed as e:
                    closed, cut_at = e, time.monotonic()
        self.assertIsNotNone(closed, "the client that never pongs was not cut")
        self.assertFalse(closed.clean)   # no close frame: like a dead peer
        self.assertIsNone(closed.code)
        waited = cut_at - rude.pings[0][0]
        self.assertGreater(waited, 0.8)
        self.assertLess(waited, 1.8)
        stats = ex.stats()
        self.assertEqual((stats["pong_timeouts"], stats["clients"]), (1, 1))   # the polite one stays
        self.assertGreaterEqual(len(polite.pings), 6)
        self.assertIn("no pong within --pong-deadline", ex.log())

    def test_max_conn_age_counts_from_the_upgrade_at_rate_500(self):
        ex = self.start(rate=500, symbols=["BTCUSDT", "ETHUSDT"], max_conn_age=1.5)
        both = ["BTCUSDT", "ETHUSDT"]
        # A keep-alive HTTP request first, the upgrade a second later on the same TCP connection.
        sock = wsclient.open_socket(ex.url)
        sock.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        head = b""
        while not head.endswith(b"\r\n\r\n{}"):
            head += sock.recv(1)
        time.sleep(1.0)
        results = {}

        def read(name, ws, opened):   # one reader each: a backlog would delay seeing the close
            results[name] = (opened,) + read_until_closed(ws, timeout=5)

        readers = []
        for name in ("first", "second"):
            if name == "first":
                with mock.patch.object(wsclient, "open_socket", lambda *args, **kwargs: sock):
                    ws = self.connect(ex, both)
            else:
                time.sleep(0.5)
                ws = self.connect(ex, both)
            readers.append(threading.Thread(target=read, args=(name, ws, time.monotonic())))
            readers[-1].start()
        for reader in readers:
            reader.join(10)
        self.assertEqual(set(results), {"first", "second"})
        for opened, messages, closed, at in results.values():
            self.assertTrue(closed.clean)
            self.assertEqual((closed.code, closed.reason), (1001, "connection age limit"))
            self.assertGreater(at - opened, 1.4)   # not 0.5 s: the age starts at the upgrade
            self.assertLess(at - opened, 2.0)
            by_symbol = ids_by_symbol(messages)
            self.assertEqual(set(by_symbol), set(both))
            for ids in by_symbol.values():
                self.assertGreater(len(ids), 300)
                self.assert_sequential(ids)
        self.assertGreater(results["second"][3] - results["first"][3], 0.3)

    def test_drop_every_at_rate_500(self):
        both = ["BTCUSDT", "ETHUSDT"]
        ex = self.start(rate=500, symbols=both, drop_every=1.0)
        received = {s: [] for s in both}
        drops = []
        for _ in range(3):
            ws = self.connect(ex, both)
            messages, closed, at = read_until_closed(ws, timeout=5)
            self.assertFalse(closed.clean)
            drops.append(at)
            by_symbol = ids_by_symbol(messages)
            self.assertEqual(set(by_symbol), set(both))
            for symbol, ids in by_symbol.items():
                self.assert_sequential(ids)
                received[symbol] += ids
        for a, b in zip(drops, drops[1:]):
            self.assertGreater(b - a, 0.7)
            self.assertLess(b - a, 1.5)
        harness.wait_until(lambda: ex.stats()["clients"] == 0, 5, "no clients")
        self.assertEqual(ex.stats()["drops_total"], 3)
        for symbol in both:   # every trade the server wrote completely reached the client (fin drop)
            self.assertEqual(set(received[symbol]), ex.sent_ids(symbol))
        self.assertIn("dropped 1 connection(s) (fin)", ex.log())

    def test_pause_and_resume(self):
        ex = self.start(rate=100, start_paused=True)
        harness.wait_until(lambda: ex.stats()["producer_paused"], 5, "the producer to see the start paused")
        self.assertEqual(ex.stats()["symbols"]["BTCUSDT"]["next_id"], START_ID)
        ws = self.connect(ex)
        ex.resume()
        self.assertEqual(trade_id(ws.recv(5)), START_ID)
        harness.wait_until(lambda: not ex.stats()["producer_paused"], 5, "production to resume")
        ex.pause()
        harness.wait_until(lambda: ex.stats()["producer_paused"], 5, "the producer to see the pause")
        frozen = ex.stats()["symbols"]["BTCUSDT"]["next_id"]
        ws.recv_until_quiet(quiet=0.3)
        self.assertEqual(ex.stats()["symbols"]["BTCUSDT"]["next_id"], frozen)

    # -- stats -------------------------------------------------------------------------------------

    def test_stats_sent_ranges_match_what_the_client_received(self):
        ex = self.start(rate=200, symbols=["BTCUSDT", "ETHUSDT"])
        # Trades made before the client connects are never sent to it.
        harness.wait_until(lambda: ex.stats()["symbols"]["BTCUSDT"]["next_id"] > START_ID, 5, "trades made")
        ws = self.connect(ex, ["BTCUSDT", "ETHUSDT"])
        messages = [ws.recv(5) for _ in range(150)]
        ex.pause()   # what was produced still goes out; then nothing more
        messages += ws.recv_until_quiet(quiet=0.5)
        received = ids_by_symbol(messages)
        stats = ex.stats()
        for symbol in ("BTCUSDT", "ETHUSDT"):
            ranges = stats["symbols"][symbol]["sent"]
            self.assertEqual(len(ranges), 1, ranges)
            self.assertEqual(received[symbol], list(range(ranges[0][0], ranges[0][1] + 1)))
            self.assertGreater(ranges[0][0], START_ID)

    def test_blast_delivers_total_with_sent_ranges_and_rate(self):
        total = 200_000
        ex = self.start(rate=0, total=total, start_paused=True, symbols=["BTCUSDT"], ping_interval=0)
        ws = self.connect(ex)
        harness.wait_until(lambda: ex.stats()["clients"] == 1, 5, "the client")
        started = time.monotonic()
        ex.resume()
        count = last = 0
        while count < total:
            last = trade_id(ws.recv(10))
            count += 1
        elapsed = time.monotonic() - started
        self.assertEqual(last, START_ID + total - 1)
        stats = ex.stats()
        self.assertEqual(stats["symbols"]["BTCUSDT"]["sent"], [[START_ID, START_ID + total - 1]])
        self.assertFalse(stats["producing"])
        # This Python reader is the bottleneck; the server alone does several times more.
        sys.stderr.write(f"\n  blast: {total} messages in {elapsed:.2f} s = {total / elapsed:,.0f}/s "
                         "(read by the Python test client)\n")

    # -- REST --------------------------------------------------------------------------------------

    def test_historical_trades_match_the_stream(self):
        ex = self.start(rate=100)
        ws = self.connect(ex)
        stream = [ws.recv(5).json()["data"] for _ in range(20)]
        resp = ex.historical_trades("BTCUSDT", from_id=stream[0]["t"], limit=10)
        self.assertEqual(resp.status, 200)
        self.assertIn("x-mbx-used-weight-1m", resp.headers)
        rows = resp.json()
        self.assertEqual([r["id"] for r in rows], [d["t"] for d in stream[:10]])
        for row, data in zip(rows, stream):
            self.assertEqual(list(row), ["id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"])
            self.assertEqual((row["price"], row["qty"], row["time"], row["isBuyerMaker"]),
                             (data["p"], data["q"], data["T"], data["m"]))
            self.assertAlmostEqual(float(row["quoteQty"]), float(row["price"]) * float(row["qty"]), places=4)
            self.assertIs(row["isBestMatch"], True)
        latest = [r["id"] for r in ex.historical_trades("BTCUSDT").json()]   # no fromId: the most recent
        self.assert_sequential(latest)
        self.assertEqual(latest[0], START_ID)   # fewer than the default limit of 500 exist yet
        self.assertGreaterEqual(latest[-1], stream[-1]["t"])
        self.assertEqual(ex.historical_trades("BTCUSDT", from_id=10**12).json(), [])
        recent = ex.get("/api/v3/trades?symbol=BTCUSDT&limit=3").json()
        self.assertEqual(len(recent), 3)
        self.assertEqual(ex.get("/api/v3/ping").json(), {})
        self.assertIn("serverTime", ex.get("/api/v3/time").json())

    def test_rest_errors_look_like_binance(self):
        ex = self.start(rate=20)
        cases = [("/api/v3/historicalTrades", -1102), ("/api/v3/historicalTrades?symbol=NOPE", -1121),
                 ("/api/v3/historicalTrades?symbol=BTCUSDT&limit=1001", -1100),
                 ("/api/v3/historicalTrades?symbol=BTCUSDT&fromId=abc", -1100)]
        for path, code in cases:
            resp = ex.get(path)
            self.assertEqual(resp.status, 400, path)
            self.assertEqual(resp.json()["code"], code, path)
            self.assertIsInstance(resp.json()["msg"], str)
        ex.rest_fail(503, count=1)
        self.assertEqual(ex.get("/api/v3/ping").status, 503)
        self.assertEqual(ex.get("/api/v3/ping").status, 200)
        ex.rest_fail(429, count=1)
        resp = ex.get("/api/v3/ping")
        self.assertEqual((resp.status, resp.json()["code"], resp.headers.get("retry-after")), (429, -1003, "1"))

    def test_retry_after_and_rest_request_times(self):
        ex = self.start(rate=50)
        self.assertEqual(ex.post("/control/rest_fail?status=429&count=1&retry_after=2").json(),
                         {"status": 429, "count": 1, "retry_after": 2})
        path = "/api/v3/historicalTrades?symbol=BTCUSDT&limit=5"
        before = time.time()
        resp = ex.get(path)
        self.assertEqual((resp.status, resp.headers.get("retry-after")), (429, "2"))
        self.assertEqual(resp.json()["code"], -1003)
        self.assertIsInstance(resp.json()["msg"], str)
        time.sleep(int(resp.headers["retry-after"]))
        self.assertEqual(ex.get(path).status, 200)
        first, second = ex.stats()["rest_requests"][-2:]
        for entry, status in ((first, 429), (second, 200)):
            self.assertEqual(entry, {"path": "/api/v3/historicalTrades", "query": {"symbol": "BTCUSDT", "limit": "5"},
                                     "time": entry["time"], "status": status})
        self.assertLess(abs(first["time"] - before), 1.0)
        self.assertGreaterEqual(second["time"] - first["time"], 2.0)
        ex.post("/control/rest_fail?status=418")   # retry_after defaults to 1
        resp = ex.get("/api/v3/ping")
        self.assertEqual((resp.status, resp.json()["code"], resp.headers.get("retry-after")), (418, -1003, "1"))
        self.assertEqual(ex.post("/control/rest_fail?status=429&retry_after=-1").status, 400)
        # The log keeps the last 1000 requests.
        conn = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=10)
        try:
            for i in range(1005):
                conn.request("GET", f"/api/v3/time?n={i}")
                self.assertEqual(conn.getresponse().read()[:13], b'{"serverTime"')
        finally:
            conn.close()
        stats = ex.stats()
        log = stats["rest_requests"]
        self.assertEqual(len(log), 1000)
        self.assertEqual([e["query"]["n"] for e in log], [str(i) for i in range(5, 1005)])
        self.assertEqual(stats["rest_requests_total"], 1008)
        self.assertEqual(sorted(e["time"] for e in log), [e["time"] for e in log])

    def test_history_is_bounded(self):
        ex = self.start(rate=200, history=50)
        harness.wait_until(lambda: ex.stats()["symbols"]["BTCUSDT"]["next_id"] > START_ID + 100, 5, "trades")
        rows = ex.historical_trades("BTCUSDT", from_id=START_ID, limit=1000).json()
        self.assertEqual(len(rows), 50)
        oldest, newest = ex.stats()["symbols"]["BTCUSDT"]["history"]
        self.assertGreater(rows[0]["id"], START_ID)
        self.assertLessEqual(rows[-1]["id"], newest)

    # -- HTTP and process --------------------------------------------------------------------------

    def test_unknown_paths_and_bad_upgrades(self):
        ex = self.start(rate=20)
        self.assertEqual(ex.get("/nope").status, 404)
        self.assertEqual(ex.get("/control/nope").status, 405)
        self.assertEqual(ex.post("/control/nope").status, 404)
        self.assertEqual(ex.get("/control/drop").status, 405)
        with self.assertRaises(HandshakeError) as ctx:
            WsClient.connect(f"{ex.url}/ws/btcusdt@trade")
        self.assertEqual(ctx.exception.status, 404)
        self.assertEqual(ex.get("/stream?streams=btcusdt@trade").status, 400)   # not an upgrade
        with self.assertRaises(HandshakeError) as ctx:
            WsClient.connect(f"{ex.url}/stream?streams=btcusdt@trade", headers={"Sec-WebSocket-Version": "8"})
        # Two version headers: the server sees "13, 8" and refuses.
        self.assertEqual(ctx.exception.status, 426)

    def test_signals_stop_promptly_with_exit_0(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(sig=sig):
                ex = self.start(rate=100, tls=True)
                ws = self.connect(ex)
                ws.recv(5)
                started = time.monotonic()
                ex.proc.send_signal(sig)
                self.assertEqual(ex.proc.wait(timeout=5), 0)
                self.assertLess(time.monotonic() - started, 1.0)
                with self.assertRaises(ConnectionClosed):
                    while True:
                        ws.recv(5)

    def test_sigusr1_prints_every_threads_stack_and_serving_goes_on(self):
        ex = self.start(rate=100)
        ws = self.connect(ex)
        ws.recv(5)
        ex.proc.send_signal(signal.SIGUSR1)
        harness.wait_until(lambda: "in producer" in ex.log(), 5, "the producer thread's stack in the log")
        self.assertIsNone(ex.proc.poll())
        for _ in range(20):
            ws.recv(5)

    def test_ready_file_help_and_bad_arguments(self):
        script = harness.fake_exchange_script()
        out = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0)
        for needle in ("/control/inject", "--tls-dir", "LISTENING", "historicalTrades", "--fragment-every",
                       "/control/server_shutdown", "serverShutdown", "--shutdown-every", "--pong-deadline",
                       "/control/duplicate", "/control/reorder", "retry_after"):
            self.assertIn(needle, out.stdout)
        bad = subprocess.run([sys.executable, script, "--rate", "-1"], capture_output=True, text=True, timeout=30)
        self.assertEqual(bad.returncode, 2)
        with tempfile.TemporaryDirectory() as tmp:
            ready = os.path.join(tmp, "port")
            ex = self.start(ready_file=ready)
            with open(ready) as f:
                self.assertEqual(int(f.read()), ex.port)

    def test_fixed_port(self):
        port = harness.free_port()
        ex = self.start(port=port)
        self.assertEqual(ex.port, port)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


if __name__ == "__main__":
    unittest.main()
