data "aws_subnet" "first" {
  id = var.subnet_ids[0]
}

# platform = "ecs": the subnets, for the spool's EFS mount targets (one per availability zone) and
# the tasks' NFS egress to them.
data "aws_subnet" "ecs" {
  for_each = local.ecs ? toset(var.subnet_ids) : toset([])

  id = each.value
}

# The collectors' group, on the EC2 instances or on the ECS tasks.
# No ingress at all: the collector only dials out, and on EC2 its metrics listen on 127.0.0.1 (on
# ECS on the task's own address, which nothing may reach; the health check runs inside the task).
# Egress is HTTPS: S3, the .deb download, Debian's apt mirror (cdn-aws.deb.debian.org over https),
# the image registry, CloudWatch Logs and Binance. Binance serves the same streams on 443 and 9443;
# user data and the task definition set BINANCE_WS_URL to port 443 so that one port is all the
# collectors may reach (9443 is often blocked by outbound proxies and firewalls, 443 almost never).
# DNS, NTP, IMDS and the ECS credential endpoint are link-local services, which security groups do
# not filter. On ECS one more rule: NFS to the spool's mount targets.
resource "aws_security_group" "collector" {
  name_prefix = "market-collector-"
  description = local.ecs ? "market-collector: no ingress, HTTPS egress, NFS to the spool's EFS" : "market-collector: no ingress, HTTPS egress only"
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

  # To the subnets' address ranges rather than to the spool group: the spool group admits this one
  # (below), and two groups naming each other inline are a dependency cycle. The only NFS servers
  # there that admit this group are the spool's mount targets.
  dynamic "egress" {
    for_each = local.ecs ? [sort([for s in data.aws_subnet.ecs : s.cidr_block])] : []

    content {
      description = "NFS (TLS) to the spool's EFS mount targets in the collectors' subnets"
      from_port   = 2049
      to_port     = 2049
      protocol    = "tcp"
      cidr_blocks = egress.value
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

# platform = "ecs": the EFS mount targets' group. NFS from the collector tasks and from nothing
# else; no egress (NFS answers on the connection the task opened).
resource "aws_security_group" "spool" {
  count = local.ecs ? 1 : 0

  name_prefix = "market-collector-spool-"
  description = "market-collector spool (EFS mount targets): NFS from the collector tasks only"
  vpc_id      = data.aws_subnet.first.vpc_id

  ingress {
    description     = "NFS from the collector tasks"
    from_port       = 2049
    to_port         = 2049
    protocol        = "tcp"
    security_groups = [aws_security_group.collector.id]
  }

  egress = []

  lifecycle {
    create_before_destroy = true
  }
}
