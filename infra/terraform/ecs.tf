# platform = "ecs": var.instance_count collectors on Fargate, each an ECS service of exactly one task
# with its own spool on EFS (efs.tf).
#
# Why one service per collector, not one service of three tasks: every task of a service runs the
# same task definition, so all three would mount the same directory at LOCAL_DIR, and the spool
# admits one collector (an flock on LOCAL_DIR/.lock; the second exits 2). A service per collector
# gives each its own directory (access point) and its own INSTANCE_ID, and a task that replaces
# another in the same service continues that spool. Fargate rather than EC2 capacity: no hosts to
# patch, a task role per task, and per-task security groups (awsvpc).
#
# The image's contract (its Dockerfile is written against the same list): the entrypoint runs the
# collector with no arguments, as uid/gid 10001; the spool is LOCAL_DIR=/var/lib/market-collector/spool
# (a VOLUME); port 9108 serves /metrics, /healthz and /readyz; SIGTERM drains within
# STOP_TIMEOUT_SECS. The image has bash and no curl.

locals {
  spool_path = "/var/lib/market-collector/spool"

  # Everything but INSTANCE_ID, which each service sets (below). Sorted by name, as ECS lists them.
  collector_env = {
    # No IMDS on Fargate: do not wait for it (the credentials come from the ECS endpoint, the
    # region is set here).
    AWS_EC2_METADATA_DISABLED = "true"
    AWS_REGION                = var.region
    # Port 443, the one the security group opens (network.tf).
    BINANCE_WS_URL    = "wss://stream.binance.com:443"
    LOCAL_DIR         = local.spool_path
    LOG_FORMAT        = "json"
    METRICS_ADDR      = "0.0.0.0:9108"
    RAW_BUCKET        = aws_s3_bucket.raw.id
    S3_PREFIX         = local.s3_prefix
    S3_SSE            = "AES256"
    STOP_TIMEOUT_SECS = "20" # the drain's deadline; see stopTimeout below
    SYMBOL            = join(",", var.symbols)
  }

  # INSTANCE_ID names every key a collector writes, and its spool holds that name's part numbers
  # (docs/S3_LAYOUT.md, "Heads"). A task has no stable name of its own (its host name is its IP
  # address or a per-task id), so the id is the service's number plus the spools' file system: it
  # stays with the spool for as long as the spool exists, and a new file system (a fresh spool,
  # numbering from 1 again) brings new ids, which the audit treats as new instances.
  ecs_instance_ids = [for n in range(local.ecs ? var.instance_count : 0) : "ecs-${n + 1}-${one(aws_efs_file_system.spool[*].id)}"]

  collector_container = {
    name                   = "collector"
    image                  = var.image
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true # the collector writes nothing but its spool
    # Fargate kills the container stopTimeout seconds after SIGTERM and allows at most 120. The
    # drain takes STOP_TIMEOUT_SECS (20); then a PUT still in flight at its deadline ends, and the
    # stop stores its head object (docs/S3_LAYOUT.md). That leaves 100 s for those two PUTs; each
    # is aborted after 20 s below 1 KiB/s, so only one still trickling faster than that past 100 s
    # is cut off. (Their hard bound, 120 s each, fits systemd's TimeoutStopSec=150 on EC2, not
    # Fargate's ceiling.) A part cut off stays in the spool on EFS; the service's next task stores it.
    stopTimeout = 120
    # No portMappings: nothing outside the task connects to 9108 (the security group admits
    # nothing); the health check below runs inside the task.
    mountPoints = [{
      sourceVolume  = "spool"
      containerPath = local.spool_path
    }]
    # Liveness: /healthz is 503 when the main loop or a feed event loop is stuck. Not /readyz: a
    # collector that is not ready (the store refuses, the feed is quiet) is still collecting into
    # its spool and must not be replaced for it (docs/RUNBOOK.md).
    healthCheck = {
      command     = ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9108 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 120
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = one(aws_cloudwatch_log_group.collector[*].name)
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = "collector"
        # A slow CloudWatch must never stall the collector's writes to stdout: lines beyond the
        # buffer are dropped instead.
        "mode"            = "non-blocking"
        "max-buffer-size" = "25m"
      }
    }
  }

  # The CloudWatch agent beside the collector in every task (docs/DECISIONS.md, "CloudWatch"): the task's
  # containers share one network namespace (awsvpc), so it scrapes the collector on the loopback, at
  # the port of METRICS_ADDR; nothing outside the task connects. Not essential: an agent that stops
  # leaves the collector running (and its no_uploads alarm, fed by nothing, goes off).
  ecs_metrics_scrape_addr = "127.0.0.1:9108"
  ecs_agent_config = templatefile("${path.module}/cloudwatch_agent_ecs.json.tftpl", {
    region             = var.region
    log_group          = local.ecs ? aws_cloudwatch_log_group.ecs_metrics[0].name : ""
    namespace          = var.cloudwatch_namespace
    metric_declaration = jsonencode(local.agent_metric_declaration)
  })
  # Per collector: the agent's documented ECS inputs (its examples fill them from SSM parameters as
  # secrets; plain values need no SSM permission and change with the task definition). The scrape
  # configuration labels every series with the collector's name, the alarms' "collector" dimension.
  ecs_agent_environments = [for name in(local.ecs ? local.collector_names : []) : [
    { name = "CW_CONFIG_CONTENT", value = local.ecs_agent_config },
    { name = "PROMETHEUS_CONFIG_CONTENT", value = templatefile("${path.module}/cloudwatch_agent_ecs_prometheus.yaml.tftpl", {
      metrics_addr   = local.ecs_metrics_scrape_addr
      collector_name = name
    }) },
  ]]
  cloudwatch_agent_container = {
    name      = "cloudwatch-agent"
    image     = var.cloudwatch_agent_image
    essential = false
    # A bound of its own: an agent that grows is stopped before it takes the collector's memory.
    memory = 256
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = one(aws_cloudwatch_log_group.collector[*].name)
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = "cloudwatch-agent"
        "mode"                  = "non-blocking"
        "max-buffer-size"       = "4m"
      }
    }
  }

  ecs_cluster_arn = var.ecs_cluster_arn != null ? var.ecs_cluster_arn : one(aws_ecs_cluster.collector[*].arn)
}

resource "aws_ecs_cluster" "collector" {
  count = local.ecs && var.ecs_cluster_arn == null ? 1 : 0

  name = "market-collector"
}

resource "aws_cloudwatch_log_group" "collector" {
  count = local.ecs ? 1 : 0

  name_prefix       = "/ecs/market-collector-"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_task_definition" "collector" {
  count = local.ecs ? var.instance_count : 0

  family                   = "market-collector-${count.index + 1}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  task_role_arn            = aws_iam_role.collector.arn
  execution_role_arn       = aws_iam_role.ecs_execution[0].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "spool"

    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.spool[0].id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = aws_efs_access_point.spool[count.index].id
        iam             = "DISABLED"
      }
    }
  }

  container_definitions = jsonencode([
    merge(local.collector_container, {
      environment = [for name, value in merge(local.collector_env, { INSTANCE_ID = local.ecs_instance_ids[count.index] }) : { name = name, value = value }]
    }),
    merge(local.cloudwatch_agent_container, { environment = local.ecs_agent_environments[count.index] }),
  ])

  # A new image registers a new revision; the old one stays registered for the services not yet
  # moved to it (and for a rollback).
  skip_destroy = true

  lifecycle {
    precondition {
      condition     = var.image != null
      error_message = "platform = \"ecs\" needs image, the collector's container image."
    }
  }
}

resource "aws_ecs_service" "collector" {
  count = local.ecs ? var.instance_count : 0

  name             = "market-collector-${count.index + 1}"
  cluster          = local.ecs_cluster_arn
  task_definition  = aws_ecs_task_definition.collector[count.index].arn
  desired_count    = 1
  launch_type      = "FARGATE"
  platform_version = "LATEST" # 1.4.0 or later: EFS volumes

  # Stop, then start: the new task can only lock the spool once the old one has drained and let go.
  # The service is down meanwhile; the other collectors cover it, and its next task backfills the
  # ids it missed (the ledger is in the spool).
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  # A revision whose task never gets healthy is rolled back to the previous one.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Collector N in subnet N mod length, as on EC2: one availability zone per collector.
  network_configuration {
    subnets          = [element(var.subnet_ids, count.index % length(var.subnet_ids))]
    security_groups  = [aws_security_group.collector.id]
    assign_public_ip = var.ecs_assign_public_ip
  }

  propagate_tags        = "SERVICE"
  wait_for_steady_state = true

  # The spool's mount target must exist before a task mounts it.
  depends_on = [aws_efs_mount_target.spool]

  # A new image or setting registers new revisions but moves no service: an apply would move all
  # of them at once, a gap in every copy. Move them one at a time (README: "Upgrade on ECS").
  lifecycle {
    ignore_changes = [task_definition]
  }

  tags = {
    Name = "market-collector-${count.index + 1}"
  }
}
