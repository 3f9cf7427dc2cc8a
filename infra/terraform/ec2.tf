# platform = "ec2": var.instance_count instances that install the .deb (user_data.sh.tftpl).

data "aws_ami" "debian12" {
  count = local.ec2 && var.ami_id == null ? 1 : 0

  most_recent = true
  owners      = ["136693071363"] # Debian's official cloud images

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

resource "aws_instance" "collector" {
  count = local.ec2 ? var.instance_count : 0

  ami                    = var.ami_id != null ? var.ami_id : data.aws_ami.debian12[0].id
  instance_type          = var.instance_type
  subnet_id              = element(var.subnet_ids, count.index % length(var.subnet_ids))
  vpc_security_group_ids = [aws_security_group.collector.id]
  iam_instance_profile   = aws_iam_instance_profile.collector[0].name

  # IMDSv2 only, and one hop: the collector reads its instance id and role credentials from IMDS
  # itself; nothing behind a further hop (a container, a forwarded request) can.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  # The spool lives here (/var/lib/market-collector): parts wait on it while S3 is unreachable.
  root_block_device {
    volume_type = "gp3"
    volume_size = var.root_volume_gb
    encrypted   = true
  }

  # metric_declaration: the same list as the ECS agents' (cloudwatch.tf).
  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    package_url        = var.package_url
    package_sha256     = var.package_sha256 == null ? "" : var.package_sha256
    raw_bucket         = aws_s3_bucket.raw.id
    region             = var.region
    symbols            = join(",", var.symbols)
    s3_prefix          = local.s3_prefix
    metrics_addr       = local.metrics_addr
    collector_name     = local.collector_names[count.index]
    log_group          = aws_cloudwatch_log_group.ec2[0].name
    namespace          = var.cloudwatch_namespace
    agent_url          = var.cloudwatch_agent_url
    metric_declaration = jsonencode(local.agent_metric_declaration)
  })

  # A new Debian image or a new package_url must not replace (or stop) every collector in one
  # apply: that is a gap in all copies at once. Roll them one by one instead, e.g.
  # terraform apply -replace='aws_instance.collector[0]' (README). User data only runs at first
  # boot anyway.
  lifecycle {
    ignore_changes = [ami, user_data]

    precondition {
      condition     = var.package_url != null
      error_message = "platform = \"ec2\" needs package_url, the .deb the instances install."
    }
  }

  tags = {
    Name = "market-collector-${count.index + 1}"
  }
}
