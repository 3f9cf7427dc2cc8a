# market-collector on AWS: one versioned, encrypted, private bucket (s3.tf), a write-only role for
# the collectors and a separate read policy (iam.tf), and var.instance_count collector instances
# (ec2.tf). Each instance stores a full copy of the stream: duplicates are fine, loss is not.

locals {
  # S3_PREFIX of every collector; the role's only permission is PutObject below it.
  s3_prefix = "raw/"

  # 0 and null both mean "no Glacier transition".
  glacier_enabled = coalesce(var.glacier_transition_days, 0) > 0
}
