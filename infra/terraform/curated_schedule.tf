# Opt-in (var.curated_schedule_enabled): every day at 00:15 UTC, produce yesterday's curated trades, then
# yesterday's 1-second bars from them (athena.tf). EventBridge Scheduler starts a Step Functions state
# machine that runs the two queries one after the other, each to its end (docs/DECISIONS.md, "Curated
# datasets on Athena", says why a state machine rather than two schedules).
#
# Two roles, each allowed one thing: the scheduler's starts this state machine; the state machine's runs
# queries in this workgroup, reading the raw trades and writing the curated prefix and the results.
# The collectors' role gets nothing from here.

locals {
  schedule_count = var.curated_schedule_enabled ? 1 : 0
}

data "aws_caller_identity" "curated" {
  count = local.schedule_count
}

# Both services act for this account only (confused deputy).
data "aws_iam_policy_document" "curated_day_assume" {
  count = local.schedule_count

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.curated[0].account_id]
    }
  }
}

data "aws_iam_policy_document" "curated_scheduler_assume" {
  count = local.schedule_count

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.curated[0].account_id]
    }
  }
}

resource "aws_iam_role" "curated_day" {
  count = local.schedule_count

  name_prefix        = "market-collector-curated-"
  description        = "market-collector curated day: run the day queries in one Athena workgroup"
  assume_role_policy = data.aws_iam_policy_document.curated_day_assume[0].json
}

# Athena runs a query with its caller's permissions: the Glue tables it reads and writes, the objects
# under them and the result location. Nothing here can delete an object or change a table.
data "aws_iam_policy_document" "curated_day" {
  count = local.schedule_count

  # Start a query, wait for it (.sync polls it), stop it when the execution is stopped.
  statement {
    sid       = "RunQueriesInTheWorkgroup"
    effect    = "Allow"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"]
    resources = [aws_athena_workgroup.market.arn]
  }

  # Step Functions' documented policy for this integration also reads the data catalog; the one the
  # queries use is Glue's, AwsDataCatalog.
  statement {
    sid       = "ReadTheDataCatalog"
    effect    = "Allow"
    actions   = ["athena:GetDataCatalog"]
    resources = ["arn:aws:athena:${var.region}:${data.aws_caller_identity.curated[0].account_id}:datacatalog/AwsDataCatalog"]
  }

  statement {
    sid     = "ReadTheTables"
    effect  = "Allow"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
    resources = [
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:catalog",
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:database/${aws_glue_catalog_database.market.name}",
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:table/${aws_glue_catalog_database.market.name}/${aws_glue_catalog_table.raw_trades.name}",
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:table/${aws_glue_catalog_database.market.name}/${aws_glue_catalog_table.trades_curated.name}",
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:table/${aws_glue_catalog_database.market.name}/${aws_glue_catalog_table.ohlcv_1s.name}",
    ]
  }

  # INSERT INTO may register the partitions it wrote; with projection, queries never read them.
  statement {
    sid     = "AddPartitionsToTheCuratedTables"
    effect  = "Allow"
    actions = ["glue:BatchCreatePartition"]
    resources = [
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:catalog",
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:database/${aws_glue_catalog_database.market.name}",
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:table/${aws_glue_catalog_database.market.name}/${aws_glue_catalog_table.trades_curated.name}",
      "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:table/${aws_glue_catalog_database.market.name}/${aws_glue_catalog_table.ohlcv_1s.name}",
    ]
  }

  statement {
    sid       = "ListTheQueriedPrefixes"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.raw.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.s3_prefix}*", "${local.curated_prefix}*", "${local.athena_results_prefix}*"]
    }
  }

  statement {
    sid       = "LocateTheBucket"
    effect    = "Allow"
    actions   = ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
    resources = [aws_s3_bucket.raw.arn]
  }

  # The raw trades, and trades_curated, which the bars are made from.
  statement {
    sid       = "ReadRawAndCurated"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.raw.arn}/${local.s3_prefix}*", "${aws_s3_bucket.raw.arn}/${local.curated_prefix}*"]
  }

  statement {
    sid       = "WriteCuratedAndResults"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${aws_s3_bucket.raw.arn}/${local.curated_prefix}*", "${aws_s3_bucket.raw.arn}/${local.athena_results_prefix}*"]
  }

  statement {
    sid       = "ReadResults"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.raw.arn}/${local.athena_results_prefix}*"]
  }
}

resource "aws_iam_role_policy" "curated_day" {
  count = local.schedule_count

  name   = "run-curated-day-queries"
  role   = aws_iam_role.curated_day[0].id
  policy = data.aws_iam_policy_document.curated_day[0].json
}

# trades_curated, then ohlcv_1s: each state waits for its query to finish (.sync), and a failed query
# fails the execution, so the bars are never made from a day whose trades are missing or partial.
resource "aws_sfn_state_machine" "curated_day" {
  count = local.schedule_count

  name     = "market-collector-curated-day"
  role_arn = aws_iam_role.curated_day[0].arn
  definition = templatefile("${path.module}/curated_day.asl.json.tftpl", {
    trades_curated_query = jsonencode(local.curated_day_queries["trades_curated"])
    ohlcv_1s_query       = jsonencode(local.curated_day_queries["ohlcv_1s"])
    workgroup            = jsonencode(aws_athena_workgroup.market.name)
    database             = jsonencode(aws_glue_catalog_database.market.name)
  })

  # The role's permissions must exist before the first execution can use them.
  depends_on = [aws_iam_role_policy.curated_day]
}

resource "aws_iam_role" "curated_scheduler" {
  count = local.schedule_count

  name_prefix        = "market-collector-schedule-"
  description        = "market-collector curated day schedule: start the curated-day state machine, nothing else"
  assume_role_policy = data.aws_iam_policy_document.curated_scheduler_assume[0].json
}

data "aws_iam_policy_document" "curated_scheduler" {
  count = local.schedule_count

  statement {
    sid       = "StartTheCuratedDay"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.curated_day[0].arn]
  }
}

resource "aws_iam_role_policy" "curated_scheduler" {
  count = local.schedule_count

  name   = "start-curated-day"
  role   = aws_iam_role.curated_scheduler[0].id
  policy = data.aws_iam_policy_document.curated_scheduler[0].json
}

# 00:15 UTC: the collectors have stored yesterday's last parts (5-second windows, uploaded within
# seconds; a backlog that is older shows in its spool alarm). Runs once per day; the scheduler retries
# only a StartExecution call that failed, which started nothing.
resource "aws_scheduler_schedule" "curated_day" {
  count = local.schedule_count

  name                         = "market-collector-curated-day"
  description                  = "Produce yesterday's trades_curated, then ohlcv_1s (infra/terraform/curated_schedule.tf)"
  schedule_expression          = "cron(15 0 * * ? *)"
  schedule_expression_timezone = "UTC"
  state                        = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.curated_day[0].arn
    role_arn = aws_iam_role.curated_scheduler[0].arn

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}

# A failed day is partly written or not at all, and no query of the collectors' metrics would show it.
resource "aws_cloudwatch_metric_alarm" "curated_day_failed" {
  count = local.schedule_count

  alarm_name          = "market-collector-curated-day-failed"
  alarm_description   = "Producing yesterday's trades_curated and ohlcv_1s failed (docs/RUNBOOK.md#curated-day-failed)"
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.curated_day[0].arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
