"""tools/fake_exchange.py checked from the outside: stream shape and ids, TLS, fragments, pings,
injected faults, control API, REST history, signals. Standard library only."""
import json
import math
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from wsclient import BINARY, ConnectionClosed, HandshakeError, TEXT, WsClient

TRADE_KEYS = ["e", "E", "s", "t", "p", "q", "T", "m", "M"]
START_ID = 1_000_000


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def trade_id(msg):
    return msg.json()["data"]["t"]


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

    def test_skip_leaves_an_id_gap(self):
        ex = self.start(rate=100)
        ws = self.connect(ex)
        first = trade_id(ws.recv(5))
        ex.skip(7)
        ids = [first] + [trade_id(ws.recv(5)) for _ in range(30)]
        jumps = [(a, b) for a, b in zip(ids, ids[1:]) if b != a + 1]
        self.assertEqual(len(jumps), 1, ids)
        self.assertEqual(jumps[0][1] - jumps[0][0], 8)

    def test_pause_and_resume(self):
        ex = self.start(rate=100, start_paused=True)
        time.sleep(0.3)
        self.assertEqual(ex.stats()["symbols"]["BTCUSDT"]["next_id"], START_ID)
        ws = self.connect(ex)
        ex.resume()
        self.assertEqual(trade_id(ws.recv(5)), START_ID)
        ex.pause()
        ws.recv_until_quiet(quiet=0.3)
        frozen = ex.stats()["symbols"]["BTCUSDT"]["next_id"]
        time.sleep(0.3)
        self.assertEqual(ex.stats()["symbols"]["BTCUSDT"]["next_id"], frozen)

    # -- stats -------------------------------------------------------------------------------------

    def test_stats_sent_ranges_match_what_the_client_received(self):
        ex = self.start(rate=200, symbols=["BTCUSDT", "ETHUSDT"])
        time.sleep(0.3)   # trades before the client connects are never sent
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

    def test_ready_file_help_and_bad_arguments(self):
        script = harness.fake_exchange_script()
        out = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0)
        for needle in ("/control/inject", "--tls-dir", "LISTENING", "historicalTrades", "--fragment-every"):
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
