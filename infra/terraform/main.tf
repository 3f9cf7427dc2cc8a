# market-collector on AWS: one versioned, encrypted, private bucket (s3.tf), a write-only role for
# the collectors and a separate read policy (iam.tf), and var.instance_count collectors: EC2
# instances (ec2.tf) or, with platform = "ecs", ECS services of one Fargate task each whose spools
# live on EFS (ecs.tf, efs.tf). Each collector stores a full copy of the stream: duplicates are
# fine, loss is not.

locals {
  # The platform switch: every resource of one platform has count (or for_each) 0 on the other.
  ec2 = var.platform == "ec2"
  ecs = var.platform == "ecs"

  # S3_PREFIX of every collector; the role's only permission is PutObject below it.
  s3_prefix = "raw/"

  # 0 and null both mean "no Glacier transition".
  glacier_enabled = coalesce(var.glacier_transition_days, 0) > 0
}
