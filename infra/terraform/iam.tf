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

resource "aws_iam_role" "collector" {
  name_prefix        = "market-collector-"
  description        = "market-collector instances: PutObject and GetObject under raw/ of the archive bucket, nothing else"
  assume_role_policy = data.aws_iam_policy_document.collector_assume.json
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

# Inline, so the role's whole permission set is visible here; attach nothing else to this role.
resource "aws_iam_role_policy" "collector" {
  name   = "put-raw-objects"
  role   = aws_iam_role.collector.id
  policy = data.aws_iam_policy_document.collector.json
}

resource "aws_iam_instance_profile" "collector" {
  name_prefix = "market-collector-"
  role        = aws_iam_role.collector.name
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
