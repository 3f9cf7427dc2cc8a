data "aws_iam_policy_document" "collector_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# platform = "ecs": the same role is the tasks' role, trusted by ECS tasks of this account only.
data "aws_caller_identity" "current" {
  count = local.ecs ? 1 : 0
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  count = local.ecs ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Confused deputy: ECS assumes the role only for tasks of this account.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current[0].account_id]
    }
  }
}

# One collector role whichever the platform: the instances' role on EC2, the tasks' role on ECS,
# with the same S3 policy below, and the one principal the bucket policy holds to If-None-Match
# (s3.tf). Switching the platform changes whom it trusts and, on EC2, adds the CloudWatch agent's
# metrics and log permissions (cloudwatch.tf); nothing else it may do.
resource "aws_iam_role" "collector" {
  name_prefix        = "market-collector-"
  description        = "market-collector instances or tasks: PutObject and GetObject under raw/ of the archive bucket, nothing else"
  assume_role_policy = local.ecs ? data.aws_iam_policy_document.ecs_tasks_assume[0].json : data.aws_iam_policy_document.collector_assume.json
}

# The collector adds objects and never lists or deletes, so a compromised instance can add objects but
# cannot destroy the archive; the bucket policy denies it any PutObject that could replace one
# (If-None-Match, s3.tf). It reads only to compare: when a PUT is refused because the key is taken,
# a HEAD (or GET) of that key tells a retried upload of its own from another object.
data "aws_iam_policy_document" "collector" {
  statement {
    sid       = "PutRawObjects"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.raw.arn}/raw/*"]
  }

  statement {
    sid       = "CompareTakenKeys"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.raw.arn}/raw/*"]
  }
}

# Inline, so the role's whole permission set is visible here and in cloudwatch.tf; attach nothing
# else to this role.
resource "aws_iam_role_policy" "collector" {
  name   = "put-raw-objects"
  role   = aws_iam_role.collector.id
  policy = data.aws_iam_policy_document.collector.json
}

resource "aws_iam_instance_profile" "collector" {
  count = local.ec2 ? 1 : 0

  name_prefix = "market-collector-"
  role        = aws_iam_role.collector.name
}

# It had no count before the platform switch: keep an existing profile (and the instances using it).
moved {
  from = aws_iam_instance_profile.collector
  to   = aws_iam_instance_profile.collector[0]
}

# platform = "ecs": the task execution role, used by ECS itself (not by the collector) to pull the
# image and to send the container's output to CloudWatch Logs. Kept apart from the collector role:
# the collector cannot write logs or pull images, ECS cannot write to the bucket.
resource "aws_iam_role" "ecs_execution" {
  count = local.ecs ? 1 : 0

  name_prefix        = "market-collector-exec-"
  description        = "market-collector ECS task execution: pull the image, write the tasks' log streams"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume[0].json
}

data "aws_iam_policy_document" "ecs_execution" {
  count = local.ecs ? 1 : 0

  # The image may be in any ECR repository (or in a public registry, which needs none of this).
  statement {
    sid       = "PullImageFromEcr"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = ["*"]
  }

  # The group's ARN (the provider drops the API's ":*") and its streams.
  statement {
    sid       = "WriteTaskLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_group.collector[0].arn, "${aws_cloudwatch_log_group.collector[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "ecs_execution" {
  count = local.ecs ? 1 : 0

  name   = "pull-image-write-logs"
  role   = aws_iam_role.ecs_execution[0].id
  policy = data.aws_iam_policy_document.ecs_execution[0].json
}

# For the people and jobs that read the archive (the audit, Athena): attach it to their users,
# groups or roles. Kept apart from the collector role on purpose.
data "aws_iam_policy_document" "reader" {
  statement {
    sid       = "ReadRawObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.raw.arn}/raw/*"]
  }

  statement {
    sid       = "ListBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.raw.arn]
  }
}

resource "aws_iam_policy" "reader" {
  name_prefix = "market-collector-reader-"
  description = "Read the market-collector archive: GetObject under raw/, ListBucket"
  policy      = data.aws_iam_policy_document.reader.json
}
