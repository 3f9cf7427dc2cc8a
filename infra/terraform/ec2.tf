data "aws_ami" "debian12" {
  count = var.ami_id == null ? 1 : 0

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

data "aws_subnet" "first" {
  id = var.subnet_ids[0]
}

# No ingress at all: the collector only dials out, and its metrics listen on 127.0.0.1.
# Egress is HTTPS only: S3, the .deb download, Debian's apt mirror (cdn-aws.deb.debian.org over
# https) and Binance. Binance serves the same streams on 443 and 9443; user data sets
# BINANCE_WS_URL to port 443 so that one port is all the instances may reach (9443 is often
# blocked by outbound proxies and firewalls, 443 almost never). DNS, NTP and IMDS go to the
# VPC's link-local services, which security groups do not filter.
resource "aws_security_group" "collector" {
  name_prefix = "market-collector-"
  description = "market-collector: no ingress, HTTPS egress only"
  vpc_id      = data.aws_subnet.first.vpc_id

  # Empty and authoritative: a rule added by hand is removed by the next apply.
  ingress = []

  egress {
    description      = "HTTPS: S3, Binance WebSocket (port 443) and REST (backfill), package downloads"
    from_port        = 443
    to_port          = 443
    protocol         = "tcp"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_instance" "collector" {
  count = var.instance_count

  ami                    = var.ami_id != null ? var.ami_id : data.aws_ami.debian12[0].id
  instance_type          = var.instance_type
  subnet_id              = element(var.subnet_ids, count.index % length(var.subnet_ids))
  vpc_security_group_ids = [aws_security_group.collector.id]
  iam_instance_profile   = aws_iam_instance_profile.collector.name

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

  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    package_url    = var.package_url
    package_sha256 = var.package_sha256 == null ? "" : var.package_sha256
    raw_bucket     = aws_s3_bucket.raw.id
    region         = var.region
    symbols        = join(",", var.symbols)
    s3_prefix      = local.s3_prefix
  })

  # A new Debian image or a new package_url must not replace (or stop) every collector in one
  # apply: that is a gap in all copies at once. Roll them one by one instead, e.g.
  # terraform apply -replace='aws_instance.collector[0]' (README). User data only runs at first
  # boot anyway.
  lifecycle {
    ignore_changes = [ami, user_data]
  }

  tags = {
    Name = "market-collector-${count.index + 1}"
  }
}
