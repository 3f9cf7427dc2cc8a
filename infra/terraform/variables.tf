variable "region" {
  description = "AWS region of the bucket and the instances; also written as AWS_REGION into the collectors' environment."
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
  description = "Subnets the collector instances are spread over (instance N goes to subnet N mod length). Use subnets in different availability zones with outbound HTTPS (NAT gateway, or internet gateway plus public IPs)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "instance_count" {
  description = "Number of collector instances. Each stores a full copy of the stream, so more instances mean fewer gaps when one is down."
  type        = number
  default     = 3

  validation {
    condition     = var.instance_count >= 1 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number, at least 1."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the collectors."
  type        = string
  default     = "t3.micro"
}

variable "ami_id" {
  description = "AMI of the collectors; null: the newest official Debian 12 amd64 image at the time of the first apply (new images do not replace running instances)."
  type        = string
  default     = null
}

variable "root_volume_gb" {
  description = "Size of each instance's encrypted root volume in GiB; the spool holds every part S3 has not accepted yet."
  type        = number
  default     = 16

  validation {
    condition     = var.root_volume_gb >= 8
    error_message = "root_volume_gb must be at least 8."
  }
}

variable "package_url" {
  description = "HTTPS URL of the market-collector .deb that user data downloads and installs at first boot. It must stay reachable without AWS credentials (the instance role cannot read S3)."
  type        = string

  validation {
    condition     = can(regex("^https://[^[:space:]'\"]+\\.deb([?][^[:space:]'\"]*)?$", var.package_url))
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
