-- The local stand-in for the Glue table raw_trades (docs/ATHENA.md) that `market-collector ohlcv`
-- gives trades_curated.sql: the same columns and struct fields as tests/athena/raw_trades.duckdb.sql,
-- over the JSON lines of the parts the deep audit verified. The command copies each part's lines to
-- files laid out <dir>/symbol=<SYMBOL>/dt=<DAY>/<name>.jsonl, each line with the part's object key
-- added as "object_key" (it becomes "$path"; the copies of one part sit among other parts' lines).
-- @FILES@ is replaced by the list of files to read, a DuckDB list of string literals.
-- JSON paths are case-sensitive, DuckDB's struct field names are not: data is read as JSON and
-- rebuilt with the SerDe's mapping.* names.
CREATE OR REPLACE VIEW raw_trades AS
SELECT recv_us,
       src,
       stream,
       struct_pack(
         event_type     := data ->> '$.e',
         event_time     := CAST(data ->> '$.E' AS BIGINT),
         s              := data ->> '$.s',
         trade_id       := CAST(data ->> '$.t' AS BIGINT),
         p              := data ->> '$.p',
         q              := data ->> '$.q',
         trade_time     := CAST(data ->> '$.T' AS BIGINT),
         is_buyer_maker := CAST(data ->> '$.m' AS BOOLEAN),
         is_best_match  := CAST(data ->> '$.M' AS BOOLEAN)) AS data,
       regexp_extract(filename, '/symbol=([^/]+)/', 1) AS symbol,
       regexp_extract(filename, '/dt=([^/]+)/', 1)     AS dt,
       object_key                                      AS "$path"
FROM read_json(@FILES@,
               format = 'newline_delimited',
               columns = {object_key: 'VARCHAR', recv_us: 'BIGINT', src: 'VARCHAR', stream: 'VARCHAR',
                          data: 'JSON'},
               filename = true);
