-- One UTC day of 1-second OHLCV bars (docs/OHLCV.md) from the relation trades_curated (the output of
-- trades_curated.sql: one row per trade id). Runs unchanged on Athena (Trino) and DuckDB.
-- {{day}} is replaced, before the query runs, by a VARCHAR expression yielding 'YYYY-MM-DD'.
--
-- Every price and quantity stays an exact DECIMAL. Factors are widened to DECIMAL(38, 8) before a
-- product: DuckDB keeps the wider factor's precision (18) where Trino adds them.
-- vwap = quote_volume / volume rounded half up to 8 decimals, computed on integers so that both
-- engines give the same digits (DuckDB divides DECIMALs into a DOUBLE, Trino into a rounded DECIMAL):
-- with Q = quote_volume * 10^16 and V = volume * 10^8 (integers), vwap * 10^8 = floor((2Q + V) / (2V)).
-- The floor is a DOUBLE estimate corrected twice with exact DECIMAL(38,0) remainders, so it is exact
-- wherever 2Q + V fits 38 digits.
WITH bars AS (
  SELECT symbol,
         date_trunc('second', trade_time)                                        AS open_time,
         min_by(price, trade_id)                                                 AS open,
         max(price)                                                              AS high,
         min(price)                                                              AS low,
         max_by(price, trade_id)                                                 AS close,
         CAST(sum(qty) AS DECIMAL(38, 8))                                        AS volume,
         sum(CAST(price AS DECIMAL(38, 8)) * CAST(qty AS DECIMAL(38, 8)))       AS quote_volume,
         count(*)                                                                AS trade_count,
         CAST(sum(CASE WHEN is_buyer_maker THEN CAST(0 AS DECIMAL(18, 8)) ELSE qty END) AS DECIMAL(38, 8))
           AS taker_buy_volume,
         CAST(sum(CASE WHEN is_buyer_maker THEN CAST(0 AS DECIMAL(38, 16))
                       ELSE CAST(price AS DECIMAL(38, 8)) * CAST(qty AS DECIMAL(38, 8)) END)
              AS DECIMAL(38, 16))                                                AS taker_buy_quote_volume,
         min(trade_id)                                                           AS first_trade_id,
         max(trade_id)                                                           AS last_trade_id,
         -- 2Q + V and 2V of the vwap rule above, as integers
         2 * sum(CAST(CAST(CAST(price AS DECIMAL(38, 8)) * 100000000 AS BIGINT) AS DECIMAL(38, 0))
                 * CAST(CAST(CAST(qty AS DECIMAL(38, 8)) * 100000000 AS BIGINT) AS DECIMAL(38, 0)))
           + sum(CAST(CAST(CAST(qty AS DECIMAL(38, 8)) * 100000000 AS BIGINT) AS DECIMAL(38, 0))) AS vwap_num,
         2 * sum(CAST(CAST(CAST(qty AS DECIMAL(38, 8)) * 100000000 AS BIGINT) AS DECIMAL(38, 0))) AS vwap_den
  FROM trades_curated
  WHERE dt = CAST({{day}} AS VARCHAR)
  GROUP BY symbol, date_trunc('second', trade_time)
), estimated AS (
  SELECT b.*,
         CAST(floor(CAST(vwap_num AS DOUBLE) / CAST(vwap_den AS DOUBLE)) AS DECIMAL(38, 0)) AS q0
  FROM bars AS b
), refined AS (
  SELECT e.*,
         q0 + CAST(floor(CAST(vwap_num - q0 * vwap_den AS DOUBLE) / CAST(vwap_den AS DOUBLE)) AS DECIMAL(38, 0))
           AS q1
  FROM estimated AS e
), rounded AS (
  SELECT r.*,
         q1 + CASE WHEN vwap_num - q1 * vwap_den >= vwap_den THEN 1
                   WHEN vwap_num - q1 * vwap_den < 0 THEN -1
                   ELSE 0 END AS vwap_units
  FROM refined AS r
)
SELECT open_time,
       date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00.000', open_time) AS open_time_ms,
       open,
       high,
       low,
       close,
       volume,
       quote_volume,
       trade_count,
       taker_buy_volume,
       taker_buy_quote_volume,
       CAST(CAST(vwap_units AS DECIMAL(38, 0)) * CAST('0.00000001' AS DECIMAL(9, 8)) AS DECIMAL(18, 8)) AS vwap,
       first_trade_id,
       last_trade_id,
       symbol,
       CAST({{day}} AS VARCHAR) AS dt
FROM rounded
ORDER BY symbol, open_time
