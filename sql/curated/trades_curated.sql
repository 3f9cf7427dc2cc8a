-- One UTC day of curated trades (docs/OHLCV.md): one row per (symbol, trade id), the copy received
-- first (ties broken by object name, as docs/ATHENA.md's trades_dedup chooses), typed, sorted by
-- trade id. Reads the relation raw_trades: the Glue table on Athena, a DuckDB view of the same shape
-- locally (sql/curated/raw_trades.duckdb.sql). Runs unchanged on Athena (Trino) and DuckDB.
--
-- {{day}} is replaced, before the query runs, by a VARCHAR expression yielding 'YYYY-MM-DD'.
-- A trade belongs to the UTC day of its trade time T; raw dt= is the UTC day the collector received
-- it. A trade at 23:59:59.9 is received after midnight (dt = day + 1), a REST-recovered copy later
-- still, and a collector clock a few ms behind the exchange files the first trades of a day under
-- dt = day - 1: so three raw days are read and the trade time decides.
--
-- Epoch milliseconds become a TIMESTAMP(3) by whole days plus milliseconds: the one arithmetic both
-- engines accept (DuckDB's interval products take 32-bit factors; Trino has no epoch_ms()).
SELECT trade_id,
       price,
       qty,
       trade_time,
       event_time,
       is_buyer_maker,
       recv_us,
       src,
       instance_id,
       symbol,
       CAST({{day}} AS VARCHAR) AS dt
FROM (
  SELECT c.*,
         row_number() OVER (PARTITION BY symbol, trade_id ORDER BY recv_us, object_key) AS copy_rank
  FROM (
    SELECT symbol,
           data.trade_id                     AS trade_id,
           CAST(data.p AS DECIMAL(18, 8))    AS price,
           CAST(data.q AS DECIMAL(18, 8))    AS qty,
           TIMESTAMP '1970-01-01 00:00:00.000'
             + CAST((data.trade_time - data.trade_time % 86400000) / 86400000 AS INTEGER) * INTERVAL '1' DAY
             + CAST(data.trade_time % 86400000 AS INTEGER) * INTERVAL '0.001' SECOND AS trade_time,
           TIMESTAMP '1970-01-01 00:00:00.000'
             + CAST((data.event_time - data.event_time % 86400000) / 86400000 AS INTEGER) * INTERVAL '1' DAY
             + CAST(data.event_time % 86400000 AS INTEGER) * INTERVAL '0.001' SECOND AS event_time,
           data.is_buyer_maker               AS is_buyer_maker,
           recv_us,
           src,
           regexp_extract("$path", 'part-(.+)-[0-9]+\.jsonl\.gz$', 1) AS instance_id,
           "$path"                           AS object_key
    FROM raw_trades
    WHERE dt IN (CAST(CAST(CAST({{day}} AS DATE) - INTERVAL '1' DAY AS DATE) AS VARCHAR),
                 CAST({{day}} AS VARCHAR),
                 CAST(CAST(CAST({{day}} AS DATE) + INTERVAL '1' DAY AS DATE) AS VARCHAR))
      AND "$path" LIKE '%/part-%.jsonl.gz'
      AND data.trade_id IS NOT NULL
  ) AS c
  WHERE CAST(c.trade_time AS DATE) = CAST({{day}} AS DATE)
) AS ranked
WHERE copy_rank = 1
ORDER BY symbol, trade_id
