resource "aws_s3_bucket" "raw" {
  bucket = var.bucket_name

  # The archive is the product: a destroy must be a deliberate edit, never a side effect of a plan.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "raw" {
  bucket = aws_s3_bucket.raw.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "raw" {
  bucket = aws_s3_bucket.raw.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "raw" {
  bucket = aws_s3_bucket.raw.id

  # The collector never overwrites a key, so versions only appear when someone deletes or
  # overwrites a part: versioning makes that recoverable for noncurrent_version_expiration_days.
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "raw" {
  bucket = aws_s3_bucket.raw.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    # Only takes effect should the default ever move to SSE-KMS (it cuts KMS calls); harmless with SSE-S3.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "raw" {
  bucket = aws_s3_bucket.raw.id

  # Noncurrent-version rules on a bucket whose versioning is not yet enabled are rejected.
  depends_on = [aws_s3_bucket_versioning.raw]

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  # Athena's query results (athena.tf): what a query returned, kept for a look, never the archive
  # (raw/ and curated/ never expire).
  rule {
    id     = "expire-athena-results"
    status = "Enabled"

    filter {
      prefix = local.athena_results_prefix
    }

    expiration {
      days = var.athena_results_expiration_days
    }
  }

  dynamic "rule" {
    for_each = local.glacier_enabled ? [var.glacier_transition_days] : []

    content {
      id     = "raw-to-glacier"
      status = "Enabled"

      filter {
        prefix = local.s3_prefix
      }

      transition {
        days          = rule.value
        storage_class = var.glacier_storage_class
      }
    }
  }
}

data "aws_iam_policy_document" "raw_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.raw.arn,
      "${aws_s3_bucket.raw.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # The collector sends x-amz-server-side-encryption: AES256 on every PutObject (S3_SSE, written
  # into collector.env by user data), so these two statements never refuse it; they refuse
  # SSE-KMS and uploads that name no encryption at all. Switching S3_SSE to aws:kms needs this
  # policy changed first.
  statement {
    sid       = "DenyPutObjectWithoutSseS3"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.raw.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["AES256"]
    }
  }

  statement {
    sid       = "DenyPutObjectWithoutSseHeader"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.raw.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["true"]
    }
  }

  # Every key is written once: the collector sends If-None-Match: * on every PutObject, so S3 refuses
  # to replace an object (412). This makes that a property of the bucket, not only of the code: a
  # collector build that forgot the header, or stolen role credentials, cannot overwrite the archive.
  statement {
    sid       = "DenyCollectorPutWithoutIfNoneMatch"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.raw.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.collector.arn]
    }

    condition {
      test     = "Null"
      variable = "s3:if-none-match"
      values   = ["true"]
    }
  }
}

# Optional second line of defence (object_lock_days > 0): every new object version is kept in
# governance mode, so not even a principal with s3:DeleteObject can remove it before then (only one
# with s3:BypassGovernanceRetention). S3 enables Object Lock on an existing bucket once versioning is
# on; it cannot be switched off again, only its default retention removed.
resource "aws_s3_bucket_object_lock_configuration" "raw" {
  count  = var.object_lock_days > 0 ? 1 : 0
  bucket = aws_s3_bucket.raw.id

  depends_on = [aws_s3_bucket_versioning.raw]

  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.object_lock_days
    }
  }
}

resource "aws_s3_bucket_policy" "raw" {
  bucket = aws_s3_bucket.raw.id
  policy = data.aws_iam_policy_document.raw_bucket.json

  # With BlockPublicPolicy being set concurrently, S3 can refuse the policy; order them.
  depends_on = [aws_s3_bucket_public_access_block.raw]
}
