"""Several WebSocket connections in one collector (docs/FEED.md "Connections"): the symbols are split
in SYMBOL order over ceil(n / WS_STREAMS_PER_CONNECTION) connections, and a drop of one connection
touches no other. 7 symbols at 3 per connection: 3 connections carrying 3, 2 and 2 streams; the one
carrying DDDUSDT and EEEUSDT is dropped, reconnects alone, and its gap is backfilled. Every trade id
of every symbol is stored exactly once. ~20 s.

Needs MC_COLLECTOR_BIN (the market-collector binary) and MC_SOURCE_DIR; CTest sets both.
"""
import collections
import tempfile
import unittest

import harness
import store_reader
from collector_process import COLLECTOR, Collector, metric, unsent_ids, wait_caught_up, wait_for, wait_received_after

SYMBOLS = ["AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT", "FFFUSDT", "GGGUSDT"]
GROUPS = [SYMBOLS[0:3], SYMBOLS[3:5], SYMBOLS[5:7]]
RATE = 100  # trades per second per symbol


def streams(symbols):
    return sorted(f"{s.lower()}@trade" for s in symbols)


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class ConnectionsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-conns-")
        self.addCleanup(self.tmp.cleanup)
        self.port = harness.free_port()

    def metric(self, name):
        return metric(self.port, name)

    def clients_by_streams(self, exchange):
        return {tuple(c["streams"]): c["id"] for c in exchange.stats()["clients_detail"]}

    def test_seven_symbols_on_three_connections_and_one_drop_touches_no_other(self):
        exchange = harness.start_fake_exchange(rate=RATE, symbols=SYMBOLS)
        self.addCleanup(exchange.stop)
        collector = Collector(self.tmp.name, exchange, SYMBOL=",".join(SYMBOLS), WS_STREAMS_PER_CONNECTION=3,
                              METRICS_ADDR=f"127.0.0.1:{self.port}")
        collector.start()
        self.addCleanup(collector.kill)

        wait_for(lambda: exchange.stats()["clients"] == 3, 15, "three connections")
        before = self.clients_by_streams(exchange)
        self.assertEqual(sorted(before), sorted(tuple(streams(g)) for g in GROUPS))
        wait_for(lambda: self.metric("market_collector_ws_connects_total") == 3, 10, "three connects counted")
        wait_received_after(exchange, self.port, SYMBOLS)

        dropped = tuple(streams(GROUPS[1]))
        self.assertEqual(exchange.drop(stream="dddusdt@trade")["dropped"], 1)
        wait_for(lambda: len(self.clients_by_streams(exchange)) == 3 and
                 self.clients_by_streams(exchange)[dropped] != before[dropped], 15, "the dropped connection back")
        # Every symbol's trades keep arriving, the dropped ones' on their new connection: the other two
        # connections lived through the drop and past it.
        wait_received_after(exchange, self.port, SYMBOLS)
        after = self.clients_by_streams(exchange)
        # The other two are the very connections of the start: neither was reconnected.
        for group in (GROUPS[0], GROUPS[2]):
            self.assertEqual(after[tuple(streams(group))], before[tuple(streams(group))], group)
        self.assertEqual(self.metric("market_collector_ws_connects_total"), 4)
        self.assertEqual(self.metric("market_collector_ws_disconnects_total"), 1)
        self.assertEqual(self.metric('market_collector_reconnects_total{reason="error"}'), 1)

        # The drop's gaps (trades sent while DDDUSDT and EEEUSDT were disconnected) are backfilled.
        wait_for(lambda: (self.metric("market_collector_trade_id_gaps_total") or 0) >= 2, 10, "the drop's gaps")
        exchange.pause()
        stats = wait_caught_up(exchange, self.port, SYMBOLS)
        unsent = unsent_ids(stats, SYMBOLS)
        wait_for(lambda: (self.metric("market_collector_trade_ids_missing_total") or 0) >= unsent, 30,
                 f"the {unsent} ids never sent to be found missing")
        wait_for(lambda: self.metric("market_collector_trade_ids_pending") == 0, 30, "the backfill to settle")
        code = collector.stop()
        log = collector.log_text()
        self.assertEqual(code, 0, log[-3000:])
        lost = [line for line in log.splitlines() if "connection lost" in line]
        self.assertEqual(len(lost), 1, lost)
        self.assertIn("[feed-2]", lost[0])
        self.assertIn("feed connections=3 streams_per_connection=3 streams=3,2,2", log)
        self.assertIn("open-file limit soft=", log)

        stats = exchange.stats()["symbols"]
        parts, problems = store_reader.read_store(collector.store_dir)
        self.assertEqual(problems, [])
        ids = store_reader.ids_by_symbol(parts)
        for symbol in SYMBOLS:
            stored = ids.get(symbol, [])
            self.assertTrue(stored, f"{symbol}: nothing stored")
            repeated = [i for i, n in collections.Counter(stored).items() if n > 1]
            self.assertEqual(repeated[:20], [], f"{symbol}: {len(repeated)} ids stored twice")
            first, last = min(stored), stats[symbol]["next_id"] - 1
            missing = sorted(set(range(first, last + 1)) - set(stored))
            self.assertEqual(missing[:20], [], f"{symbol}: {len(missing)} ids missing of {first}..{last}")
        rest = {r["data"]["s"] for p in parts if not p.quarantine for r in p.records if r.get("src") == "rest"}
        self.assertEqual(rest, set(GROUPS[1]), "only the dropped connection's symbols needed the backfill")


if __name__ == "__main__":
    unittest.main()
