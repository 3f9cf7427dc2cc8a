"""Feed completeness (docs/FEED.md): one instance on its own stores every trade id exactly once while
the exchange drops, ages out, shuts down and stalls its connections, while the collector itself is
killed, while the exchange's REST history answers 429 first, while it trickles bytes that never make
a frame, and around a message over WS_MAX_MESSAGE_BYTES.

Each test runs the fake exchange and one collector on a local store, stops trade production, waits
until the collector has received the last trades sent, has counted missing every id the exchange
never sent it and has backfilled them (metric market_collector_trade_ids_pending 0), stops the
collector, and reads the store back: per symbol, the ids are exactly first..last of what the exchange
produced, and none is stored twice. The tests wait for what the collector and the exchange report
(metrics, log lines, the exchange's stats), not for fixed times.

Needs MC_COLLECTOR_BIN (the market-collector binary) and MC_SOURCE_DIR; CTest sets both.
"""
import base64
import collections
import datetime
import tempfile
import time
import unittest

import harness
import store_reader
from collector_process import (COLLECTOR, SYMBOLS, Collector, last_trade_id, metric, next_ids, pause_and_settle,
                               wait_for, wait_produced, wait_received_after)

RATE = 500  # trades per second per symbol
DROP_EVERY = 3  # seconds between the exchange's drops (--drop-every)


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class FeedCompletenessTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-feed-")
        self.addCleanup(self.tmp.cleanup)
        self.metrics_port = harness.free_port()

    def exchange(self, **opts):
        exchange = harness.start_fake_exchange(**{"rate": RATE, **opts})
        self.addCleanup(exchange.stop)
        return exchange

    def collector(self, exchange, **env):
        collector = Collector(self.tmp.name, exchange, METRICS_ADDR=f"127.0.0.1:{self.metrics_port}", **env)
        collector.start()
        self.addCleanup(collector.kill)
        wait_for(lambda: exchange.stats()["clients"] >= 1, 15, "the collector to connect")
        return collector

    def metric(self, name):
        return metric(self.metrics_port, name)

    def receiving(self, exchange):
        """Waits until the collector has received, of every symbol, a trade made after this call."""
        wait_received_after(exchange, self.metrics_port)

    def finish(self, exchange, collector, backfill=True):
        """Stops production; waits until the collector has received the last trades sent and, with the
        backfill, has counted missing (after kGapGrace) at least every id the exchange never sent it and
        has backfilled or given up all of them; stops the collector; returns the last id produced per
        symbol."""
        pause_and_settle(exchange, self.metrics_port, backfill=backfill)
        code = collector.stop()
        self.assertEqual(code, 0, collector.log_text()[-3000:])
        stats = exchange.stats()["symbols"]
        return {symbol: stats[symbol]["next_id"] - 1 for symbol in SYMBOLS}

    def assert_complete(self, collector, last_produced, absent=None):
        """Every id from the first stored to the last produced is stored, once; absent: per symbol, the
        ids the exchange never had (they must not be stored)."""
        parts, problems = store_reader.read_store(collector.store_dir)
        self.assertEqual(problems, [])
        for part in parts:
            self.assertEqual(store_reader.manifest_problems(part), [], part.key)
        ids = store_reader.ids_by_symbol(parts)
        for symbol in SYMBOLS:
            stored = ids.get(symbol, [])
            self.assertTrue(stored, f"{symbol}: nothing stored")
            repeated = [i for i, n in collections.Counter(stored).items() if n > 1]
            self.assertEqual(repeated[:20], [], f"{symbol}: {len(repeated)} ids stored twice")
            first = min(stored)
            gone = set((absent or {}).get(symbol, ()))
            self.assertEqual(sorted(gone & set(stored))[:20], [], f"{symbol}: ids that never existed stored")
            missing = sorted(set(range(first, last_produced[symbol] + 1)) - set(stored) - gone)
            self.assertEqual(missing[:20], [], f"{symbol}: {len(missing)} ids missing of "
                                               f"{first}..{last_produced[symbol]}")
        return parts

    def rest_lines(self, parts):
        return sum(1 for part in parts if not part.quarantine for r in part.records if r.get("src") == "rest")

    def drops(self, exchange, count):
        """Lets the exchange's --drop-every go on until it has cut `count` connections, then calms it.
        A gap is known once a later id arrives: the collector reconnects and receives trades newer
        than the last drop's before production stops."""
        wait_for(lambda: exchange.stats()["drops_total"] >= count, 180, f"{count} drops")
        exchange.post("/control/calm")
        wait_for(lambda: exchange.stats()["clients"] >= 1, 40, "a reconnect after the last drop")
        self.receiving(exchange)

    def test_drops_every_3_s_for_a_minute_lose_nothing(self):
        exchange = self.exchange(drop_every=DROP_EVERY)
        collector = self.collector(exchange)
        # A minute of it: about nine drops (the collector's reconnect backoff grows, so some of the
        # exchange's ticks find no connection to cut).
        self.drops(exchange, 9)
        parts = self.assert_complete(collector, self.finish(exchange, collector))
        log = collector.log_text()
        self.assertGreaterEqual(log.count("connection lost"), 5, log[-3000:])
        self.assertGreater(self.rest_lines(parts), 0)

    def test_rest_trailing_the_stream_by_20_s_with_drops_every_3_s_loses_nothing(self):
        # Each drop leaves a gap whose ids REST serves only 20 s later: empty and short pages meanwhile.
        exchange = self.exchange(rate=300, drop_every=DROP_EVERY, rest_lag=20)
        collector = self.collector(exchange)
        self.drops(exchange, 4)  # about 15 s of drops
        parts = self.assert_complete(collector, self.finish(exchange, collector))
        log = collector.log_text()
        self.assertGreaterEqual(log.count("connection lost"), 3, log[-3000:])
        self.assertIn("the exchange does not serve these ids yet", log)
        self.assertNotIn("DO NOT EXIST", log)
        self.assertGreater(self.rest_lines(parts), 0)
        for part in parts:
            self.assertEqual(part.manifest["extra"].get("unrecoverable_gaps", []), [], part.key)

    def test_ids_the_exchange_proves_absent_are_given_up_once_and_named_in_a_manifest(self):
        exchange = self.exchange()
        collector = self.collector(exchange)
        self.receiving(exchange)
        exchange.post("/control/vanish?count=40&symbol=BTCUSDT")
        wait_for(lambda: "TRADE IDS DO NOT EXIST" in collector.log_text(), 20, "the absent ids to be given up")
        wait_for(lambda: self.metric("market_collector_trade_ids_unrecoverable_total"), 10,
                 "the given-up ids to be counted")
        absent = exchange.stats()["symbols"]["BTCUSDT"]["absent"]
        self.assertEqual(len(absent), 1)
        first, last = absent[0]
        self.assertEqual(metric(self.metrics_port, "market_collector_trade_ids_unrecoverable_total"), last - first + 1)
        parts = self.assert_complete(collector, self.finish(exchange, collector),
                                     absent={"BTCUSDT": range(first, last + 1)})
        noted = [gap for part in parts if not part.quarantine
                 for gap in part.manifest["extra"].get("unrecoverable_gaps", [])]
        self.assertEqual(noted, [[first, last]])
        requests = [r for r in exchange.stats()["rest_requests"] if r["path"] == "/api/v3/historicalTrades"]
        self.assertLessEqual(len(requests), 2, requests)  # proven by one page: no retry storm
        log = collector.log_text()
        self.assertEqual(log.count("TRADE IDS DO NOT EXIST"), 1, log[-3000:])
        self.assertIn(f"from={first} to={last}", log)

    def test_given_up_ids_that_arrive_live_after_all_are_stored(self):
        exchange = self.exchange()
        collector = self.collector(exchange)
        self.receiving(exchange)
        exchange.post("/control/vanish?count=25&symbol=ETHUSDT")
        wait_for(lambda: "TRADE IDS DO NOT EXIST" in collector.log_text(), 20, "the absent ids to be given up")
        first, last = exchange.stats()["symbols"]["ETHUSDT"]["absent"][0]
        exchange.post(f"/control/replay?symbol=ETHUSDT&from={first}&to={last}")
        wait_for(lambda: metric(self.metrics_port, "market_collector_trade_ids_late_total") == last - first + 1, 10,
                 "the late ids to be written")
        self.assert_complete(collector, self.finish(exchange, collector))
        self.assertIn("trade id given up as absent arrived after all", collector.log_text())

    def test_max_age_replacement_alone_leaves_no_gap(self):
        exchange = self.exchange(max_conn_age=5)
        collector = self.collector(exchange, WS_MAX_AGE_SECS=4, BACKFILL_ENABLED="false")
        # Four replacements: the third one's connection then served a whole age period, within which
        # the server's limit (5 s) would have cut it had the collector failed to replace it in time.
        wait_for(lambda: collector.log_text().count("switched to the replacement connection") >= 4, 40,
                 "four max-age replacements")
        parts = self.assert_complete(collector, self.finish(exchange, collector, backfill=False))
        log = collector.log_text()
        self.assertGreaterEqual(log.count("switched to the replacement connection"), 3, log[-3000:])
        self.assertNotIn("trade id gap", log)
        self.assertNotIn("connection lost", log)  # the server's age limit never cut a connection in use
        self.assertEqual(self.rest_lines(parts), 0)

    def test_server_shutdown_mid_stream_leaves_no_gap(self):
        exchange = self.exchange()
        collector = self.collector(exchange, BACKFILL_ENABLED="false")
        self.receiving(exchange)
        exchange.post("/control/server_shutdown?close_after=2")
        # The notified connection is closed by the exchange (close_after) and the replacement serves.
        wait_for(lambda: exchange.stats()["connections_total"] >= 2 and exchange.stats()["clients"] == 1, 15,
                 "the notified connection closed and its replacement open")
        self.receiving(exchange)
        self.assert_complete(collector, self.finish(exchange, collector, backfill=False))
        log = collector.log_text()
        self.assertIn("opening a replacement connection reason=server_shutdown", log)
        self.assertIn("switched to the replacement connection", log)
        self.assertNotIn("trade id gap", log)

    def test_a_stall_is_detected_within_ws_idle_secs_and_its_trades_backfilled(self):
        exchange = self.exchange()
        collector = self.collector(exchange, WS_IDLE_SECS=5)
        self.receiving(exchange)
        stalled_at = time.time()
        exchange.silence(8)
        wait_for(lambda: "idle timeout" in collector.log_text(), 10, "the stall to be detected")
        wait_for(lambda: exchange.stats()["silenced_secs"] == 0, 15, "the stall to end")
        wait_for(lambda: exchange.stats()["clients"] >= 1, 40, "a reconnect after the stall")
        self.receiving(exchange)
        parts = self.assert_complete(collector, self.finish(exchange, collector))
        self.assertGreater(self.rest_lines(parts), 0)
        # Detected WS_IDLE_SECS after the last frame, measured on the collector's own clock.
        self.assert_cut_idle_secs_after_the_last_frame(collector, parts, stalled_at, idle_secs=5)

    def assert_cut_idle_secs_after_the_last_frame(self, collector, parts, silent_from, idle_secs):
        """The collector's "idle timeout" line came idle_secs (+0.5 s) after the last live trade it
        stored, and that trade came before silent_from + 1 s. Returns the log line."""
        line = next(l for l in collector.log_text().splitlines() if "idle timeout" in l)
        detected_at = datetime.datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")).timestamp()
        last_frame = max(r["recv_us"] for p in parts if not p.quarantine for r in p.records
                         if r.get("src") != "rest" and r["recv_us"] < detected_at * 1e6) / 1e6
        self.assertLess(last_frame, silent_from + 1.0)
        self.assertGreaterEqual(detected_at - last_frame, idle_secs - 0.05)
        self.assertLess(detected_at - last_frame, idle_secs + 0.5)
        return line

    def test_a_trickle_without_complete_frames_is_cut_within_ws_idle_secs_and_backfilled(self):
        # One byte a second never completes a frame: the watchdog must not take bytes for life.
        exchange = self.exchange()
        collector = self.collector(exchange, WS_IDLE_SECS=5)
        self.receiving(exchange)
        trickle_at = time.time()
        exchange.post("/control/trickle?secs=12")
        wait_for(lambda: "idle timeout" in collector.log_text(), 10, "the trickle to be cut")
        wait_for(lambda: exchange.stats()["trickle_secs"] == 0, 15, "the trickle to end")
        wait_for(lambda: exchange.stats()["clients"] >= 1, 40, "a reconnect after the trickle")
        self.receiving(exchange)
        parts = self.assert_complete(collector, self.finish(exchange, collector))
        self.assertGreater(self.rest_lines(parts), 0)
        # Cut WS_IDLE_SECS after the last complete frame, measured on the collector's own clock.
        line = self.assert_cut_idle_secs_after_the_last_frame(collector, parts, trickle_at, idle_secs=5)
        self.assertIn('error="no frame for 5s (idle timeout)"', line)

    def test_an_oversize_message_is_quarantined_and_counted_and_the_connection_kept(self):
        exchange = self.exchange()
        collector = self.collector(exchange, WS_MAX_MESSAGE_BYTES=65536)
        self.receiving(exchange)
        # One routable by its stream, in fragments across the limit; one unroutable, in one frame.
        exchange.post("/control/oversize?bytes=1000000&symbol=BTCUSDT&fragment=40000")
        wait_for(lambda: self.metric("market_collector_ws_messages_oversize_total") == 1, 10,
                 "the first oversize message to be counted")
        # The warn line is limited to one a second (a clock the collector keeps): the second message
        # comes 1.5 s after the first was counted, so both are logged. The wait is the scenario.
        time.sleep(1.5)
        exchange.post("/control/oversize?bytes=100000")
        wait_for(lambda: self.metric("market_collector_ws_messages_oversize_total") == 2, 10,
                 "the oversize messages to be counted")
        # Trades sent after both still arrive on the same connection: it was kept, nothing was skipped.
        self.receiving(exchange)
        self.assertEqual(metric(self.metrics_port, "market_collector_trade_id_gaps_total"), 0)
        self.assertEqual(metric(self.metrics_port, "market_collector_ws_connects_total"), 1)
        parts = self.assert_complete(collector, self.finish(exchange, collector))
        self.assertEqual(self.rest_lines(parts), 0)  # nothing missed: the connection never went down
        quarantined = [(p.symbol, r) for p in parts if p.quarantine for r in p.records]
        self.assertEqual(sorted((symbol, r["reason"], r["bytes"], r["kept_bytes"]) for symbol, r in quarantined),
                         [("BTCUSDT", "oversize", 1000000, 4096), ("UNKNOWN", "oversize", 100000, 4096)])
        for symbol, record in quarantined:
            kept = base64.b64decode(record["raw_b64"])
            self.assertEqual(len(kept), 4096)
            self.assertTrue(kept.startswith(b'{"stream":"btcusdt@trade","data":{"e":"trade"' if symbol == "BTCUSDT"
                                            else b'{"e":"oversize","pad":"000'), kept[:80])
        log = collector.log_text()
        self.assertNotIn("connection lost", log)
        self.assertNotIn("websocket protocol error", log)
        self.assertEqual(log.count("oversize message quarantined"), 2, log[-3000:])
        self.assertIn("symbol=BTCUSDT frame=text bytes=1000000 kept_bytes=4096", log)
        self.assertEqual(exchange.stats()["connections_total"], 1)

    def test_ten_seconds_of_downtime_after_kill_9_are_backfilled(self):
        exchange = self.exchange()
        first = self.collector(exchange)
        self.receiving(exchange)
        wait_for(lambda: self.metric("market_collector_bytes_written_total"), 10, "the first run to write")
        first.kill()
        # Ten seconds of downtime, counted in trades the exchange produces meanwhile.
        wait_produced(exchange, 10 * RATE, since=next_ids(exchange))
        second = Collector(self.tmp.name, exchange, METRICS_ADDR=f"127.0.0.1:{self.metrics_port}")
        second.start()
        self.addCleanup(second.kill)
        wait_for(lambda: exchange.stats()["clients"] >= 1, 15, "the second run to connect")
        self.receiving(exchange)
        parts = self.assert_complete(second, self.finish(exchange, second))
        self.assertGreaterEqual(self.rest_lines(parts), 10 * RATE * len(SYMBOLS))
        self.assertIn("backfill gap filled", second.log_text())

    def test_repeated_and_swapped_ids_and_a_pong_deadline_store_each_id_once(self):
        exchange = self.exchange(ping_interval=1, pong_deadline=2)
        collector = self.collector(exchange, BACKFILL_ENABLED="false")
        self.receiving(exchange)
        exchange.post("/control/duplicate?count=300")
        exchange.post("/control/reorder?count=300")
        wait_for(lambda: all(v["duplicate_left"] == 0 and v["reorder_left"] == 0
                             for v in exchange.stats()["symbols"].values()), 15, "the repeats and swaps sent")
        self.receiving(exchange)
        # Five pings answered in time on the one connection: the pong deadline was live meanwhile.
        wait_for(lambda: any(c["pongs"] >= 5 for c in exchange.stats()["clients_detail"]), 15, "five pongs")
        wait_for(lambda: (self.metric("market_collector_trade_ids_duplicate_total") or 0) >= 600, 10,
                 "the repeats to be written off")
        # Each symbol's 300 repeats were dropped; each swapped pair's late id arrived within the grace,
        # so no gap was declared: nothing is pending, so none ever will be.
        self.assertEqual(metric(self.metrics_port, "market_collector_trade_ids_duplicate_total"), 600)
        self.assertEqual(metric(self.metrics_port, "market_collector_trade_id_gaps_total"), 0)
        self.assertEqual(metric(self.metrics_port, "market_collector_trade_ids_pending"), 0)
        self.assertNotIn("trade id gap", collector.log_text())
        self.assert_complete(collector, self.finish(exchange, collector, backfill=False))
        stats = exchange.stats()
        self.assertEqual(stats["pong_timeouts"], 0)
        self.assertEqual(stats["connections_total"], 1)

    def test_a_429_with_retry_after_2_is_waited_out_and_the_gap_still_filled(self):
        exchange = self.exchange()
        collector = self.collector(exchange)
        self.receiving(exchange)
        exchange.post("/control/rest_fail?status=429&count=1&retry_after=2")
        before_skip = exchange.stats()["symbols"]["BTCUSDT"]["next_id"]
        exchange.skip(200, symbol="BTCUSDT")
        wait_for(lambda: (last_trade_id(self.metrics_port, "BTCUSDT") or -1) > before_skip + 200, 15,
                 "trades after the skipped ones")
        parts = self.assert_complete(collector, self.finish(exchange, collector))
        requests = [r for r in exchange.stats()["rest_requests"] if r["path"] == "/api/v3/historicalTrades"]
        self.assertGreaterEqual(len(requests), 2, requests)
        self.assertEqual(requests[0]["status"], 429)
        self.assertEqual(requests[1]["status"], 200)
        self.assertGreaterEqual(requests[1]["time"] - requests[0]["time"], 2.0)
        self.assertGreaterEqual(self.rest_lines(parts), 200)
        self.assertIn("rate limited by the exchange (HTTP 429)", collector.log_text())
        self.assertIn("retry_after_s=2", collector.log_text())


if __name__ == "__main__":
    unittest.main()
