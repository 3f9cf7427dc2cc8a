output "raw_bucket_name" {
  description = "The bucket the collectors write to: RAW_BUCKET."
  value       = aws_s3_bucket.raw.id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.raw.arn
}

output "platform" {
  description = "Where the collectors run: ec2 or ecs."
  value       = var.platform
}

output "collector_role_arn" {
  description = "The collectors' role (the instances' or the tasks'): s3:PutObject and s3:GetObject under raw/ only, and the CloudWatch agent's PutMetricData (one namespace) and log writes (its one group)."
  value       = aws_iam_role.collector.arn
}

output "collector_instance_profile_name" {
  description = "Instance profile of the collector role (platform = ec2; null on ecs)."
  value       = one(aws_iam_instance_profile.collector[*].name)
}

output "reader_policy_arn" {
  description = "Policy to attach to the readers of the archive (GetObject under raw/, ListBucket)."
  value       = aws_iam_policy.reader.arn
}

output "instance_ids" {
  description = "EC2 instance ids of the collectors, in the order of their Name tags (market-collector-1, -2, ...); empty on ecs."
  value       = aws_instance.collector[*].id
}

output "security_group_id" {
  description = "The collectors' security group (no ingress, HTTPS egress; on ecs also NFS to the spool's EFS)."
  value       = aws_security_group.collector.id
}

output "ecs_cluster_arn" {
  description = "The cluster of the collectors' services (platform = ecs; null on ec2)."
  value       = local.ecs ? local.ecs_cluster_arn : null
}

output "ecs_service_names" {
  description = "The collectors' ECS services, one task each: market-collector-1, -2, ... (empty on ec2)."
  value       = aws_ecs_service.collector[*].name
}

output "ecs_task_definition_arns" {
  description = "The newest task definition revision of each service, in service order: what `aws ecs update-service --task-definition` moves a service to (empty on ec2)."
  value       = aws_ecs_task_definition.collector[*].arn
}

output "ecs_instance_ids" {
  description = "INSTANCE_ID of each ECS collector, in service order: the name in its keys, manifests and heads (empty on ec2)."
  value       = local.ecs_instance_ids
}

output "ecs_log_group_name" {
  description = "CloudWatch Logs group of the collector tasks (null on ec2)."
  value       = one(aws_cloudwatch_log_group.collector[*].name)
}

output "ecs_execution_role_arn" {
  description = "The task execution role: pulls the image and writes the tasks' logs; no access to the bucket (null on ec2)."
  value       = one(aws_iam_role.ecs_execution[*].arn)
}

output "spool_file_system_id" {
  description = "EFS file system of the ECS collectors' spools, one directory per service (null on ec2)."
  value       = one(aws_efs_file_system.spool[*].id)
}

output "ec2_log_group_name" {
  description = "Log group of the instances' collector logs and the CloudWatch agent's metric events (platform = ec2; null on ecs)."
  value       = one(aws_cloudwatch_log_group.ec2[*].name)
}

output "cloudwatch_alarm_names" {
  description = "The CloudWatch alarms on the collectors, the same on both platforms."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.no_trades : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.spool_backlog : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.upload_failures : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.unrecoverable_ids : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.no_uploads : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.curated_day_failed : a.alarm_name],
  )
}

output "athena_database_name" {
  description = "Glue database of raw_trades, trades_curated and ohlcv_1s."
  value       = aws_glue_catalog_database.market.name
}

output "athena_workgroup_name" {
  description = "Athena workgroup to run the archive's queries in (encrypted results under athena-results/, enforced)."
  value       = aws_athena_workgroup.market.name
}

output "curated_day_state_machine_arn" {
  description = "State machine producing yesterday's curated datasets (curated_schedule_enabled; null otherwise)."
  value       = one(aws_sfn_state_machine.curated_day[*].arn)
}

output "ecs_metrics_log_group_name" {
  description = "Log group of the ECS tasks' CloudWatch agents: the metric events CloudWatch makes the collectors' metrics of (null on ec2)."
  value       = one(aws_cloudwatch_log_group.ecs_metrics[*].name)
}
