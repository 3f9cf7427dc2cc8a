# The collectors' metrics and logs in CloudWatch, on both platforms (docs/DECISIONS.md, "CloudWatch").
# A CloudWatch agent next to each collector (on EC2 installed by user_data.sh.tftpl, on ECS a sidecar
# container of the task, ecs.tf) scrapes the collector's Prometheus endpoint (METRICS_ADDR) and sends
# the series named in local.agent_metric_declaration as embedded metric format events to a log group,
# where CloudWatch makes metrics of them in var.cloudwatch_namespace. On EC2 it also tails the
# collector's log (copied from journald) into the same group and sends the host's memory and root-disk
# use with PutMetricData; on ECS the log goes through awslogs (ecs.tf). Alarms below watch the same
# conditions as the Prometheus rules of deploy/monitoring, with the same dimensions on both platforms.

locals {
  # The collectors' Prometheus endpoint: the user data sets METRICS_ADDR to it and points the agent at it.
  metrics_addr = "127.0.0.1:9108"
  # Each instance's "collector" dimension, known before the instances exist (the alarms need it): the
  # Name tag.
  collector_names = [for i in range(var.instance_count) : "market-collector-${i + 1}"]
  alarm_actions   = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  # Which scraped series become metrics, and with which dimensions: "collector" (the instance's Name
  # tag on EC2, the service's name on ECS; a static scrape label, known before either exists) or, for
  # trades, "symbol" alone, summed over the fleet. One list for both platforms' agents.
  agent_metric_declaration = [
    {
      source_labels = ["job"]
      label_matcher = "^market-collector$"
      dimensions    = [["collector"]]
      metric_selectors = [
        "^market_collector_(uploads_total|upload_failures_total|trade_ids_unrecoverable_total|trade_id_gaps_total|records_dropped_total)$",
        "^market_collector_(spool_oldest_age_seconds|spool_files|spool_bytes|spool_filesystem_avail_bytes|ws_connections_up|ready)$",
        "^process_(resident_memory_bytes|cpu_seconds_total|open_fds)$",
      ]
    },
    {
      source_labels    = ["job"]
      label_matcher    = "^market-collector$"
      dimensions       = [["symbol"]]
      metric_selectors = ["^market_collector_symbol_trades_total$"]
    },
  ]

  # The group the agent writes its metric events (and on EC2 the collector's log) to.
  agent_log_group_arn = local.ec2 ? aws_cloudwatch_log_group.ec2[0].arn : aws_cloudwatch_log_group.ecs_metrics[0].arn
}

resource "aws_cloudwatch_log_group" "ec2" {
  count = local.ec2 ? 1 : 0

  name_prefix       = "/ec2/market-collector-"
  retention_in_days = var.log_retention_days
}

# platform = "ecs": the agents' metric events. The tasks' own output goes to the tasks' group through
# awslogs (ecs.tf), written by the execution role; this one is written by the agent with the task role.
resource "aws_cloudwatch_log_group" "ecs_metrics" {
  count = local.ecs ? 1 : 0

  name_prefix       = "/ecs/market-collector-metrics-"
  retention_in_days = var.log_retention_days
}

# The agent runs with the collector's role (the instance profile on EC2, the task role on ECS: a task
# has one role for all its containers), so the role gets these: metrics into one namespace only, and
# log events into the agent's one group. No CreateLogGroup (the group is made here), no retention
# changes, no reads.
data "aws_iam_policy_document" "collector_cloudwatch" {
  statement {
    sid       = "PutMetricsInOneNamespace"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource type: the namespace condition is the scope

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.cloudwatch_namespace]
    }
  }

  # The group's ARN (the provider drops the API's ":*") and its streams.
  statement {
    sid       = "WriteCollectorLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.agent_log_group_arn, "${local.agent_log_group_arn}:*"]
  }
}

resource "aws_iam_role_policy" "collector_cloudwatch" {
  name   = "cloudwatch-agent"
  role   = aws_iam_role.collector.id
  policy = data.aws_iam_policy_document.collector_cloudwatch.json
}

# It was made on EC2 only before the ECS agent: keep the policy instead of replacing it.
moved {
  from = aws_iam_role_policy.collector_cloudwatch[0]
  to   = aws_iam_role_policy.collector_cloudwatch
}

# No trades of a symbol on any collector for var.alarm_no_trades_minutes. Summed over the fleet (the
# "symbol" dimension alone), so the alarms are one per symbol, not per symbol and instance; a single
# silent collector shows in its no_uploads alarm. Missing data is breaching: no data is no trades.
resource "aws_cloudwatch_metric_alarm" "no_trades" {
  for_each = toset(var.symbols)

  alarm_name          = "market-collector-no-trades-${each.value}"
  alarm_description   = "No ${each.value} trades on any collector for ${var.alarm_no_trades_minutes} minutes (docs/RUNBOOK.md#marketcollectornotrades)"
  namespace           = var.cloudwatch_namespace
  metric_name         = "market_collector_symbol_trades_total"
  dimensions          = { symbol = each.value }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = var.alarm_no_trades_minutes
  comparison_operator = "LessThanOrEqualToThreshold"
  threshold           = 0
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# The oldest part in a collector's spool is older than var.alarm_spool_age_minutes: the store is
# not taking its parts.
resource "aws_cloudwatch_metric_alarm" "spool_backlog" {
  for_each = toset(local.collector_names)

  alarm_name          = "${each.value}-spool-backlog"
  alarm_description   = "The oldest part in ${each.value}'s spool is over ${var.alarm_spool_age_minutes} minutes old (docs/RUNBOOK.md#marketcollectorspoolbacklog)"
  namespace           = var.cloudwatch_namespace
  metric_name         = "market_collector_spool_oldest_age_seconds"
  dimensions          = { collector = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_spool_age_minutes * 60
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Store requests failing in each of three 5-minute periods in a row: retries that keep failing.
resource "aws_cloudwatch_metric_alarm" "upload_failures" {
  for_each = toset(local.collector_names)

  alarm_name          = "${each.value}-upload-failures"
  alarm_description   = "Store requests from ${each.value} have failed for 15 minutes (docs/RUNBOOK.md#marketcollectoruploadfailures)"
  namespace           = var.cloudwatch_namespace
  metric_name         = "market_collector_upload_failures_total"
  dimensions          = { collector = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Any trade id the backfill gave up on (the exchange does not serve it).
resource "aws_cloudwatch_metric_alarm" "unrecoverable_ids" {
  for_each = toset(local.collector_names)

  alarm_name          = "${each.value}-unrecoverable-ids"
  alarm_description   = "${each.value} gave up on trade ids the exchange does not serve (docs/RUNBOOK.md#marketcollectorunrecoverableids)"
  namespace           = var.cloudwatch_namespace
  metric_name         = "market_collector_trade_ids_unrecoverable_total"
  dimensions          = { collector = each.value }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Nothing stored for 15 minutes. Missing data is breaching: a collector (or agent) that is down sends
# nothing, and this is the alarm that says so.
resource "aws_cloudwatch_metric_alarm" "no_uploads" {
  for_each = toset(local.collector_names)

  alarm_name          = "${each.value}-no-uploads"
  alarm_description   = "${each.value} stored no part for 15 minutes, or sends no metrics (docs/RUNBOOK.md#marketcollectornouploads)"
  namespace           = var.cloudwatch_namespace
  metric_name         = "market_collector_uploads_total"
  dimensions          = { collector = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "LessThanOrEqualToThreshold"
  threshold           = 0
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
