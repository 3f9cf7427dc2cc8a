variable "platform" {
  description = "Where the collectors run: \"ec2\" (instance_count EC2 instances that install the .deb; ec2.tf) or \"ecs\" (instance_count ECS services of one Fargate task each, running image, each with its own spool on EFS; ecs.tf, efs.tf). Only the resources of the chosen platform are created; the bucket, the collector role, the reader policy and the collectors' security group serve both."
  type        = string
  default     = "ec2"

  validation {
    condition     = contains(["ec2", "ecs"], var.platform)
    error_message = "platform must be \"ec2\" or \"ecs\"."
  }
}

variable "region" {
  description = "AWS region of the bucket and the collectors; also written as AWS_REGION into the collectors' environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "bucket_name" {
  description = "Name of the S3 bucket the collectors write to (RAW_BUCKET). Created here."
  type        = string

  # S3's naming rules, minus dots: a dotted name forces path-style addressing and breaks
  # virtual-hosted TLS, and the value is written into collector.env, so nothing else may pass.
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name)) && !startswith(var.bucket_name, "xn--") && !endswith(var.bucket_name, "-s3alias")
    error_message = "bucket_name must be 3 to 63 lower-case letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "subnet_ids" {
  description = "Subnets the collectors are spread over (instance or ECS service N goes to subnet N mod length). Use subnets in different availability zones with outbound HTTPS (NAT gateway, or internet gateway plus public IPs); with platform = \"ecs\" they must be in different zones (the spool's EFS has one mount target in each)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "instance_count" {
  description = "Number of collectors: EC2 instances, or ECS services of one task each. Each stores a full copy of the stream, so more collectors mean fewer gaps when one is down."
  type        = number
  default     = 3

  validation {
    condition     = var.instance_count >= 1 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number, at least 1."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the collectors (platform = \"ec2\")."
  type        = string
  default     = "t3.micro"
}

variable "ami_id" {
  description = "AMI of the collectors (platform = \"ec2\"); null: the newest official Debian 12 amd64 image at the time of the first apply (new images do not replace running instances)."
  type        = string
  default     = null
}

variable "root_volume_gb" {
  description = "Size of each instance's encrypted root volume in GiB (platform = \"ec2\"); the spool holds every part S3 has not accepted yet."
  type        = number
  default     = 16

  validation {
    condition     = var.root_volume_gb >= 8
    error_message = "root_volume_gb must be at least 8."
  }
}

variable "package_url" {
  description = "HTTPS URL of the market-collector .deb that user data downloads and installs at first boot; required with platform = \"ec2\", unused with \"ecs\". It must stay reachable without AWS credentials (the instance role cannot read S3)."
  type        = string
  default     = null

  validation {
    condition     = var.package_url == null || can(regex("^https://[^[:space:]'\"]+\\.deb([?][^[:space:]'\"]*)?$", var.package_url))
    error_message = "package_url must be an https:// URL of a .deb file, without spaces or quotes."
  }
}

variable "package_sha256" {
  description = "Optional SHA-256 (hex) of the .deb at package_url; when set, user data refuses a download that does not match."
  type        = string
  default     = null

  validation {
    condition     = var.package_sha256 == null || can(regex("^[0-9a-f]{64}$", var.package_sha256))
    error_message = "package_sha256 must be 64 lower-case hex digits, or null."
  }
}

variable "symbols" {
  description = "Symbols every collector subscribes to (SYMBOL, joined with commas)."
  type        = list(string)
  default     = ["BTCUSDT"]

  validation {
    condition     = length(var.symbols) > 0 && alltrue([for s in var.symbols : can(regex("^[A-Za-z0-9]{2,20}$", s))])
    error_message = "symbols must be a non-empty list, each 2 to 20 letters or digits."
  }
}

variable "glacier_transition_days" {
  description = "Move objects under raw/ to glacier_storage_class this many days after creation; 0 or null: never. S3 does not transition objects under 128 KiB by default, and most 5-second parts are smaller."
  type        = number
  default     = 0

  validation {
    condition     = var.glacier_transition_days == null || try(var.glacier_transition_days >= 0 && floor(var.glacier_transition_days) == var.glacier_transition_days, false)
    error_message = "glacier_transition_days must be a whole number of days, 0 or more (0 or null disables the transition)."
  }
}

variable "glacier_storage_class" {
  description = "Storage class of the raw/ transition: GLACIER_IR (milliseconds to read), GLACIER (Flexible Retrieval) or DEEP_ARCHIVE."
  type        = string
  default     = "GLACIER_IR"

  validation {
    condition     = contains(["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.glacier_storage_class)
    error_message = "glacier_storage_class must be GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Delete an object version this many days after it stopped being current (overwritten or deleted)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number, at least 1."
  }
}

variable "tags" {
  description = "Extra tags for every resource (the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "object_lock_days" {
  description = "S3 Object Lock in governance mode: keep every new object version at least this many days (nobody without s3:BypassGovernanceRetention can delete it sooner); 0: off. Once on, Object Lock stays enabled on the bucket."
  type        = number
  default     = 0

  validation {
    condition     = var.object_lock_days >= 0 && floor(var.object_lock_days) == var.object_lock_days
    error_message = "object_lock_days must be a whole number of days, 0 to turn Object Lock off."
  }
}

# --- platform = "ecs" -----------------------------------------------------------------------------

variable "image" {
  description = "Container image of the collector (platform = \"ecs\"), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/market-collector:1.4.0 or ...@sha256:<digest>. A new value registers new task definition revisions; the services move to them one at a time, by hand (README)."
  type        = string
  default     = null

  # A tag or a digest, never an implicit or explicit "latest": a revision must name the bytes it runs,
  # or a task replaced at night would start whatever the tag points to by then.
  validation {
    condition     = var.image == null || (can(regex("^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$", var.image)) && !endswith(coalesce(var.image, "x"), ":latest"))
    error_message = "image must be <registry>/<repository>:<tag> or <registry>/<repository>@sha256:<digest>, not :latest."
  }
}

variable "ecs_cluster_arn" {
  description = "ARN of an existing ECS cluster for the collectors' services (platform = \"ecs\"); null: a cluster named market-collector is created."
  type        = string
  default     = null

  validation {
    condition     = var.ecs_cluster_arn == null || can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$", var.ecs_cluster_arn))
    error_message = "ecs_cluster_arn must be an ECS cluster ARN (arn:aws:ecs:<region>:<account>:cluster/<name>), or null."
  }
}

variable "task_cpu" {
  description = "Fargate CPU units of each collector task (256 = a quarter vCPU: one busy symbol uses a few percent of a core, 1,000 symbols most of one)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.task_cpu)
    error_message = "task_cpu must be 256, 512, 1024, 2048 or 4096."
  }
}

variable "task_memory" {
  description = "Memory (MiB) of each collector task; Fargate accepts 512 to 2048 with 256 CPU units, more with more. The collector's peak RSS is about 30 MiB with one symbol, 90 MiB with 1,000."
  type        = number
  default     = 512

  validation {
    condition     = var.task_memory >= 512 && var.task_memory <= 30720 && floor(var.task_memory) == var.task_memory
    error_message = "task_memory must be a whole number of MiB from 512 to 30720."
  }
}

variable "ecs_assign_public_ip" {
  description = "Give each task a public IP (platform = \"ecs\"): needed in subnets whose route out is an internet gateway, not with a NAT gateway."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the collectors' logs (the tasks' on ECS; on EC2 the instances' journald copy, shipped by the CloudWatch agent) and the agents' metric events."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "efs_throughput_mode" {
  description = "Throughput mode of the spools' EFS (platform = \"ecs\"): elastic (never throttles; billed per GB read and written, and every record is written to the spool) or bursting (no per-GB charge; a file system as small as a spool gets 1 MiB/s sustained, enough for a few busy symbols per collector, then throttles)."
  type        = string
  default     = "elastic"

  validation {
    condition     = contains(["elastic", "bursting"], var.efs_throughput_mode)
    error_message = "efs_throughput_mode must be elastic or bursting."
  }
}

variable "cloudwatch_namespace" {
  description = "CloudWatch namespace of the collectors' metrics (both platforms); the collectors' CloudWatch agents may put metrics into this one only."
  type        = string
  default     = "MarketCollector"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./#:-]{1,255}$", var.cloudwatch_namespace)) && !startswith(var.cloudwatch_namespace, "AWS/")
    error_message = "cloudwatch_namespace must be 1-255 of A-Z a-z 0-9 _ . / # : - and must not start with AWS/."
  }
}

variable "cloudwatch_agent_url" {
  description = "The CloudWatch agent's Debian package the instances install (platform = \"ec2\")."
  type        = string
  default     = "https://amazoncloudwatch-agent.s3.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb"

  validation {
    condition     = startswith(var.cloudwatch_agent_url, "https://")
    error_message = "cloudwatch_agent_url must be an https:// URL."
  }
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the CloudWatch alarms notify (alarm and OK); null: the alarms only change state."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN (arn:aws:sns:...) or null."
  }
}

variable "alarm_no_trades_minutes" {
  description = "Minutes without a trade of a symbol on any collector before its no-trades alarm."
  type        = number
  default     = 15

  validation {
    condition     = var.alarm_no_trades_minutes >= 1 && var.alarm_no_trades_minutes <= 1440 && floor(var.alarm_no_trades_minutes) == var.alarm_no_trades_minutes
    error_message = "alarm_no_trades_minutes must be a whole number of minutes from 1 to 1440."
  }
}

variable "alarm_spool_age_minutes" {
  description = "Age in minutes of the oldest part in a collector's spool before its spool-backlog alarm."
  type        = number
  default     = 15

  validation {
    condition     = var.alarm_spool_age_minutes >= 1
    error_message = "alarm_spool_age_minutes must be at least 1."
  }
}

# --- Athena (athena.tf, curated_schedule.tf) -------------------------------------------------------

variable "athena_database" {
  description = "Glue database of the tables raw_trades, trades_curated and ohlcv_1s (docs/ATHENA.md)."
  type        = string
  default     = "market_collector"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,254}$", var.athena_database))
    error_message = "athena_database must be lower-case letters, digits and underscores, not starting with a digit."
  }
}

variable "athena_workgroup" {
  description = "Athena workgroup for the archive's queries: results under athena-results/ of the bucket, SSE-S3, enforced."
  type        = string
  default     = "market-collector"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.athena_workgroup))
    error_message = "athena_workgroup must be 1 to 128 letters, digits, dots, hyphens or underscores."
  }
}

variable "athena_symbols" {
  description = "Symbols the Athena tables project partitions for (projection.symbol.values); null: var.symbols. Set it when the collectors follow SYMBOL=ALL."
  type        = list(string)
  default     = null

  validation {
    condition     = var.athena_symbols == null || try(length(var.athena_symbols) > 0 && alltrue([for s in var.athena_symbols : can(regex("^[A-Z0-9]{2,20}$", s))]), false)
    error_message = "athena_symbols must be null or a non-empty list of upper-case symbols, 2 to 20 letters or digits each."
  }
}

variable "athena_first_day" {
  description = "First day (YYYY-MM-DD) the tables project partitions from; days before it are never read."
  type        = string
  default     = "2025-01-01"

  validation {
    condition     = can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", var.athena_first_day))
    error_message = "athena_first_day must be a date, YYYY-MM-DD."
  }
}

variable "athena_results_expiration_days" {
  description = "Delete Athena's query results (athena-results/ of the bucket) this many days after they were written; the tables' data never expires."
  type        = number
  default     = 30

  validation {
    condition     = var.athena_results_expiration_days >= 1 && floor(var.athena_results_expiration_days) == var.athena_results_expiration_days
    error_message = "athena_results_expiration_days must be a whole number of days, at least 1."
  }
}

variable "curated_schedule_enabled" {
  description = "Produce yesterday's trades_curated and ohlcv_1s every day at 00:15 UTC (EventBridge Scheduler and a Step Functions state machine with their own roles); false: nothing of it is created, run the named queries by hand."
  type        = bool
  default     = false

  validation {
    condition     = var.curated_schedule_enabled != null
    error_message = "curated_schedule_enabled must be true or false."
  }
}

variable "cloudwatch_agent_image" {
  description = "Image of the CloudWatch agent sidecar in every collector task (platform = \"ecs\"): a tag or digest, not :latest, so that a replaced task runs the agent it ran before."
  type        = string
  default     = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300049.1b929"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$", var.cloudwatch_agent_image)) && !endswith(var.cloudwatch_agent_image, ":latest")
    error_message = "cloudwatch_agent_image must be <registry>/<repository>:<tag> or @sha256:<digest>, not :latest."
  }
}
