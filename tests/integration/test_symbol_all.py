"""SYMBOL=ALL with SHARD: two shards of two replicas each (four collectors) follow the fake exchange's
exchangeInfo over 40 symbols at a low rate; mid-run one symbol is listed and one delisted.

Checks: every symbol's ids the exchange sent are complete in the union of its shard's replicas; no
instance stores a symbol of the other shard; the delisted symbol's writers end cleanly (the log line,
its last trade stored before the collectors stop, no gap alarm); the new listing is subscribed and
collected from when it appeared.

Needs MC_COLLECTOR_BIN and MC_SOURCE_DIR (CTest sets both).
"""
import hashlib
import os
import re
import signal
import tempfile
import unittest

import harness
import store_reader
from collector_process import (COLLECTOR, last_trade_id, metric, next_ids, start_instance, wait_caught_up, wait_for,
                               wait_received_after)

RATE = 3               # trades per second per symbol: 40 symbols, four collectors, two shared cores
SHARDS = 2
REPLICAS = ("a", "b")
SYMBOLS = [f"T{i:02d}USDT" for i in range(40)]
NEW_SYMBOL = "NEWUSDT"
REFRESH_SECS = 5       # the smallest SYMBOLS_REFRESH_SECS allows


def shard_of(symbol, count):
    """docs/FLEET.md's rendezvous hash: the first 8 bytes of SHA-256("S#k"), highest wins, lowest k on a tie."""
    weights = [int(hashlib.sha256(f"{symbol}#{k}".encode()).hexdigest()[:16], 16) for k in range(count)]
    return weights.index(max(weights))


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class SymbolAllShardsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-symall-")
        self.addCleanup(self.tmp.cleanup)
        self.store = os.path.join(self.tmp.name, "store")

    def test_listing_and_delisting_across_two_shards_of_two_replicas(self):
        shard_symbols = {k: [s for s in SYMBOLS if shard_of(s, SHARDS) == k] for k in range(SHARDS)}
        gone = shard_symbols[0][0]
        new_shard = shard_of(NEW_SYMBOL, SHARDS)
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=RATE) as exchange:
            ports = {}
            collectors = {}
            for k in range(SHARDS):
                for replica in REPLICAS:
                    name = f"s{k}{replica}"
                    ports[name] = harness.free_port()
                    collectors[name] = start_instance(
                        self, self.tmp.name, exchange, name, self.store, SYMBOL="ALL", SHARD=f"{k}/{SHARDS}",
                        SYMBOLS_REFRESH_SECS=REFRESH_SECS, ROT_SECS=1, METRICS_ADDR=f"127.0.0.1:{ports[name]}")

            def shard_ports(k):
                return [ports[f"s{k}{r}"] for r in REPLICAS]

            # Each follows exactly its shard's share of the exchangeInfo list, and receives it live.
            for name, port in ports.items():
                k = int(name[1])
                wait_for(lambda: metric(port, "market_collector_symbols_followed") == len(shard_symbols[k]), 20,
                         f"{name} to follow its {len(shard_symbols[k])} symbols")
                wait_received_after(exchange, port, symbols=shard_symbols[k], timeout=20)

            exchange.list_symbol(NEW_SYMBOL)
            exchange.delist_symbol(gone)
            for port in shard_ports(0):
                wait_for(lambda: metric(port, "market_collector_symbols_delisted_total") == 1, 3 * REFRESH_SECS,
                         f"{gone} to be delisted")
            for port in shard_ports(new_shard):
                wait_for(lambda: (last_trade_id(port, NEW_SYMBOL) or -1) >= 0, 3 * REFRESH_SECS,
                         f"{NEW_SYMBOL} to be subscribed and collected")
            # The delisted symbol's writers ended on their own: its last trade is stored before any stop.
            newest_gone = exchange.stats()["symbols"][gone]["sent"][-1][1]
            for replica in REPLICAS:
                instance = f"s0{replica}"

                def stored_last():
                    parts, _ = store_reader.read_store(self.store)
                    return any(p.symbol == gone and p.instance == instance and not p.quarantine
                               and p.manifest["payload"]["id_last"] == newest_gone for p in parts)
                wait_for(stored_last, 15, f"{instance}'s last part of {gone} to be stored")
                self.assertRegex(collectors[instance].log_text(), rf"writer ended symbol={gone} reason=delisted")

            # A few more seconds of trades of every symbol still traded, then everything sent is
            # received before the stop.
            following = {k: [s for s in shard_symbols[k] if s != gone] + ([NEW_SYMBOL] if k == new_shard else [])
                         for k in range(SHARDS)}
            since = next_ids(exchange)
            wait_for(lambda: all(next_ids(exchange)[s] - since[s] >= 2 * RATE for k in following for s in following[k]),
                     30, "two more seconds of trades")
            exchange.pause()
            for k in range(SHARDS):
                wait_caught_up(exchange, shard_ports(k), symbols=following[k])
            for name, collector in collectors.items():
                self.assertEqual(collector.stop(), 0, collector.log_text()[-3000:])
            stats = exchange.stats()

        parts, problems = store_reader.read_store(self.store)
        self.assertEqual(problems, [])
        ids = {}
        for part in parts:
            self.assertEqual(store_reader.manifest_problems(part), [])
            if part.quarantine:
                continue
            k = int(part.instance[1])
            self.assertEqual(shard_of(part.symbol, SHARDS), k, f"{part.key}: stored by the wrong shard")
            ids.setdefault(part.symbol, set()).update(r["data"]["t"] for r in part.records)
        for symbol in SYMBOLS + [NEW_SYMBOL]:
            sent = store_reader.expand_ranges(stats["symbols"][symbol]["sent"])
            self.assertTrue(sent, symbol)
            missing = sent - ids.get(symbol, set())
            self.assertEqual(missing, set(), f"{symbol}: {len(missing)} sent ids in no replica of its shard")
        # One connection each, never replaced: the listing and the delisting went over it as messages.
        self.assertEqual(stats["connections_total"], len(collectors))
        for name, collector in collectors.items():
            log = collector.log_text()
            self.assertNotIn(f"trade id gap symbol={gone}", log, name)
            self.assertNotIn("SYMBOL NOT COLLECTED", log, name)
            if int(name[1]) == new_shard:
                self.assertRegex(log, rf"new listing, subscribing symbol={NEW_SYMBOL}")
                self.assertRegex(log, rf"subscribing conn=1 id=\d+ streams=1 first={NEW_SYMBOL.lower()}@trade")
            if int(name[1]) == 0:
                self.assertRegex(log, rf"unsubscribing conn=1 id=\d+ streams=1 first={gone.lower()}@trade")


    def test_start_waits_for_the_list_and_says_why(self):
        with harness.start_fake_exchange(symbols=SYMBOLS[:4], rate=RATE) as exchange:
            # Two failed reads: the collector retries with backoff, an error line each, then starts.
            exchange.rest_fail(503, count=2)
            port = harness.free_port()
            collector = start_instance(self, self.tmp.name, exchange, "w1", self.store, SYMBOL="ALL",
                                       METRICS_ADDR=f"127.0.0.1:{port}")
            wait_for(lambda: metric(port, "market_collector_symbols_followed") == 4, 20, "the collector to start")
            log = collector.log_text()
            self.assertEqual(len(re.findall(r"SYMBOL=ALL: cannot read the exchange's symbol list, collecting "
                                            r"nothing until it can; attempt=\d+ retry_in_ms=\d+ error=\".*HTTP 503",
                                            log)), 2, log[-3000:])
            self.assertIn("SYMBOL=ALL: the exchange lists 4 TRADING symbols; following 4 (shard 0/1)", log)
            wait_received_after(exchange, port, symbols=SYMBOLS[:4])
            self.assertEqual(collector.stop(), 0)

            # While it waits, SIGTERM ends it with 0, without touching the spool.
            exchange.rest_fail(503, count=1000)
            waiting = start_instance(self, self.tmp.name, exchange, "w2", self.store, SYMBOL="ALL")
            wait_for(lambda: "cannot read the exchange's symbol list" in waiting.log_text(), 20, "a failed read")
            self.assertEqual(waiting.stop(signal.SIGTERM, timeout=10), 0, waiting.log_text()[-3000:])
            self.assertFalse(os.path.exists(os.path.join(waiting.spool_dir, "open")), waiting.log_text()[-3000:])


if __name__ == "__main__":
    unittest.main()
