output "raw_bucket_name" {
  description = "The bucket the collectors write to: RAW_BUCKET."
  value       = aws_s3_bucket.raw.id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.raw.arn
}

output "collector_role_arn" {
  description = "The collectors' role: s3:PutObject under raw/ only."
  value       = aws_iam_role.collector.arn
}

output "collector_instance_profile_name" {
  description = "Instance profile of the collector role."
  value       = aws_iam_instance_profile.collector.name
}

output "reader_policy_arn" {
  description = "Policy to attach to the readers of the archive (GetObject under raw/, ListBucket)."
  value       = aws_iam_policy.reader.arn
}

output "instance_ids" {
  description = "EC2 instance ids of the collectors, in the order of their Name tags (market-collector-1, -2, ...)."
  value       = aws_instance.collector[*].id
}

output "security_group_id" {
  description = "The collectors' security group (no ingress, HTTPS egress)."
  value       = aws_security_group.collector.id
}
