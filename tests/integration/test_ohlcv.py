"""`market-collector ohlcv` over a store written by three collectors, one of them killed mid-run.

Three instances record the fake exchange into one LOCAL_STORE_DIR; the third is SIGKILLed while the
others go on. Then three answers must agree, row for row:
  (a) the Parquet that `market-collector ohlcv` writes (read back with DuckDB, npm under tests/athena);
  (b) the "Athena path": sql/curated/trades_curated.sql and ohlcv_1s.sql, as Athena runs them, on
      DuckDB over tests/athena/raw_trades.duckdb.sql (the Glue table's stand-in) over the same store;
  (c) bars computed here with Python's decimal from the exchange's own record of what it published
      (its "sent" ranges and its REST history: id, price, qty, time, isBuyerMaker).
Then --require-complete with a symbol never recorded exits 1, and a missing libduckdb exits 2.

Needs MC_COLLECTOR_BIN, MC_SOURCE_DIR (CTest sets both), node and npm, and libduckdb.so where
scripts/install-deps.sh puts it (or MC_LIBDUCKDB): without them the test FAILS.
"""
import json
import os
import subprocess
import tempfile
import unittest
from decimal import Decimal, ROUND_HALF_UP

import harness
import store_reader
from collector_process import (COLLECTOR, SYMBOLS, next_ids, start_instance, wait_caught_up, wait_for,
                               wait_produced, wait_received_after)
from test_athena_sql import ensure_duckdb, run_sql

SOURCE_DIR = harness.source_dir()
ATHENA_DIR = os.path.join(SOURCE_DIR, "tests", "athena")
SQL_DIR = os.path.join(SOURCE_DIR, "sql", "curated")
RATE = 100               # trades per second per symbol
BEFORE_KILL_TRADES = 300  # per symbol, all three recording
AFTER_KILL_TRADES = 300   # per symbol, two recording
OHLCV_TIMEOUT_SECS = 120
DAY_MS = 86_400_000
E8 = Decimal("0.00000001")

# Each dataset's columns, rendered the same way whichever side they come from.
TRADE_COLUMNS = ("symbol, dt, CAST(trade_id AS BIGINT) AS trade_id, CAST(price AS VARCHAR) AS price, "
                 "CAST(qty AS VARCHAR) AS qty, epoch_ms(trade_time) AS trade_ms, epoch_ms(event_time) AS event_ms, "
                 "is_buyer_maker, CAST(recv_us AS BIGINT) AS recv_us, src, instance_id")
COPY_COLUMNS = ("recv_us", "src", "instance_id")  # which copy was kept
BAR_COLUMNS = ("symbol, dt, epoch_ms(open_time) AS open_ms, CAST(open_time_ms AS BIGINT) AS open_time_ms, "
               "CAST(open AS VARCHAR) AS open, CAST(high AS VARCHAR) AS high, CAST(low AS VARCHAR) AS low, "
               "CAST(close AS VARCHAR) AS close, CAST(volume AS VARCHAR) AS volume, "
               "CAST(quote_volume AS VARCHAR) AS quote_volume, CAST(trade_count AS BIGINT) AS trade_count, "
               "CAST(taker_buy_volume AS VARCHAR) AS taker_buy_volume, "
               "CAST(taker_buy_quote_volume AS VARCHAR) AS taker_buy_quote_volume, CAST(vwap AS VARCHAR) AS vwap, "
               "CAST(first_trade_id AS BIGINT) AS first_trade_id, CAST(last_trade_id AS BIGINT) AS last_trade_id")


def utc_day(ms):
    return subprocess.run(["date", "-u", "-d", f"@{ms // 1000}", "+%Y-%m-%d"], capture_output=True, text=True,
                          check=True).stdout.strip()


def sql_file(name, day):
    with open(os.path.join(SQL_DIR, name), encoding="utf-8") as f:
        return f.read().replace("{{day}}", f"'{day}'")


def published_trades(exchange, symbol, ids):
    """The exchange's REST history for ids (a set): {id: row}, row as Binance's historicalTrades gives it."""
    rows, next_id, last = {}, min(ids), max(ids)
    while next_id <= last:
        answer = exchange.historical_trades(symbol, from_id=next_id, limit=1000)
        assert answer.status == 200, answer
        page = answer.json()
        assert page, f"{symbol}: no history from id {next_id}"
        for row in page:
            rows[row["id"]] = row
        next_id = page[-1]["id"] + 1
    return {t: rows[t] for t in ids}


def expected_bars(symbol, trades):
    """1-second bars of trades ({id: historicalTrades row}) by docs/OHLCV.md's definition, in decimal."""
    by_second = {}
    for t in sorted(trades):
        by_second.setdefault(trades[t]["time"] // 1000, []).append(trades[t])
    bars = []
    for second, rows in sorted(by_second.items()):
        prices = [Decimal(r["price"]) for r in rows]
        qtys = [Decimal(r["qty"]) for r in rows]
        taker = [(Decimal(r["price"]), Decimal(r["qty"])) for r in rows if not r["isBuyerMaker"]]
        volume = sum(qtys)
        quote = sum(p * q for p, q in zip(prices, qtys))
        bars.append({
            "symbol": symbol, "dt": utc_day(second * 1000), "open_time_ms": second * 1000,
            "open": prices[0], "high": max(prices), "low": min(prices), "close": prices[-1],
            "volume": volume, "quote_volume": quote, "trade_count": len(rows),
            "taker_buy_volume": sum((q for _, q in taker), Decimal(0)),
            "taker_buy_quote_volume": sum((p * q for p, q in taker), Decimal(0)),
            "vwap": (quote / volume).quantize(E8, rounding=ROUND_HALF_UP),
            "first_trade_id": rows[0]["id"], "last_trade_id": rows[-1]["id"]})
    return bars


@unittest.skipUnless(COLLECTOR, "MC_COLLECTOR_BIN is not set")
class OhlcvTest(unittest.TestCase):
    def setUp(self):
        ensure_duckdb()
        self.tmp = tempfile.TemporaryDirectory(prefix="mc-ohlcv-")
        self.addCleanup(self.tmp.cleanup)
        self.store = os.path.join(self.tmp.name, "store")
        self.out = os.path.join(self.tmp.name, "curated")

    def record(self, exchange):
        """Three instances into one store; the third is SIGKILLed after BEFORE_KILL_TRADES."""
        ports = [harness.free_port() for _ in range(3)]
        collectors = [start_instance(self, self.tmp.name, exchange, name, self.store, ROT_SECS=2,
                                     METRICS_ADDR=f"127.0.0.1:{port}")
                      for name, port in zip(("i-a", "i-b", "i-killed"), ports)]
        wait_for(lambda: exchange.stats()["clients"] >= 3, 15, "three collectors to connect")
        exchange.resume()
        wait_received_after(exchange, ports[2])
        wait_produced(exchange, BEFORE_KILL_TRADES, next_ids(exchange))
        collectors[2].kill()
        wait_produced(exchange, AFTER_KILL_TRADES, next_ids(exchange))
        exchange.pause()
        wait_caught_up(exchange, ports[:2])
        for collector in collectors[:2]:
            self.assertEqual(collector.stop(), 0, collector.log_text()[-3000:])
        return exchange.stats()

    def ohlcv(self, from_ms, to_ms, *extra, out=None, symbols=SYMBOLS, **env_extra):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOCAL_STORE_DIR": self.store,
               "LOCAL_DIR": os.path.join(self.tmp.name, "ohlcv-spool"), "SYMBOL": ",".join(symbols)}
        if "MC_LIBDUCKDB" in os.environ:
            env["MC_LIBDUCKDB"] = os.environ["MC_LIBDUCKDB"]
        env.update(env_extra)
        return subprocess.run([COLLECTOR, "ohlcv", "--from", str(from_ms), "--to", str(to_ms), "--out",
                               out or self.out, *extra], env=env, capture_output=True, text=True,
                              timeout=OHLCV_TIMEOUT_SECS)

    def check_incomplete_and_missing_library(self, from_ms, to_ms):
        """A symbol never recorded makes --require-complete fail, with the day still written for the
        others; a missing libduckdb is a usage error naming the fix."""
        out = os.path.join(self.tmp.name, "with-solusdt")
        proc = self.ohlcv(from_ms, to_ms, "--require-complete", out=out, symbols=SYMBOLS + ["SOLUSDT"])
        self.assertEqual(proc.returncode, 1, proc.stderr[-3000:])
        self.assertIn("SOLUSDT: no trade", proc.stderr)
        with open(os.path.join(out, "_curated.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        self.assertFalse(manifest["complete"])
        self.assertEqual(sum(d["trades"] for d in manifest["symbols"][0]["days"]), manifest["symbols"][0]["ids"])
        self.assertEqual(self.ohlcv(from_ms, to_ms, out=out, symbols=SYMBOLS + ["SOLUSDT"]).returncode, 0)

        proc = self.ohlcv(from_ms, to_ms, out=os.path.join(self.tmp.name, "no-lib"),
                          MC_LIBDUCKDB="/nonexistent/lib.so")
        self.assertEqual(proc.returncode, 2, proc.stderr[-3000:])
        self.assertIn("cannot load libduckdb (/nonexistent/lib.so)", proc.stderr)
        self.assertIn("scripts/install-deps.sh", proc.stderr)

    def test_local_parquet_athena_sql_and_the_exchange_agree(self):
        with harness.start_fake_exchange(symbols=SYMBOLS, rate=RATE, start_paused=True) as exchange:
            stats = self.record(exchange)
            sent = {s: store_reader.expand_ranges(stats["symbols"][s]["sent"]) for s in SYMBOLS}
            published = {s: published_trades(exchange, s, sent[s]) for s in SYMBOLS}
        times = [row["time"] for rows in published.values() for row in rows.values()]
        from_ms = min(times) // DAY_MS * DAY_MS
        to_ms = (max(times) // DAY_MS + 1) * DAY_MS
        days = [utc_day(ms) for ms in range(from_ms, to_ms, DAY_MS)]

        proc = self.ohlcv(from_ms, to_ms, "--require-complete")
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertIn("ohlcv: wrote", proc.stderr)
        with open(os.path.join(self.out, "_curated.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        self.assertTrue(manifest["complete"], manifest)
        self.assertEqual(manifest["days"], days)
        self.assertEqual([s["symbol"] for s in manifest["symbols"]], SYMBOLS)
        for entry in manifest["symbols"]:
            self.assertEqual(entry["missing"], 0, entry)
            self.assertEqual(sum(d["trades"] for d in entry["days"]), len(sent[entry["symbol"]]), entry)
        self.assertFalse(os.path.exists(os.path.join(self.out, ".ohlcv-work")), "the work directory was left")

        # (a) the Parquet as written, and (b) the shared SQL over the raw store as Athena runs it.
        parquet = f"read_parquet('{self.out}/{{}}/symbol=*/dt=*/*.parquet', hive_partitioning = true, hive_types_autocast = false)"
        with open(os.path.join(ATHENA_DIR, "raw_trades.duckdb.sql"), encoding="utf-8") as f:
            raw_table = f.read().replace("@STORE@", self.store)
        scripts = [f"SELECT {TRADE_COLUMNS} FROM {parquet.format('trades')} ORDER BY symbol, trade_id",
                   f"SELECT {BAR_COLUMNS} FROM {parquet.format('ohlcv_1s')} ORDER BY symbol, open_ms",
                   raw_table, "CREATE TABLE trades_curated (trade_id BIGINT, price DECIMAL(18,8), qty DECIMAL(18,8), "
                   "trade_time TIMESTAMP, event_time TIMESTAMP, is_buyer_maker BOOLEAN, recv_us BIGINT, src VARCHAR, "
                   "instance_id VARCHAR, symbol VARCHAR, dt VARCHAR)"]
        for day in days:
            scripts.append("INSERT INTO trades_curated " + sql_file("trades_curated.sql", day))
        scripts.append(f"SELECT {TRADE_COLUMNS} FROM trades_curated ORDER BY symbol, trade_id")
        scripts.append(" UNION ALL ".join(f"SELECT {BAR_COLUMNS} FROM ({sql_file('ohlcv_1s.sql', day)})"
                                          for day in days) + " ORDER BY symbol, open_ms")
        results = run_sql(scripts)
        local_trades, local_bars, athena_trades, athena_bars = results[0], results[1], results[-2], results[-1]

        self.assertEqual(len(local_bars), len(athena_bars))
        self.assertEqual(local_bars, athena_bars, "ohlcv_1s: the local Parquet and the Athena SQL differ")
        # The kept copy: Athena reads every part object, the local command only parts the audit verified
        # (with a manifest); a part the killed instance stored without its manifest may hold a first copy.
        parts, problems = store_reader.read_store(self.store)
        orphaned = any(problem.endswith("has ['part'] only") for problem in problems)
        if orphaned:
            strip = lambda rows: [{k: v for k, v in r.items() if k not in COPY_COLUMNS} for r in rows]
            self.assertEqual(strip(local_trades), strip(athena_trades))
        else:
            self.assertEqual(local_trades, athena_trades, "trades: the local Parquet and the Athena SQL differ")
        self.assertIn("i-killed", {p.instance for p in parts}, "the killed instance stored nothing")

        # (c) the exchange's own record: every id it sent once, and the bars recomputed in decimal.
        for symbol in SYMBOLS:
            got = [int(r["trade_id"]) for r in local_trades if r["symbol"] == symbol]
            self.assertEqual(got, sorted(sent[symbol]), f"{symbol}: curated ids are not the ids sent")
            for row in (r for r in local_trades if r["symbol"] == symbol):
                want = published[symbol][int(row["trade_id"])]
                self.assertEqual((Decimal(row["price"]), Decimal(row["qty"]), int(row["trade_ms"]),
                                  row["is_buyer_maker"]),
                                 (Decimal(want["price"]), Decimal(want["qty"]), want["time"], want["isBuyerMaker"]))
        expected = [bar for symbol in SYMBOLS for bar in expected_bars(symbol, published[symbol])]
        self.assertGreater(len(expected), 2 * (BEFORE_KILL_TRADES + AFTER_KILL_TRADES) // RATE - 4)
        decoded = [{k: (v if k in ("symbol", "dt") else int(v) if k.endswith(("_ms", "_id", "count")) else Decimal(v))
                    for k, v in bar.items() if k != "open_ms"} for bar in local_bars]
        self.assertEqual(decoded, expected)

        self.check_incomplete_and_missing_library(from_ms, to_ms)


if __name__ == "__main__":
    unittest.main()
