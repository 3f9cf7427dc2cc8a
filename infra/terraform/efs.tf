# platform = "ecs": the collectors' spools. Everything a collector knows lives in its spool
# (LOCAL_DIR): parts not yet stored, the part numbers of each writer, the trade ledger of ids to
# backfill. Fargate's task storage dies with the task, so the spools live here, one directory per
# collector (an access point each), and a task that replaces another in the same service takes over
# its spool: it uploads what the last one left, continues its part numbers and backfills the ids
# missed while no task ran. Regional (multi-AZ) storage, encrypted at rest; the tasks mount it over
# TLS (ecs.tf).
resource "aws_efs_file_system" "spool" {
  count = local.ecs ? 1 : 0

  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = var.efs_throughput_mode

  tags = {
    Name = "market-collector-spool"
  }
}

# One mount target per subnet, in the spool group (network.tf): NFS from the tasks only. EFS allows
# one mount target per availability zone, hence one subnet per zone.
resource "aws_efs_mount_target" "spool" {
  for_each = local.ecs ? toset(var.subnet_ids) : toset([])

  file_system_id  = aws_efs_file_system.spool[0].id
  subnet_id       = each.value
  security_groups = [aws_security_group.spool[0].id]

  lifecycle {
    precondition {
      condition     = length(distinct([for s in data.aws_subnet.ecs : s.availability_zone])) == length(data.aws_subnet.ecs)
      error_message = "platform = \"ecs\" needs subnet_ids in different availability zones: EFS has one mount target per zone."
    }
  }
}

# Collector N's spool: the directory /market-collector-N, created on first mount for the image's
# user (uid and gid 10001), mode 0750. Every file operation through the access point runs as that
# user whatever the container's user is, and the task cannot see the other collectors' directories.
resource "aws_efs_access_point" "spool" {
  count = local.ecs ? var.instance_count : 0

  file_system_id = aws_efs_file_system.spool[0].id

  posix_user {
    uid = 10001
    gid = 10001
  }

  root_directory {
    path = "/market-collector-${count.index + 1}"

    creation_info {
      owner_uid   = 10001
      owner_gid   = 10001
      permissions = "0750"
    }
  }

  tags = {
    Name = "market-collector-${count.index + 1}"
  }
}
