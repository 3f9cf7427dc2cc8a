-- DuckDB stand-in for docs/ATHENA.md's Glue table raw_trades, over a local store (LOCAL_STORE_DIR).
-- The test replaces @STORE@ with the store's directory. Like Athena it reads every object under each
-- symbol=/dt= partition, minute folders and manifests included; a manifest line becomes a row of NULLs.
-- DuckDB struct field names are case-insensitive too, so data is read as JSON and rebuilt with the
-- column names the SerDe's mapping.* properties give (JSON paths are case-sensitive).
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
       filename                                        AS "$path"
FROM read_json('@STORE@/raw/exchange=binance/stream=trade/symbol=*/dt=*/*/*/*',
               format = 'newline_delimited',
               columns = {recv_us: 'BIGINT', src: 'VARCHAR', stream: 'VARCHAR', data: 'JSON'},
               filename = true);
