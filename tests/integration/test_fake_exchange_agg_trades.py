"""tools/fake_exchange.py's GET /api/v3/aggTrades, checked from the outside: rows consistent with the
trades it made (ids, times), Binance's time windows, and Binance's errors for bad parameters.
Standard library only."""
import time
import unittest
import urllib.parse

import harness
from collector_process import next_ids, wait_produced

START_ID = 1_000_000
HOUR_MS = 3_600_000


class AggTradesTest(unittest.TestCase):
    def setUp(self):
        self.ex = harness.start_fake_exchange(symbols=["BTCUSDT"], rate=200)
        self.addCleanup(self.ex.stop)

    def agg(self, **params):
        query = urllib.parse.urlencode({"symbol": "BTCUSDT", **{k: v for k, v in params.items() if v is not None}})
        return self.ex.get(f"/api/v3/aggTrades?{query}")

    def test_rows_are_the_trades_with_their_times(self):
        wait_produced(self.ex, 300, {"BTCUSDT": START_ID})
        history = self.ex.historical_trades("BTCUSDT", from_id=START_ID, limit=300).json()
        rows = self.agg(fromId=0, limit=300).json()
        self.assertEqual([(r["f"], r["l"], r["T"]) for r in rows], [(t["id"], t["id"], t["time"]) for t in history])
        self.assertEqual([r["a"] for r in rows], list(range(300)))
        self.assertEqual(set(rows[0]), {"a", "p", "q", "f", "l", "T", "m", "M"})
        weights = [int(self.agg().headers["x-mbx-used-weight-1m"]) for _ in range(2)]
        self.assertIn(weights[1] - weights[0], (4, 4 - weights[0]), weights)  # 4 each (unless a minute began)

        # startTime: the first aggregate at or after it, whatever came before.
        middle = history[150]
        first = self.agg(startTime=middle["time"], limit=1).json()
        self.assertEqual(len(first), 1)
        self.assertEqual(first[0]["T"], middle["time"])
        self.assertEqual(first[0]["f"], min(t["id"] for t in history if t["time"] >= middle["time"]))
        # endTime alone looks an hour back; both: within [startTime, endTime].
        self.assertEqual(self.agg(endTime=middle["time"], limit=1).json()[0]["f"], START_ID)
        between = self.agg(startTime=history[10]["time"], endTime=history[20]["time"], limit=1000).json()
        self.assertTrue(all(history[10]["time"] <= r["T"] <= history[20]["time"] for r in between))
        # No parameter: the newest. A startTime in the future: nothing yet.
        newest = self.agg(limit=1).json()[0]
        self.assertGreaterEqual(newest["f"], history[-1]["id"])
        self.assertEqual(self.agg(startTime=int(time.time() * 1000) + 60_000, limit=1).json(), [])
        # Binance looks an hour past startTime: trades older than that window are not in it.
        self.assertEqual(self.agg(startTime=history[0]["time"] - 2 * HOUR_MS, limit=1).json(), [])

    def test_bad_parameters_are_binance_errors(self):
        for params, code in (({"startTime": "x"}, -1100), ({"endTime": "-5"}, -1100), ({"fromId": "1.5"}, -1100),
                             ({"limit": 0}, -1100), ({"limit": 1001}, -1100),
                             ({"startTime": 0, "endTime": HOUR_MS + 1}, -1127)):
            resp = self.agg(**params)
            self.assertEqual(resp.status, 400, params)
            self.assertEqual(resp.json()["code"], code, params)
            self.assertIn("msg", resp.json())
        unknown = self.ex.get("/api/v3/aggTrades?symbol=NOPEUSDT")
        self.assertEqual((unknown.status, unknown.json()["code"]), (400, -1121))


if __name__ == "__main__":
    unittest.main()
