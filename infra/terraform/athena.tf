# The archive on Athena (docs/ATHENA.md): a Glue database with the raw trades as the collectors write
# them and the two curated datasets made from them (docs/OHLCV.md), an Athena workgroup whose
# settings no query can override, and the two queries that produce one UTC day, saved as named
# queries. curated_schedule.tf runs them every night when var.curated_schedule_enabled is set.
#
# The curated queries are the SELECTs of sql/curated/, read here as they are: they are also run on
# DuckDB by the tests, and one definition of a bar must not be copied into a second file. Each has a
# {{day}} placeholder, replaced by a VARCHAR expression yielding 'YYYY-MM-DD'.

locals {
  # Prefixes of the bucket besides the collectors' raw/: what the queries write, and Athena's results.
  curated_prefix        = "curated/"
  athena_results_prefix = "athena-results/"

  # The day a query produces when run from its saved form or by the schedule: yesterday in UTC (Athena's
  # session time zone). To produce another day, replace this expression with a literal, e.g. '2025-02-09'.
  curated_day = "date_format(current_date - INTERVAL '1' DAY, '%Y-%m-%d')"

  # INSERT INTO needs the SELECT's columns in the table's order, partition columns last: the contract of
  # sql/curated/*.sql (docs/OHLCV.md). A trailing semicolon would end the statement inside the string.
  curated_day_queries = {
    trades_curated = "INSERT INTO trades_curated\n${replace(trimsuffix(trimspace(file("${path.module}/../../sql/curated/trades_curated.sql")), ";"), "{{day}}", local.curated_day)}"
    ohlcv_1s       = "INSERT INTO ohlcv_1s\n${replace(trimsuffix(trimspace(file("${path.module}/../../sql/curated/ohlcv_1s.sql")), ";"), "{{day}}", local.curated_day)}"
  }

  # Partition projection, as docs/ATHENA.md explains for raw_trades: no crawler, no partitions in Glue.
  athena_symbols = var.athena_symbols != null ? var.athena_symbols : var.symbols
  day_projection = {
    "projection.enabled"          = "true"
    "projection.symbol.type"      = "enum"
    "projection.symbol.values"    = join(",", local.athena_symbols)
    "projection.dt.type"          = "date"
    "projection.dt.format"        = "yyyy-MM-dd"
    "projection.dt.range"         = "${var.athena_first_day},NOW"
    "projection.dt.interval"      = "1"
    "projection.dt.interval.unit" = "DAYS"
  }

  raw_trades_location     = "s3://${aws_s3_bucket.raw.id}/${local.s3_prefix}exchange=binance/stream=trade/"
  trades_curated_location = "s3://${aws_s3_bucket.raw.id}/${local.curated_prefix}trades/"
  ohlcv_1s_location       = "s3://${aws_s3_bucket.raw.id}/${local.curated_prefix}ohlcv_1s/"
}

resource "aws_glue_catalog_database" "market" {
  name        = var.athena_database
  description = "market-collector: the raw trades and the curated trades and 1-second bars (docs/ATHENA.md)"
}

# docs/ATHENA.md's CREATE EXTERNAL TABLE raw_trades, column for column: the OpenX SerDe with each
# case-twin JSON key mapped to its own column, every object under a day read (minute folders too).
resource "aws_glue_catalog_table" "raw_trades" {
  name          = "raw_trades"
  database_name = aws_glue_catalog_database.market.name
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.day_projection, {
    EXTERNAL                    = "TRUE"
    "storage.location.template" = "${local.raw_trades_location}symbol=$${symbol}/dt=$${dt}/"
  })

  partition_keys {
    name = "symbol"
    type = "string"
  }
  partition_keys {
    name = "dt"
    type = "string"
  }

  storage_descriptor {
    location      = local.raw_trades_location
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        "case.insensitive"       = "false"
        "mapping.event_type"     = "e"
        "mapping.event_time"     = "E"
        "mapping.trade_id"       = "t"
        "mapping.trade_time"     = "T"
        "mapping.is_buyer_maker" = "m"
        "mapping.is_best_match"  = "M"
        "ignore.malformed.json"  = "true"
      }
    }

    columns {
      name = "recv_us"
      type = "bigint"
    }
    columns {
      name = "src"
      type = "string"
    }
    columns {
      name = "stream"
      type = "string"
    }
    columns {
      name = "data"
      type = "struct<event_type:string,event_time:bigint,s:string,trade_id:bigint,p:string,q:string,trade_time:bigint,is_buyer_maker:boolean,is_best_match:boolean>"
    }
  }

  lifecycle {
    precondition {
      condition     = !contains(local.athena_symbols, "ALL")
      error_message = "The tables project one partition per symbol: with symbols = [\"ALL\"], set athena_symbols to the symbols to query."
    }
  }
}

# One row per trade id, typed (docs/OHLCV.md); written by the trades_curated query, one day at a time.
resource "aws_glue_catalog_table" "trades_curated" {
  name          = "trades_curated"
  database_name = aws_glue_catalog_database.market.name
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.day_projection, {
    EXTERNAL                    = "TRUE"
    "parquet.compression"       = "SNAPPY"
    "storage.location.template" = "${local.trades_curated_location}symbol=$${symbol}/dt=$${dt}/"
  })

  partition_keys {
    name = "symbol"
    type = "string"
  }
  partition_keys {
    name = "dt"
    type = "string"
  }

  storage_descriptor {
    location      = local.trades_curated_location
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    columns {
      name = "trade_id"
      type = "bigint"
    }
    columns {
      name = "price"
      type = "decimal(18,8)"
    }
    columns {
      name = "qty"
      type = "decimal(18,8)"
    }
    columns {
      name = "trade_time"
      type = "timestamp"
    }
    columns {
      name = "event_time"
      type = "timestamp"
    }
    columns {
      name = "is_buyer_maker"
      type = "boolean"
    }
    columns {
      name = "recv_us"
      type = "bigint"
    }
    columns {
      name = "src"
      type = "string"
    }
    columns {
      name = "instance_id"
      type = "string"
    }
  }
}

# The 1-second bars (docs/OHLCV.md); written by the ohlcv_1s query from trades_curated.
resource "aws_glue_catalog_table" "ohlcv_1s" {
  name          = "ohlcv_1s"
  database_name = aws_glue_catalog_database.market.name
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.day_projection, {
    EXTERNAL                    = "TRUE"
    "parquet.compression"       = "SNAPPY"
    "storage.location.template" = "${local.ohlcv_1s_location}symbol=$${symbol}/dt=$${dt}/"
  })

  partition_keys {
    name = "symbol"
    type = "string"
  }
  partition_keys {
    name = "dt"
    type = "string"
  }

  storage_descriptor {
    location      = local.ohlcv_1s_location
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    columns {
      name = "open_time"
      type = "timestamp"
    }
    columns {
      name = "open_time_ms"
      type = "bigint"
    }
    columns {
      name = "open"
      type = "decimal(18,8)"
    }
    columns {
      name = "high"
      type = "decimal(18,8)"
    }
    columns {
      name = "low"
      type = "decimal(18,8)"
    }
    columns {
      name = "close"
      type = "decimal(18,8)"
    }
    columns {
      name = "volume"
      type = "decimal(38,8)"
    }
    columns {
      name = "quote_volume"
      type = "decimal(38,16)"
    }
    columns {
      name = "trade_count"
      type = "bigint"
    }
    columns {
      name = "taker_buy_volume"
      type = "decimal(38,8)"
    }
    columns {
      name = "taker_buy_quote_volume"
      type = "decimal(38,16)"
    }
    columns {
      name = "vwap"
      type = "decimal(18,8)"
    }
    columns {
      name = "first_trade_id"
      type = "bigint"
    }
    columns {
      name = "last_trade_id"
      type = "bigint"
    }
  }
}

# Every query of this workgroup writes its results, and INSERT INTO its data files, with SSE-S3: the
# bucket policy refuses any PutObject without it (s3.tf). Enforced: a client cannot name another
# result location or turn the encryption off.
resource "aws_athena_workgroup" "market" {
  name        = var.athena_workgroup
  description = "market-collector: queries over the archive, results encrypted under ${local.athena_results_prefix}"
  state       = "ENABLED"

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${aws_s3_bucket.raw.id}/${local.athena_results_prefix}"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}

# The day queries as saved queries: in the console, open one, replace the day expression by a literal
# day if needed, run. Running a day twice duplicates its rows (docs/ATHENA.md, "Producing a day").
resource "aws_athena_named_query" "curated_day" {
  for_each = local.curated_day_queries

  name        = "${each.key}: produce the previous UTC day"
  description = "INSERT INTO ${each.key} the SELECT of sql/curated/${each.key}.sql for yesterday (UTC); run trades_curated first"
  workgroup   = aws_athena_workgroup.market.id
  database    = aws_glue_catalog_database.market.name
  query       = each.value
}
