"""Static checks of infra/terraform (no AWS access, no terraform binary needed).

The HCL is parsed to JSON by @cdktf/hcl2json (hcl_to_json.js, installed with `npm ci --prefix
tests/infra`, which this test runs itself when the package is missing), and every property the
deployment relies on is asserted on that JSON: a missing node or npm package is a FAILURE, never a
skip. MC_TERRAFORM_DIR points the test at another copy of the configuration: BrokenCopyTest
copies infra/terraform, breaks one property in the copy and checks that the test guarding it fails.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TF_DIR = Path(os.environ.get("MC_TERRAFORM_DIR", REPO / "infra" / "terraform")).resolve()
PACKAGE = "@cdktf/hcl2json"
EXPECTED_FILES = {"providers.tf", "main.tf", "s3.tf", "iam.tf", "network.tf", "ec2.tf", "efs.tf", "ecs.tf",
                  "cloudwatch.tf", "athena.tf", "curated_schedule.tf", "variables.tf", "outputs.tf"}
ALLOWED_EGRESS_PORTS = {443, 9443}
NFS_PORT = 2049
# Blocks that serve both platforms (the archive, the collector role and its policy, the reader policy,
# the collectors' security group); every other resource and data source exists on one platform only.
SHARED_TYPES = {"aws_s3_bucket", "aws_s3_bucket_ownership_controls", "aws_s3_bucket_public_access_block",
                "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
                "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_object_lock_configuration",
                "aws_s3_bucket_policy", "aws_iam_policy", "aws_cloudwatch_metric_alarm",
                # The archive on Athena and its schedule (athena.tf, curated_schedule.tf) read the bucket,
                # whichever platform wrote it.
                "aws_glue_catalog_database", "aws_glue_catalog_table", "aws_athena_workgroup",
                "aws_athena_named_query", "aws_sfn_state_machine", "aws_scheduler_schedule"}
SHARED_BLOCKS = {("data", "aws_subnet", "first"), ("resource", "aws_security_group", "collector"),
                 ("resource", "aws_iam_role", "collector"), ("resource", "aws_iam_role_policy", "collector"),
                 ("data", "aws_iam_policy_document", "collector"),
                 ("data", "aws_iam_policy_document", "collector_assume"),
                 ("data", "aws_iam_policy_document", "reader"), ("data", "aws_iam_policy_document", "raw_bucket"),
                 # The CloudWatch agent's grants: it runs with the collector's role on both platforms.
                 ("resource", "aws_iam_role_policy", "collector_cloudwatch"),
                 ("data", "aws_iam_policy_document", "collector_cloudwatch")}
# The schedule's blocks (curated_schedule.tf): count 1 with curated_schedule_enabled, whatever the platform.
SCHEDULE_BLOCKS = {("data", "aws_caller_identity", "curated"), ("data", "aws_iam_policy_document", "curated_day_assume"),
                   ("data", "aws_iam_policy_document", "curated_scheduler_assume"),
                   ("data", "aws_iam_policy_document", "curated_day"), ("data", "aws_iam_policy_document", "curated_scheduler"),
                   ("resource", "aws_iam_role", "curated_day"), ("resource", "aws_iam_role", "curated_scheduler"),
                   ("resource", "aws_iam_role_policy", "curated_day"), ("resource", "aws_iam_role_policy", "curated_scheduler"),
                   ("resource", "aws_sfn_state_machine", "curated_day"), ("resource", "aws_scheduler_schedule", "curated_day"),
                   ("resource", "aws_cloudwatch_metric_alarm", "curated_day_failed")}
EC2_ONLY_TYPES = {("data", "aws_ami"), ("resource", "aws_instance"), ("resource", "aws_iam_instance_profile")}
# The instances' log group: their agent ships the collector's log and its metric events there.
EC2_ONLY_BLOCKS = {("resource", "aws_cloudwatch_log_group", "ec2")}
# The collector's default METRICS_ADDR (src/config/config_table.cpp), which the agent scrapes.
DEFAULT_METRICS_ADDR = "127.0.0.1:9108"
# What the CloudWatch alarms must watch (docs/RUNBOOK.md, "Alerts"), by the metric each reads.
ALARM_METRICS = {"market_collector_symbol_trades_total", "market_collector_spool_oldest_age_seconds",
                 "market_collector_upload_failures_total", "market_collector_trade_ids_unrecoverable_total"}
METRIC_RENDERERS = [REPO / "src" / "app" / "metrics_server.cpp", REPO / "src" / "app" / "process_metrics.cpp"]
# The image's contract (infra/terraform/ecs.tf): its user, its spool, its metrics port.
IMAGE_UID = 10001
SPOOL_PATH = "/var/lib/market-collector/spool"
METRICS_PORT = 9108
# Fargate kills a container at most 120 s after SIGTERM. After STOP_TIMEOUT_SECS the stop still waits
# for the PUT in flight and stores its head: two PUTs, each aborted after 20 s below 1 KiB/s
# (docs/DECISIONS.md), and 20 s to spare.
FARGATE_MAX_STOP_TIMEOUT_S = 120
STOP_MARGIN_S = 2 * 20 + 20
ECR_PULL_ACTIONS = {"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage"}
GLACIER_CLASSES = {"GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}
# The curated datasets' columns, in order, partitions last (the contract with sql/curated/*.sql and
# docs/OHLCV.md); Hive types as Glue and the DDL of docs/ATHENA.md spell them.
PARTITIONS = [("symbol", "string"), ("dt", "string")]
CURATED_COLUMNS = {
    "trades_curated": [("trade_id", "bigint"), ("price", "decimal(18,8)"), ("qty", "decimal(18,8)"),
                       ("trade_time", "timestamp"), ("event_time", "timestamp"), ("is_buyer_maker", "boolean"),
                       ("recv_us", "bigint"), ("src", "string"), ("instance_id", "string")],
    "ohlcv_1s": [("open_time", "timestamp"), ("open_time_ms", "bigint"), ("open", "decimal(18,8)"),
                 ("high", "decimal(18,8)"), ("low", "decimal(18,8)"), ("close", "decimal(18,8)"),
                 ("volume", "decimal(38,8)"), ("quote_volume", "decimal(38,16)"), ("trade_count", "bigint"),
                 ("taker_buy_volume", "decimal(38,8)"), ("taker_buy_quote_volume", "decimal(38,16)"),
                 ("vwap", "decimal(18,8)"), ("first_trade_id", "bigint"), ("last_trade_id", "bigint")],
}
# Where athena.tf reads the queries from: the module's ../../sql/curated, i.e. the repository's.
CURATED_SQL = REPO / "sql" / "curated"
PARQUET = {"input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
           "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
           "serde": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}
CURATED_DAY_STATES = ["TradesCurated", "Ohlcv1s"]
NPM_TIMEOUT_S = 240
NODE_TIMEOUT_S = 60


def ensure_npm_package():
    """Installs tests/infra/node_modules from package-lock.json when the pinned package is absent."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise AssertionError("static.terraform needs Node.js and npm on PATH (node=%s, npm=%s); "
                             "on Debian: apt-get install nodejs npm" % (node, npm))
    pinned = json.loads((HERE / "package.json").read_text())["dependencies"][PACKAGE]
    installed = HERE / "node_modules" / PACKAGE / "package.json"
    if installed.exists() and json.loads(installed.read_text()).get("version") == pinned:
        return node
    run = subprocess.run([npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"],
                         capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
    if run.returncode != 0 or not installed.exists():
        raise AssertionError("npm ci --prefix tests/infra failed (exit %d), so %s@%s is missing:\n%s%s"
                             % (run.returncode, PACKAGE, pinned, run.stdout, run.stderr))
    return node


def hcl_to_json(node, directory):
    run = subprocess.run([node, str(HERE / "hcl_to_json.js"), str(directory)],
                         capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
    if run.returncode != 0:
        raise AssertionError("node hcl_to_json.js %s failed (exit %d): %s"
                             % (directory, run.returncode, run.stderr.strip()))
    return json.loads(run.stdout)


def norm(expr):
    """An expression with insignificant white space removed, for comparisons."""
    return re.sub(r"\s+", "", expr) if isinstance(expr, str) else expr


def as_list(value):
    return value if isinstance(value, list) else [value]


class TerraformStaticTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = ensure_npm_package()
        parsed = hcl_to_json(cls.node, TF_DIR)
        cls.files = set(parsed["files"])
        cls.cfg = parsed["config"]
        cls.locals = {}
        for block in cls.cfg.get("locals", []):
            cls.locals.update(block)

    # --- helpers -------------------------------------------------------------------------------

    def blocks(self, kind, rtype):
        """{name: body} of every `kind` (resource/data) block of type rtype; each name defined once."""
        found = self.cfg.get(kind, {}).get(rtype, {})
        for name, bodies in found.items():
            self.assertEqual(len(bodies), 1, "%s %s.%s is defined %d times" % (kind, rtype, name, len(bodies)))
        return {name: bodies[0] for name, bodies in found.items()}

    def only(self, kind, rtype):
        found = self.blocks(kind, rtype)
        self.assertEqual(len(found), 1, "expected exactly one %s %s, found %s" % (kind, rtype, sorted(found)))
        return next(iter(found.items()))

    def resolve(self, expr):
        """Substitutes literal locals (${local.x} where x is a plain string) into a string."""
        def sub(m):
            value = self.locals.get(m.group(1))
            return value if isinstance(value, str) and "${" not in value else m.group(0)
        return re.sub(r"\$\{local\.([A-Za-z0-9_]+)\}", sub, expr) if isinstance(expr, str) else expr

    def bucket_ref(self):
        name, _ = self.only("resource", "aws_s3_bucket")
        return "aws_s3_bucket.%s" % name

    def policy_doc(self, policy_expr):
        """The aws_iam_policy_document a `policy = data.aws_iam_policy_document.X(.[0]).json` refers to."""
        m = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)(?:\[0\])?\.json\}", norm(policy_expr))
        self.assertIsNotNone(m, "policy must be an aws_iam_policy_document's .json, got %r" % policy_expr)
        docs = self.blocks("data", "aws_iam_policy_document")
        self.assertIn(m.group(1), docs)
        return m.group(1), docs[m.group(1)]

    def assert_bucket_attached(self, body, what):
        self.assertIn(norm(body.get("bucket")), {"${%s.id}" % self.bucket_ref(), "${%s.bucket}" % self.bucket_ref()},
                      "%s must apply to the bucket" % what)

    def variable(self, name):
        variables = self.cfg.get("variable", {})
        self.assertIn(name, variables, "variable %s is missing" % name)
        self.assertEqual(len(variables[name]), 1)
        return variables[name][0]

    def collector_instance(self):
        return self.only("resource", "aws_instance")[1]

    def gate(self, body):
        """The platform a block's count or for_each limits it to; None when it has neither or another."""
        expr = norm(body.get("count", body.get("for_each")))
        if not isinstance(expr, str) or not re.search(r"local\.ec[2s]\b|var\.platform", expr):
            return None
        m = re.fullmatch(r"\$\{local\.(ec2|ecs)(?:&&[^?]+)?\?.+:(0|\[\]|\{\}|toset\(\[\]\))\}", expr)
        self.assertIsNotNone(m, "count/for_each %r must be `local.<platform> ? ... : 0` (or an empty collection)"
                             % expr)
        return m.group(1)

    def ref(self, expr, rtype, attr, index=None):
        """The name X of `${rtype.X[index].attr}` (index: None for no index), or a failure."""
        idx = "" if index is None else r"\[%s\]" % re.escape(index)
        m = re.fullmatch(r"\$\{%s\.([A-Za-z0-9_-]+)%s\.%s\}" % (re.escape(rtype), idx, attr), norm(expr or ""))
        self.assertIsNotNone(m, "expected ${%s.<name>%s.%s}, got %r" % (rtype, "" if index is None else "[%s]" % index,
                                                                       attr, expr))
        return m.group(1)

    def role_policies(self, role_name):
        """[(type, name, body)] of every policy resource that names role role_name."""
        refs = {"${aws_iam_role.%s%s.%s}" % (role_name, i, a) for a in ("id", "name") for i in ("", "[0]")}
        attached = []
        for rtype, key in (("aws_iam_role_policy", "role"), ("aws_iam_role_policy_attachment", "role"),
                           ("aws_iam_policy_attachment", "roles"), ("aws_iam_role_policies_exclusive", "role_name"),
                           ("aws_iam_role_policy_attachments_exclusive", "role_name")):
            for name, body in self.blocks("resource", rtype).items():
                if any(norm(r) in refs for r in as_list(body.get(key, []))):
                    attached.append((rtype, name, body))
        return attached

    def task_definition(self):
        return self.only("resource", "aws_ecs_task_definition")

    def task_containers(self):
        """The match of the task's two containers: the collector, then the CloudWatch agent."""
        _, task = self.task_definition()
        m = re.fullmatch(r"\$\{jsonencode\(\[merge\(local\.([A-Za-z0-9_]+),\{environment=\[forname,valueinmerge\("
                         r"local\.([A-Za-z0-9_]+),\{INSTANCE_ID=(.+?)\}\):\{name=name,value=value\}\]\}\),"
                         r"merge\(local\.([A-Za-z0-9_]+),\{environment=local\.([A-Za-z0-9_]+)\[count\.index\]\}\),?\]\)\}",
                         norm(task["container_definitions"]))
        self.assertIsNotNone(m, "container_definitions must be jsonencode([merge(local.<container>, {environment = "
                             "[for name, value in merge(local.<env>, {INSTANCE_ID = ...}) : "
                             "{name = name, value = value}]}), merge(local.<agent>, {environment = "
                             "local.<agent env>[count.index]})]), got %r" % task["container_definitions"])
        return m

    def agent_container(self):
        """The CloudWatch agent's container (an object literal) and the expression of its per-task environments."""
        m = self.task_containers()
        agent = self.locals.get(m.group(4))
        self.assertIsInstance(agent, dict, "local.%s must be an object literal" % m.group(4))
        self.assertNotIn("environment", agent, "the environment is set per task, from local.%s" % m.group(5))
        return agent, self.locals.get(m.group(5))

    def ecs_agent_config(self):
        """(templatefile() variables, parsed JSON) of the ECS agents' configuration, CW_CONFIG_CONTENT."""
        _, text, variables = self.template_call(self.locals.get("ecs_agent_config"), "local.ecs_agent_config")
        return variables, self.agent_json(text, variables)

    def container(self):
        """The collector's container: local.collector_container plus its environment, as name -> value."""
        m = self.task_containers()
        container, env = self.locals.get(m.group(1)), self.locals.get(m.group(2))
        self.assertIsInstance(container, dict, "local.%s must be an object literal" % m.group(1))
        self.assertIsInstance(env, dict, "local.%s must be a map literal" % m.group(2))
        self.assertNotIn("environment", container, "the environment is set per task, from local.%s" % m.group(2))
        self.assertNotIn("INSTANCE_ID", env, "INSTANCE_ID is set per task")
        return container, {**env, "INSTANCE_ID": "${%s}" % m.group(3)}

    def assert_precondition(self, body, condition, why):
        conditions = [norm(p["condition"]) for lc in body.get("lifecycle", []) for p in lc.get("precondition", [])]
        self.assertIn(condition, conditions, why)

    def collector_sg_name(self):
        return self.ref(self.collector_instance()["vpc_security_group_ids"][0], "aws_security_group", "id")

    def user_data_template(self):
        user_data = self.collector_instance().get("user_data") or ""
        m = re.match(r'^\$\{templatefile\("\$\{path\.module\}/([A-Za-z0-9_.-]+)",\s*\{\n(.*)\n\s*\}\)\}$',
                     user_data, re.S)
        self.assertIsNotNone(m, "user_data must be templatefile(\"${path.module}/<file>\", {one key per line}), "
                             "got %r" % user_data)
        self.assertEqual(m.group(1), "user_data.sh.tftpl")
        template_vars = {}
        for line in m.group(2).splitlines():
            kv = re.fullmatch(r"\s*([A-Za-z0-9_]+)\s*=(?!=)\s*(.+?)\s*", line)
            self.assertIsNotNone(kv, "cannot read templatefile() variable line %r" % line)
            template_vars[kv.group(1)] = kv.group(2)
        return (TF_DIR / m.group(1)).read_text(), template_vars

    # --- files and providers -------------------------------------------------------------------

    def test_files_present(self):
        self.assertEqual(self.files, EXPECTED_FILES)
        self.assertTrue((TF_DIR / "user_data.sh.tftpl").is_file())
        self.assertTrue((TF_DIR / "README.md").is_file())

    def test_provider_version_constraints(self):
        terraform = self.cfg["terraform"]
        self.assertEqual(len(terraform), 1)
        self.assertEqual(norm(terraform[0]["required_version"]), ">=1.5")
        aws = terraform[0]["required_providers"][0]["aws"]
        self.assertEqual(aws["source"], "hashicorp/aws")
        self.assertRegex(norm(aws["version"]), r"^~>5\.\d+$")
        self.assertEqual(norm(self.cfg["provider"]["aws"][0]["region"]), "${var.region}")

    # --- bucket --------------------------------------------------------------------------------

    def test_bucket_named_by_variable_and_protected(self):
        _, bucket = self.only("resource", "aws_s3_bucket")
        self.assertEqual(bucket["bucket"], "${var.bucket_name}")
        self.assertNotEqual(bucket.get("force_destroy"), True)
        self.assertEqual(bucket.get("lifecycle"), [{"prevent_destroy": True}],
                         "the archive is never destroyed by a plan")
        for legacy in ("versioning", "server_side_encryption_configuration", "lifecycle_rule", "acl", "policy"):
            self.assertNotIn(legacy, bucket, "use the separate aws_s3_bucket_* resource, not %s" % legacy)

    def test_versioning_enabled(self):
        _, versioning = self.only("resource", "aws_s3_bucket_versioning")
        self.assert_bucket_attached(versioning, "versioning")
        self.assertEqual(versioning["versioning_configuration"][0]["status"], "Enabled")

    def test_default_encryption_sse_s3_with_bucket_key(self):
        _, sse = self.only("resource", "aws_s3_bucket_server_side_encryption_configuration")
        self.assert_bucket_attached(sse, "encryption")
        rules = sse["rule"]
        self.assertEqual(len(rules), 1)
        default = rules[0]["apply_server_side_encryption_by_default"][0]
        self.assertEqual(default["sse_algorithm"], "AES256")
        self.assertNotIn("kms_master_key_id", default)
        self.assertIs(rules[0]["bucket_key_enabled"], True)

    def test_public_access_block_all_true(self):
        _, pab = self.only("resource", "aws_s3_bucket_public_access_block")
        self.assert_bucket_attached(pab, "public access block")
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            self.assertIs(pab.get(flag), True, "%s must be true" % flag)

    def test_ownership_bucket_owner_enforced(self):
        _, ownership = self.only("resource", "aws_s3_bucket_ownership_controls")
        self.assert_bucket_attached(ownership, "ownership controls")
        self.assertEqual([r["object_ownership"] for r in ownership["rule"]], ["BucketOwnerEnforced"])

    def test_lifecycle_rules(self):
        _, lifecycle = self.only("resource", "aws_s3_bucket_lifecycle_configuration")
        self.assert_bucket_attached(lifecycle, "lifecycle")
        self.assertIn("${aws_s3_bucket_versioning.%s}" % self.only("resource", "aws_s3_bucket_versioning")[0],
                      lifecycle.get("depends_on", []), "noncurrent rules need versioning first")
        rules = lifecycle.get("rule", [])
        for rule in rules:
            self.assertEqual(rule["status"], "Enabled", rule["id"])

        abort = [r for r in rules if "abort_incomplete_multipart_upload" in r]
        self.assertEqual(len(abort), 1, "one rule aborting incomplete multipart uploads")
        self.assertEqual(abort[0]["abort_incomplete_multipart_upload"][0]["days_after_initiation"], 7)
        self.assertEqual(abort[0]["filter"], [{}], "the abort rule covers the whole bucket")

        noncurrent = [r for r in rules if "noncurrent_version_expiration" in r]
        self.assertEqual(len(noncurrent), 1, "one rule expiring noncurrent versions")
        self.assertEqual(noncurrent[0]["noncurrent_version_expiration"][0]["noncurrent_days"],
                         "${var.noncurrent_version_expiration_days}")
        self.assertEqual(noncurrent[0]["filter"], [{}])
        for rule in rules:
            self.assertNotIn("transition", rule, "the Glacier transition must be optional (dynamic rule)")
        # Current objects are never expired, but Athena's query results.
        expiring = [r for r in rules if "expiration" in r]
        self.assertEqual([[self.resolve(f.get("prefix")) for f in r["filter"]] for r in expiring], [["athena-results/"]],
                         "only the Athena results expire")
        self.assertEqual(expiring[0]["expiration"], [{"days": "${var.athena_results_expiration_days}"}])
        self.assertEqual(self.resolve(self.only("resource", "aws_athena_workgroup")[1]["configuration"][0]
                                      ["result_configuration"][0]["output_location"]),
                         "s3://${%s.id}/athena-results/" % self.bucket_ref(), "the prefix the workgroup writes to")

        dynamic = lifecycle.get("dynamic", {}).get("rule", [])
        self.assertEqual(len(dynamic), 1, "one dynamic rule: the optional Glacier transition")
        for_each = norm(dynamic[0]["for_each"])
        enabled = re.fullmatch(r"\$\{local\.([A-Za-z0-9_]+)\?\[var\.glacier_transition_days\]:\[\]\}", for_each)
        if enabled:  # the condition lives in a local
            condition = norm(self.locals.get(enabled.group(1)))
        else:
            self.assertRegex(for_each, r"\?\[.*\]:\[\]\}$", "for_each must be empty when disabled")
            condition = for_each
        self.assertIn("var.glacier_transition_days", condition)
        self.assertRegex(condition,
                         r"(coalesce\(var\.glacier_transition_days,0\)>0|var\.glacier_transition_days!=null)",
                         "both 0 and null must disable the transition")
        content = dynamic[0]["content"][0]
        self.assertEqual(content["status"], "Enabled")
        self.assertEqual(self.resolve(content["filter"][0]["prefix"]), "raw/")
        transition = content["transition"][0]
        self.assertIn(norm(transition["days"]), {"${rule.value}", "${var.glacier_transition_days}"})
        storage = transition["storage_class"]
        if storage.startswith("${var."):
            var = self.variable(storage[len("${var."):-1])
            self.assertIn(var["default"], GLACIER_CLASSES)
            allowed = set(re.findall(r'"([A-Z_]+)"', var["validation"][0]["condition"]))
            self.assertTrue(allowed and allowed <= GLACIER_CLASSES, "storage class limited to Glacier: %s" % allowed)
        else:
            self.assertIn(storage, GLACIER_CLASSES)

    def test_bucket_policy_denies_plain_http_and_other_encryption(self):
        _, policy = self.only("resource", "aws_s3_bucket_policy")
        self.assert_bucket_attached(policy, "bucket policy")
        _, doc = self.policy_doc(policy["policy"])
        statements = doc["statement"]
        bucket_arn = "${%s.arn}" % self.bucket_ref()
        for st in statements:
            self.assertEqual(st.get("effect"), "Deny", "the bucket policy only denies: %s" % st.get("sid"))
            if st.get("sid") != "DenyCollectorPutWithoutIfNoneMatch":
                self.assertEqual(st["principals"], [{"type": "*", "identifiers": ["*"]}])

        conditions = self.conditions

        tls = [st for st in statements if ("Bool", "aws:SecureTransport", ("false",)) in conditions(st)]
        self.assertEqual(len(tls), 1, "one statement denying aws:SecureTransport=false")
        self.assertIn(tls[0]["actions"], (["s3:*"], ["*"]))
        self.assertEqual(set(tls[0]["resources"]), {bucket_arn, bucket_arn + "/*"})

        header = "s3:x-amz-server-side-encryption"
        other_sse = [st for st in statements if ("StringNotEquals", header, ("AES256",)) in conditions(st)]
        self.assertEqual(len(other_sse), 1, "one statement denying PutObject with SSE other than AES256")
        no_sse = [st for st in statements if ("Null", header, ("true",)) in conditions(st)]
        self.assertEqual(len(no_sse), 1, "one statement denying PutObject without the SSE header")
        for st in other_sse + no_sse:
            self.assertEqual(st["actions"], ["s3:PutObject"])
            self.assertEqual(st["resources"], [bucket_arn + "/*"])
            self.assertEqual(len(st["condition"]), 1, "a second condition would narrow the deny")

    @staticmethod
    def conditions(st):
        return {(c["test"], c["variable"], tuple(c["values"])) for c in st.get("condition", [])}

    def test_bucket_policy_denies_the_collector_any_put_without_if_none_match(self):
        _, policy = self.only("resource", "aws_s3_bucket_policy")
        _, doc = self.policy_doc(policy["policy"])
        bucket_arn = "${%s.arn}" % self.bucket_ref()
        denies = [st for st in doc["statement"] if ("Null", "s3:if-none-match", ("true",)) in self.conditions(st)]
        self.assertEqual(len(denies), 1, "one statement denying PutObject without If-None-Match")
        st = denies[0]
        self.assertEqual(st.get("effect"), "Deny")
        self.assertEqual(st["actions"], ["s3:PutObject"])
        self.assertEqual(st["resources"], [bucket_arn + "/*"])
        self.assertEqual(len(st["condition"]), 1, "a second condition would narrow the deny")
        role_name, _ = self.collector_role()
        self.assertEqual([{**p, "identifiers": [norm(i) for i in p["identifiers"]]} for p in st["principals"]],
                         [{"type": "AWS", "identifiers": ["${aws_iam_role.%s.arn}" % role_name]}])

    def test_object_lock_is_an_optional_governance_retention_off_by_default(self):
        variable = self.variable("object_lock_days")
        self.assertEqual(variable.get("default"), 0)
        self.assertIn("var.object_lock_days", variable["validation"][0]["condition"])
        _, lock = self.only("resource", "aws_s3_bucket_object_lock_configuration")
        self.assert_bucket_attached(lock, "object lock")
        self.assertEqual(norm(lock["count"]), "${var.object_lock_days>0?1:0}")
        retention = lock["rule"][0]["default_retention"][0]
        self.assertEqual(retention["mode"], "GOVERNANCE")
        self.assertEqual(retention["days"], "${var.object_lock_days}")
        self.assertNotIn("years", retention)
        _, bucket = self.only("resource", "aws_s3_bucket")
        self.assertNotIn("object_lock_enabled", bucket, "set on the bucket it would replace an existing one")

    # --- IAM -----------------------------------------------------------------------------------

    def collector_role(self):
        roles = self.blocks("resource", "aws_iam_role")
        profile_name, profile = self.only("resource", "aws_iam_instance_profile")
        m = re.fullmatch(r"\$\{aws_iam_role\.([A-Za-z0-9_-]+)\.(name|id)\}", profile["role"])
        self.assertIsNotNone(m, "the instance profile must name a role of this configuration")
        self.assertEqual(norm(self.collector_instance()["iam_instance_profile"]),
                         "${aws_iam_instance_profile.%s[0].name}" % profile_name)
        return m.group(1), roles[m.group(1)]

    def test_collector_role_trusts_ec2_or_ecs_tasks_by_platform(self):
        _, role = self.collector_role()
        m = re.fullmatch(r"\$\{local\.ecs\?(.+):(.+)\}", norm(role["assume_role_policy"]))
        self.assertIsNotNone(m, "the collector role's trust follows the switch: local.ecs ? <ecs tasks> : <ec2>")
        ecs_doc_name, ecs_trust = self.policy_doc("${%s}" % m.group(1))
        _, ec2_trust = self.policy_doc("${%s}" % m.group(2))
        self.assertEqual(self.gate(self.blocks("data", "aws_iam_policy_document")[ecs_doc_name]), "ecs")
        for trust, service in ((ec2_trust, "ec2.amazonaws.com"), (ecs_trust, "ecs-tasks.amazonaws.com")):
            self.assertEqual(len(trust["statement"]), 1)
            st = trust["statement"][0]
            self.assertEqual(st.get("effect", "Allow"), "Allow")
            self.assertEqual(st["actions"], ["sts:AssumeRole"])
            self.assertEqual(st["principals"], [{"type": "Service", "identifiers": [service]}])
        self.assertNotIn("condition", ec2_trust["statement"][0])
        # ECS assumes the role only for tasks of this account (confused deputy).
        conditions = ecs_trust["statement"][0].get("condition", [])
        self.assertEqual(len(conditions), 1)
        self.assertEqual((conditions[0]["test"], conditions[0]["variable"]), ("StringEquals", "aws:SourceAccount"))
        self.assertRegex(norm(conditions[0]["values"][0]), r"^\$\{data\.aws_caller_identity\.\w+\[0\]\.account_id\}$")

    def collector_policies(self):
        """{"s3" | "agent": body} of the collector role's inline policies, both for both platforms: its own S3
        grants, and the CloudWatch agent's (the agent runs with the role on EC2 and on ECS); nothing attached."""
        role_name, role = self.collector_role()
        for attr in ("managed_policy_arns", "inline_policy"):
            self.assertNotIn(attr, role, "all of the collector role's permissions are in aws_iam_role_policy blocks")
        attached = self.role_policies(role_name)
        self.assertEqual({t for t, _, _ in attached}, {"aws_iam_role_policy"}, "the collector's policies are inline")
        self.assertEqual(sorted(n for _, n, _ in attached), ["collector", "collector_cloudwatch"],
                         "two policies on the collector role: its S3 grants and the CloudWatch agent's")
        by_job = {{"collector": "s3", "collector_cloudwatch": "agent"}[name]: body for _, name, body in attached}
        for body in by_job.values():
            self.assertIsNone(self.gate(body), "the collector role's policies serve both platforms")
        return by_job

    def test_collector_role_gets_nothing_for_athena_or_the_schedule(self):
        """The curated datasets and their schedule have roles of their own: the collector's grants stay its S3
        writes and the agent's metrics and logs."""
        grants = set()
        for body in self.collector_policies().values():
            _, doc = self.policy_doc(body["policy"])
            grants |= {a for st in doc["statement"] for a in st["actions"]}
        self.assertEqual(grants, {"s3:PutObject", "s3:GetObject", "cloudwatch:PutMetricData", "logs:CreateLogStream",
                                  "logs:PutLogEvents"})
        role_name, _ = self.collector_role()
        for path in (TF_DIR / "athena.tf", TF_DIR / "curated_schedule.tf"):
            self.assertNotIn("aws_iam_role.%s" % role_name, path.read_text(), "%s uses the collector role" % path.name)

    def test_collector_role_has_exactly_put_and_get_object_on_raw(self):
        _, doc = self.policy_doc(self.collector_policies()["s3"]["policy"])
        # PutObject to add objects; GetObject only to compare an object whose key a PUT found taken.
        self.assertEqual(sorted(st["actions"][0] for st in doc["statement"]), ["s3:GetObject", "s3:PutObject"])
        for st in doc["statement"]:
            self.assertEqual(st.get("effect", "Allow"), "Allow")
            self.assertEqual(len(st["actions"]), 1)
            self.assertEqual([self.resolve(norm(r)) for r in st["resources"]], ["${%s.arn}/raw/*" % self.bucket_ref()])
            for loosening in ("not_actions", "not_resources", "not_principals", "principals", "condition"):
                self.assertNotIn(loosening, st)
        self.assertNotIn("source_policy_documents", doc)
        self.assertNotIn("override_policy_documents", doc)

    def test_reader_policy_is_separate(self):
        _, reader = self.only("resource", "aws_iam_policy")
        doc_name, doc = self.policy_doc(reader["policy"])
        collector_policy = self.collector_policies()["s3"]
        self.assertNotEqual(doc_name, self.policy_doc(collector_policy["policy"])[0])
        bucket_arn = "${%s.arn}" % self.bucket_ref()
        grants = {(a, self.resolve(norm(r))) for st in doc["statement"] if st.get("effect", "Allow") == "Allow"
                  for a in st["actions"] for r in st["resources"]}
        self.assertEqual(grants, {("s3:GetObject", bucket_arn + "/raw/*"), ("s3:ListBucket", bucket_arn)})
        self.assertEqual(self.blocks("resource", "aws_iam_role_policy_attachment"), {},
                         "the reader policy is attached by the operators, not to a role here")

    # --- EC2 -----------------------------------------------------------------------------------

    def test_instances(self):
        instance = self.collector_instance()
        self.assertEqual(norm(instance["count"]), "${local.ec2?var.instance_count:0}")
        self.assert_precondition(instance, "${var.package_url!=null}", "package_url is optional, but not on EC2")
        count_var = self.variable("instance_count")
        self.assertEqual(count_var["default"], 3)
        self.assertEqual(count_var["type"], "${number}")
        self.assertIn("var.instance_count>=1", norm(count_var["validation"][0]["condition"]))
        itype = instance["instance_type"]
        if itype.startswith("${var."):
            itype = self.variable(itype[len("${var."):-1])["default"]
        self.assertEqual(itype, "t3.micro")
        self.assertEqual(norm(instance["subnet_id"]),
                         "${element(var.subnet_ids,count.index%length(var.subnet_ids))}")
        self.assertRegex(instance["tags"]["Name"], r"^market-collector-\$\{count\.index\s*\+\s*1\}$")

    def test_ami_debian12_unless_given(self):
        instance = self.collector_instance()
        ami_name, ami = self.only("data", "aws_ami")
        self.assertEqual(norm(instance["ami"]),
                         "${var.ami_id!=null?var.ami_id:data.aws_ami.%s[0].id}" % ami_name)
        self.assertEqual(norm(ami["count"]), "${local.ec2&&var.ami_id==null?1:0}")
        self.assertIs(ami["most_recent"], True)
        self.assertEqual(ami["owners"], ["136693071363"])
        filters = {f["name"]: f["values"] for f in ami["filter"]}
        self.assertEqual(filters["name"], ["debian-12-amd64-*"])
        self.assertIsNone(self.variable("ami_id").get("default"))

    def test_imdsv2_required_hop_limit_one(self):
        metadata = self.collector_instance()["metadata_options"]
        self.assertEqual(len(metadata), 1)
        self.assertEqual(metadata[0]["http_tokens"], "required")
        self.assertEqual(metadata[0]["http_put_response_hop_limit"], 1)
        self.assertEqual(metadata[0]["http_endpoint"], "enabled")

    def security_group(self):
        """The collectors' group: the instances' and the ECS tasks'."""
        name = self.collector_sg_name()
        self.assertEqual(self.collector_instance()["vpc_security_group_ids"], ["${aws_security_group.%s.id}" % name])
        return self.blocks("resource", "aws_security_group")[name]

    def test_security_group_no_ingress_https_egress_only(self):
        sg = self.security_group()
        self.assertIn(sg.get("ingress", []), ([], [[]]), "no ingress at all")
        for separate in ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
                         "aws_vpc_security_group_egress_rule"):
            self.assertEqual(self.blocks("resource", separate), {}, "rules are inline and authoritative")
        egress = sg.get("egress", [])
        self.assertTrue(egress, "egress rules are explicit (an SG without them would keep AWS's allow-all)")
        ports = set()
        for rule in egress:
            self.assertEqual(rule["protocol"], "tcp")
            self.assertEqual(rule["from_port"], rule["to_port"], "single ports only")
            self.assertIn(rule["from_port"], ALLOWED_EGRESS_PORTS)
            ports.add(rule["from_port"])
            for other in ("security_groups", "prefix_list_ids", "self"):
                self.assertNotIn(other, rule)
        self.assertIn(443, ports)

    def test_binance_port_allowed(self):
        """The collector's default BINANCE_WS_URL uses 9443: either it is open or the URL moves to 443."""
        ports = {rule["from_port"] for rule in self.security_group()["egress"]}
        template, _ = self.user_data_template()
        url = re.search(r"^BINANCE_WS_URL=(\S+)$", template, re.M)
        _, env = self.container()
        for where, value in (("the instances", url.group(1) if url else None),
                             ("the tasks", env.get("BINANCE_WS_URL"))):
            port = int(re.search(r":(\d+)", value.split("//", 1)[1]).group(1)) if value else 9443
            self.assertIn(port, ports, "%s cannot reach Binance on port %d" % (where, port))

    def test_user_data(self):
        template, template_vars = self.user_data_template()
        used = set(re.findall(r"(?<!\$)\$\{([A-Za-z0-9_]+)\}", template))
        used |= set(re.findall(r"%\{\s*if\s+([A-Za-z0-9_]+)", template))
        self.assertEqual(used, set(template_vars), "template placeholders and templatefile() variables differ")
        self.assertEqual(norm(template_vars["package_url"]), "var.package_url")
        self.assertEqual(self.resolve("${%s}" % norm(template_vars["s3_prefix"])), "raw/")
        self.assertIn(norm(template_vars["raw_bucket"]), {"%s.id" % self.bucket_ref(), "%s.bucket" % self.bucket_ref()})
        self.assertEqual(norm(template_vars["region"]), "var.region")
        self.assertIn("var.symbols", template_vars["symbols"])

        self.assertTrue(template.startswith("#!/bin/bash\n"))
        self.assertIn("set -euo pipefail", template)
        self.assertRegex(template, r"curl [^\n]*'\$\{package_url\}'")
        self.assertRegex(template, r"apt-get [^\n]*install -y[^\n]* \"\$deb\"")
        self.assertRegex(template, r'deb="\$[A-Za-z_]+/[^"]+\.deb"', "apt-get needs a path with a slash")

        env = re.search(r"cat > /etc/market-collector/collector\.env <<'(\w+)'\n(.*?)\n\1\n", template, re.S)
        self.assertIsNotNone(env, "user data writes /etc/market-collector/collector.env from a quoted heredoc")
        settings = dict(line.split("=", 1) for line in env.group(2).splitlines())
        self.assertEqual(settings["RAW_BUCKET"], "${raw_bucket}")
        self.assertEqual(settings["AWS_REGION"], "${region}")
        self.assertEqual(settings["SYMBOL"], "${symbols}")
        self.assertEqual(settings["S3_PREFIX"], "${s3_prefix}")
        self.assertEqual(settings.get("S3_SSE", "AES256"), "AES256", "the bucket policy only accepts AES256")
        for secret in ("AWS_SECRET", "AWS_ACCESS_KEY", "AWS_SESSION_TOKEN", "BINANCE_API_KEY"):
            self.assertNotIn(secret, template)
            self.assertNotIn(secret, json.dumps(template_vars))
        start = template.index("systemctl enable --now market-collector")
        self.assertLess(env.start(), start, "settings are written before the service starts")

    def test_user_data_keeps_collector_env_0640(self):
        template, _ = self.user_data_template()
        path = "/etc/market-collector/collector.env"
        created = re.search(r"^install -m 0640 -o root -g market-collector /dev/null " + re.escape(path) + "$",
                            template, re.M)
        self.assertIsNotNone(created, "collector.env is created 0640 root:market-collector")
        self.assertLess(created.start(), template.index("cat > " + path), "the mode is set before the settings are written")
        for line in template.splitlines():
            if path in line and re.match(r"\s*(chmod|chown|install|cp|mv)\b", line):
                self.assertEqual(line, created.group(0), f"nothing else changes the file's mode or owner: {line}")

    def test_user_data_renders_to_valid_bash(self):
        template, _ = self.user_data_template()
        rendered = re.sub(r"^%\{[^}]*\}\n", "", template, flags=re.M)
        rendered = re.sub(r"(?<!\$)\$\{([A-Za-z0-9_]+)\}", "x", rendered).replace("$${", "${")
        self.assertNotIn("%{", rendered)
        with tempfile.NamedTemporaryFile("w", suffix=".sh") as script:
            script.write(rendered)
            script.flush()
            check = subprocess.run(["bash", "-n", script.name], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)

    # --- CloudWatch ----------------------------------------------------------------------------------

    def ecs_log_group(self):
        """(name, body) of the tasks' log group: the ECS group that is not the agents' metric events'."""
        found = [(n, b) for n, b in self.blocks("resource", "aws_cloudwatch_log_group").items()
                 if self.gate(b) == "ecs" and n != "ecs_metrics"]
        self.assertEqual(len(found), 1, "one log group for the tasks")
        return found[0]

    def ec2_log_group(self):
        groups = self.blocks("resource", "aws_cloudwatch_log_group")
        self.assertIn("ec2", groups, "the instances' log group is aws_cloudwatch_log_group.ec2")
        return groups["ec2"]

    def agent_files(self):
        """(prometheus.yaml, agent JSON config) as user data writes them, and the templatefile() variables."""
        template, template_vars = self.user_data_template()
        heredocs = dict(re.findall(r"cat > (\S+) <<'(?:\w+)'\n(.*?)\n[A-Z]+\n", template, re.S))
        prometheus = heredocs.get("/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml")
        agent = heredocs.get("/opt/aws/amazon-cloudwatch-agent/etc/market-collector.json")
        self.assertIsNotNone(prometheus, "user data writes the agent's prometheus.yaml")
        self.assertIsNotNone(agent, "user data writes the agent's JSON configuration")
        self.assertIn("amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \\\n"
                      "  -c file:/opt/aws/amazon-cloudwatch-agent/etc/market-collector.json", template)
        return prometheus, self.agent_json(agent, template_vars), template_vars

    def agent_json(self, text, template_vars):
        """An agent JSON template parsed, its ${metric_declaration} being local.agent_metric_declaration."""
        self.assertEqual(norm(template_vars.get("metric_declaration")), "jsonencode(local.agent_metric_declaration)",
                         "both platforms' agents send the one list of cloudwatch.tf")
        self.assertEqual(text.count('"metric_declaration": ${metric_declaration}'), 1)
        declarations = self.locals.get("agent_metric_declaration")
        self.assertIsInstance(declarations, list, "local.agent_metric_declaration must be a literal list")
        return json.loads(text.replace("${metric_declaration}", json.dumps(declarations)))

    def prometheus_of(self, agent):
        """The agent's Prometheus section: logs.metrics_collected.prometheus, where the agent reads it."""
        self.assertNotIn("prometheus", agent["logs"].get("logs_collected", {}), "the agent ignores it there")
        return agent["logs"]["metrics_collected"]["prometheus"]

    def template_call(self, expr, what):
        """(file, {variable: expression}) of `templatefile("${path.module}/<file>", {one key per line})`."""
        m = re.fullmatch(r'\$\{templatefile\("\$\{path\.module\}/([A-Za-z0-9_.-]+)",\s*\{\n(.*)\n\s*\}\)\}',
                         expr or "", re.S)
        self.assertIsNotNone(m, "%s must be templatefile(\"${path.module}/<file>\", {one key per line}), got %r"
                             % (what, expr))
        variables = {}
        for line in m.group(2).splitlines():
            kv = re.fullmatch(r"\s*([A-Za-z0-9_]+)\s*=(?!=)\s*(.+?)\s*", line)
            self.assertIsNotNone(kv, "cannot read templatefile() variable line %r" % line)
            variables[kv.group(1)] = kv.group(2)
        text = (TF_DIR / m.group(1)).read_text()
        used = set(re.findall(r"(?<!\$)\$\{([A-Za-z0-9_]+)\}", text))
        self.assertEqual(used, set(variables), "%s: placeholders and templatefile() variables differ" % m.group(1))
        return m.group(1), text, variables

    def exported_metrics(self):
        names = set()
        for source in METRIC_RENDERERS:
            for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', source.read_text()):
                names.update(re.findall(r"\b((?:market_collector|process)_[a-z0-9_]*[a-z0-9])\b", literal))
        return names

    def test_ec2_log_group_with_retention(self):
        group = self.ec2_log_group()
        self.assertEqual(norm(group["count"]), "${local.ec2?1:0}")
        self.assertEqual(group["retention_in_days"], "${var.log_retention_days}")

    def test_cloudwatch_policy_is_least_privilege(self):
        body = self.collector_policies()["agent"]
        _, doc = self.policy_doc(body["policy"])
        self.assertNotIn("source_policy_documents", doc)
        self.assertNotIn("override_policy_documents", doc)
        grants = {}
        for st in doc["statement"]:
            self.assertEqual(st.get("effect", "Allow"), "Allow")
            for loosening in ("not_actions", "not_resources", "not_principals", "principals"):
                self.assertNotIn(loosening, st)
            for action in st["actions"]:
                self.assertNotIn("*", action, "no wildcard actions")
                grants[action] = st
        self.assertEqual(set(grants), {"cloudwatch:PutMetricData", "logs:CreateLogStream", "logs:PutLogEvents"})
        # PutMetricData has no resource: the namespace condition is its only scope.
        metrics = grants["cloudwatch:PutMetricData"]
        self.assertEqual(metrics["actions"], ["cloudwatch:PutMetricData"])
        self.assertEqual(metrics["resources"], ["*"])
        self.assertEqual([(c["test"], c["variable"], c["values"]) for c in metrics.get("condition", [])],
                         [("StringEquals", "cloudwatch:namespace", ["${var.cloudwatch_namespace}"])])
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            st = grants[action]
            self.assertNotIn("condition", st)
            self.assertEqual([norm(r) for r in st["resources"]],
                             ["${local.agent_log_group_arn}", "${local.agent_log_group_arn}:*"])
        # The agent's own group on each platform: the instances' on EC2, the tasks' metric events on ECS.
        self.assertEqual(norm(self.locals["agent_log_group_arn"]), "${local.ec2?aws_cloudwatch_log_group.ec2[0].arn"
                         ":aws_cloudwatch_log_group.ecs_metrics[0].arn}")
        self.assertEqual(norm(self.blocks("resource", "aws_cloudwatch_log_group")["ecs_metrics"]["count"]),
                         "${local.ecs?1:0}")

    def test_agent_scrapes_the_collectors_metrics_addr(self):
        _, template_vars = self.user_data_template()
        template, _ = self.user_data_template()
        self.assertEqual(norm(template_vars["metrics_addr"]), "local.metrics_addr")
        self.assertEqual(self.locals.get("metrics_addr"), DEFAULT_METRICS_ADDR)
        env = re.search(r"cat > /etc/market-collector/collector\.env <<'(\w+)'\n(.*?)\n\1\n", template, re.S)
        settings = dict(line.split("=", 1) for line in env.group(2).splitlines())
        self.assertEqual(settings.get("METRICS_ADDR"), "${metrics_addr}", "the collector serves where the agent scrapes")
        prometheus, _, _ = self.agent_files()
        targets = re.findall(r"^\s*- targets: \[(.*)\]$", prometheus, re.M)
        self.assertEqual(targets, ['"${metrics_addr}"'], "one target: the collector's METRICS_ADDR")
        self.assertRegex(prometheus, r"(?m)^  - job_name: market-collector$")
        self.assertRegex(prometheus, r'(?m)^\s+collector: "\$\{collector_name\}"$')
        self.assertEqual(norm(template_vars["collector_name"]), "local.collector_names[count.index]")

    def test_agent_sends_to_the_log_group_and_namespace(self):
        _, agent, template_vars = self.agent_files()
        self.assertEqual(norm(template_vars["log_group"]), "aws_cloudwatch_log_group.ec2[0].name")
        self.assertEqual(norm(template_vars["namespace"]), "var.cloudwatch_namespace")
        logs = agent["logs"]["logs_collected"]
        prometheus = self.prometheus_of(agent)
        groups = {f["log_group_name"] for f in logs["files"]["collect_list"]} | {prometheus["log_group_name"]}
        self.assertEqual(groups, {"${log_group}"}, "every log event goes to the one group the role may write")
        self.assertEqual(agent["metrics"]["namespace"], "${namespace}")
        self.assertEqual(prometheus["emf_processor"]["metric_namespace"], "${namespace}")
        self.assertNotIn("retention_in_days", json.dumps(agent), "retention is Terraform's (the role may not set it)")

    def test_alarms_for_each_condition(self):
        alarms = self.blocks("resource", "aws_cloudwatch_metric_alarm")
        by_metric = {body["metric_name"]: (name, body) for name, body in alarms.items()
                     if body["namespace"] != "AWS/States"}  # the schedule's, below
        self.assertTrue(ALARM_METRICS <= set(by_metric), "alarms missing for %s" % (ALARM_METRICS - set(by_metric)))
        _, agent, _ = self.agent_files()
        declarations = self.prometheus_of(agent)["emf_processor"]["metric_declaration"]
        _, ecs_agent = self.ecs_agent_config()
        self.assertEqual(self.prometheus_of(ecs_agent)["emf_processor"]["metric_declaration"], declarations,
                         "the ECS agents send the same series with the same dimensions as the instances'")
        exported = self.exported_metrics()
        anchors = {re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", line.lstrip("#").strip().lower()))
                   for line in (REPO / "docs" / "RUNBOOK.md").read_text().splitlines() if line.startswith("#")}
        self.assertEqual(norm(self.locals.get("alarm_actions")), "${var.alarm_sns_topic_arn==null?[]:[var.alarm_sns_topic_arn]}")
        self.assertIsNone(self.variable("alarm_sns_topic_arn")["default"], "SNS is optional")
        for metric, (name, body) in by_metric.items():
            with self.subTest(alarm=name):
                self.assertIn(metric, exported, "the collector exports %s" % metric)
                self.assertEqual(body["namespace"], "${var.cloudwatch_namespace}")
                for actions in ("alarm_actions", "ok_actions"):
                    self.assertEqual(body.get(actions), "${local.alarm_actions}")
                dims = body["dimensions"]
                if metric == "market_collector_symbol_trades_total":
                    self.assertEqual(norm(body["for_each"]), "${toset(var.symbols)}", "on both platforms")
                    self.assertEqual(dims, {"symbol": "${each.value}"})
                    self.assertEqual(body["treat_missing_data"], "breaching", "no data is no trades")
                    self.assertEqual(body["evaluation_periods"], "${var.alarm_no_trades_minutes}")
                else:
                    self.assertEqual(norm(body["for_each"]), "${toset(local.collector_names)}", "on both platforms")
                    self.assertEqual(dims, {"collector": "${each.value}"})
                # The agent must send the metric with exactly the alarm's dimensions, or the alarm sees nothing.
                self.assertTrue(any([sorted(dims)] == [sorted(d) for d in decl["dimensions"]]
                                    and any(re.fullmatch(sel, metric) for sel in decl["metric_selectors"])
                                    for decl in declarations),
                                "no metric_declaration sends %s with dimensions %s" % (metric, sorted(dims)))
                anchor = re.search(r"docs/RUNBOOK\.md#([\w-]+)", body.get("alarm_description", ""))
                self.assertIsNotNone(anchor, "the description links the runbook")
                self.assertIn(anchor.group(1), anchors)
        spool = by_metric["market_collector_spool_oldest_age_seconds"][1]
        self.assertEqual(norm(spool["threshold"]), "${var.alarm_spool_age_minutes*60}")
        self.assertEqual(self.locals.get("collector_names"),
                         '${[for i in range(var.instance_count) : "market-collector-${i + 1}"]}')
        # The dimension is the instance's Name tag.
        self.assertEqual(self.collector_instance()["tags"]["Name"], "market-collector-${count.index + 1}")

    # --- the platform switch -------------------------------------------------------------------

    def test_platform_switch_variable(self):
        platform = self.variable("platform")
        self.assertEqual(platform["type"], "${string}")
        self.assertEqual(platform["default"], "ec2", "existing EC2 deployments keep their instances")
        self.assertEqual(norm(platform["validation"][0]["condition"]), '${contains(["ec2","ecs"],var.platform)}')
        self.assertEqual(norm(self.locals.get("ec2")), '${var.platform=="ec2"}')
        self.assertEqual(norm(self.locals.get("ecs")), '${var.platform=="ecs"}')

    def test_every_block_belongs_to_one_platform_or_both(self):
        seen = {"ec2": set(), "ecs": set()}
        for kind in ("resource", "data"):
            for rtype, named in self.cfg.get(kind, {}).items():
                for name in named:
                    body = self.blocks(kind, rtype)[name]
                    gate = self.gate(body)
                    where = "%s %s.%s" % (kind, rtype, name)
                    if rtype in SHARED_TYPES or (kind, rtype, name) in SHARED_BLOCKS | SCHEDULE_BLOCKS:
                        self.assertIsNone(gate, "%s serves both platforms" % where)
                    elif (kind, rtype) in EC2_ONLY_TYPES or (kind, rtype, name) in EC2_ONLY_BLOCKS:
                        self.assertEqual(gate, "ec2", "%s must have count/for_each 0 unless platform = ec2" % where)
                    else:
                        self.assertEqual(gate, "ecs", "%s must have count/for_each 0 unless platform = ecs" % where)
                    if gate:
                        seen[gate].add(rtype)
        self.assertTrue({"aws_instance", "aws_iam_instance_profile"} <= seen["ec2"])
        self.assertTrue({"aws_ecs_task_definition", "aws_ecs_service", "aws_efs_file_system", "aws_efs_mount_target",
                         "aws_efs_access_point", "aws_cloudwatch_log_group", "aws_ecs_cluster"} <= seen["ecs"])
        # Inside the shared group, the NFS rule exists on ECS only.
        for dynamic in self.security_group().get("dynamic", {}).get("egress", []):
            self.assertEqual(self.gate(dynamic), "ecs")
        # The instance profile gained its count with the switch: its address moves instead of the
        # profile being replaced under running instances.
        profile = self.only("resource", "aws_iam_instance_profile")[0]
        self.assertIn({"from": "${aws_iam_instance_profile.%s}" % profile,
                       "to": "${aws_iam_instance_profile.%s[0]}" % profile},
                      [{k: norm(v) for k, v in m.items()} for m in self.cfg.get("moved", [])])

    # --- ECS -----------------------------------------------------------------------------------

    def test_task_definition_runs_the_image_on_fargate(self):
        _, task = self.task_definition()
        self.assertEqual(norm(task["count"]), "${local.ecs?var.instance_count:0}", "one task definition per collector")
        self.assertEqual(task["requires_compatibilities"], ["FARGATE"])
        self.assertEqual(task["network_mode"], "awsvpc")
        self.assertEqual(task["cpu"], "${var.task_cpu}")
        self.assertEqual(task["memory"], "${var.task_memory}")
        self.assertRegex(norm(task["family"]), r"^market-collector-\$\{count\.index\+1\}$")
        self.assertEqual(task["runtime_platform"], [{"operating_system_family": "LINUX", "cpu_architecture": "X86_64"}])
        self.assertIs(task.get("skip_destroy"), True, "a service not yet moved keeps its revision registered")
        self.assert_precondition(task, "${var.image!=null}", "image is optional, but not on ECS")
        self.assertIn(":latest", self.variable("image")["validation"][0]["condition"], "a revision names a fixed image")
        container, _ = self.container()
        self.assertEqual(container["image"], "${var.image}")
        self.assertIs(container["essential"], True)
        self.assertEqual(container["user"], "%d:%d" % (IMAGE_UID, IMAGE_UID))
        self.assertIs(container.get("readonlyRootFilesystem"), True)
        self.assertNotIn("command", container, "the image's entrypoint runs the collector with no arguments")
        self.assertNotIn("entryPoint", container)
        self.assertNotIn("secrets", container)
        self.assertNotIn("privileged", container)

    def test_task_role_is_the_collector_role_execution_role_separate(self):
        _, task = self.task_definition()
        collector_role, _ = self.collector_role()
        self.assertEqual(task["task_role_arn"], "${aws_iam_role.%s.arn}" % collector_role,
                         "the tasks use the collector role and its one put-only policy (test above)")
        execution = self.ref(task["execution_role_arn"], "aws_iam_role", "arn", "0")
        self.assertNotEqual(execution, collector_role)
        role = self.blocks("resource", "aws_iam_role")[execution]
        self.assertEqual(self.gate(role), "ecs")
        ecs_trust = re.fullmatch(r"\$\{local\.ecs\?(.+):.+\}", norm(self.collector_role()[1]["assume_role_policy"]))
        self.assertEqual(self.policy_doc(role["assume_role_policy"])[0],
                         self.policy_doc("${%s}" % ecs_trust.group(1))[0],
                         "both roles are for ECS tasks of this account")
        for attr in ("managed_policy_arns", "inline_policy"):
            self.assertNotIn(attr, role)
        attached = self.role_policies(execution)
        self.assertEqual([(t, self.gate(b)) for t, _, b in attached], [("aws_iam_role_policy", "ecs")],
                         "one inline policy on the execution role, nothing attached")
        _, doc = self.policy_doc(attached[0][2]["policy"])
        group = self.ecs_log_group()[0]
        grants = {}
        for st in doc["statement"]:
            self.assertEqual(st.get("effect", "Allow"), "Allow")
            for loosening in ("not_actions", "not_resources", "condition"):
                self.assertNotIn(loosening, st)
            for action in st["actions"]:
                grants.setdefault(action, set()).update(norm(r) for r in st["resources"])
        self.assertEqual(set(grants), ECR_PULL_ACTIONS | {"logs:CreateLogStream", "logs:PutLogEvents"},
                         "the execution role pulls the image and writes logs, nothing else (no S3)")
        arn = "${aws_cloudwatch_log_group.%s[0].arn}" % group
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            self.assertEqual(grants[action], {arn, arn + ":*"}, "logs only to the collectors' group")

    def test_container_environment(self):
        _, env = self.container()
        bucket = self.bucket_ref()
        self.assertIn(env["RAW_BUCKET"], ("${%s.id}" % bucket, "${%s.bucket}" % bucket))
        self.assertEqual(env["AWS_REGION"], "${var.region}")
        self.assertEqual(self.resolve(env["S3_PREFIX"]), "raw/")
        self.assertIn("var.symbols", env["SYMBOL"])
        self.assertEqual(env["LOG_FORMAT"], "json")
        self.assertEqual(env.get("S3_SSE", "AES256"), "AES256", "the bucket policy only accepts AES256")
        self.assertEqual(self.resolve(env["LOCAL_DIR"]), SPOOL_PATH)
        self.assertEqual(env["METRICS_ADDR"], "0.0.0.0:%d" % METRICS_PORT)
        self.assertEqual(env.get("AWS_EC2_METADATA_DISABLED"), "true", "Fargate has no IMDS: do not wait for it")
        for secret in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "BINANCE_API_KEY"):
            self.assertNotIn(secret, env)
        # INSTANCE_ID: the service's number and the spools' file system, so that it lives as long as
        # the spool whose part numbers it names.
        ids = norm(self.locals.get("ecs_instance_ids"))
        self.assertEqual(norm(env["INSTANCE_ID"]), "${local.ecs_instance_ids[count.index]}")
        m = re.fullmatch(r'\$\{\[forninrange\(local\.ecs\?var\.instance_count:0\):"ecs-\$\{n\+1\}-\$\{one\('
                         r'aws_efs_file_system\.(\w+)\[\*\]\.id\)\}"\]\}', ids)
        self.assertIsNotNone(m, "INSTANCE_ID must be ecs-<n>-<spool file system id>, got %r" % ids)
        self.assertEqual(m.group(1), self.only("resource", "aws_efs_file_system")[0])
        self.assertLessEqual(len("ecs-%d-fs-0123456789abcdef0" % 9999), 64, "INSTANCE_ID is at most 64 characters")

    def test_stop_timeout_covers_the_drain(self):
        container, env = self.container()
        stop = container["stopTimeout"]
        self.assertIsInstance(stop, int)
        self.assertLessEqual(stop, FARGATE_MAX_STOP_TIMEOUT_S, "Fargate refuses a stopTimeout above 120")
        drain = int(env["STOP_TIMEOUT_SECS"])
        self.assertGreaterEqual(stop, drain + STOP_MARGIN_S,
                                "SIGKILL must come after the drain (STOP_TIMEOUT_SECS) and the PUTs still in flight")

    def test_health_check_on_healthz(self):
        container, env = self.container()
        check = container["healthCheck"]
        command = check["command"]
        self.assertEqual(command[:3], ["CMD", "bash", "-c"], "the image has bash and no curl")
        script = command[3]
        self.assertEqual(len(command), 4)
        self.assertIn("/dev/tcp/127.0.0.1/%d" % METRICS_PORT, script)
        self.assertIn("GET /healthz HTTP/1.", script, "liveness is /healthz, never /readyz")
        self.assertIn("grep -q ' 200 '", script)
        for tool in ("curl", "wget"):
            self.assertNotIn(tool, script)
        self.assertTrue(env["METRICS_ADDR"].endswith(":%d" % METRICS_PORT))
        syntax = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
        self.assertEqual(syntax.returncode, 0, syntax.stderr)
        self.assertGreaterEqual(check["timeout"], 2, "the metrics server gives a client 2 s")
        self.assertLessEqual(check["startPeriod"], 300)
        self.assertGreaterEqual(check["startPeriod"], 60, "start-up recovers the spool before /healthz answers 200")

    def test_awslogs_with_retention(self):
        group_name, group = self.ecs_log_group()
        self.assertEqual(self.gate(group), "ecs")
        self.assertEqual(group["retention_in_days"], "${var.log_retention_days}")
        retention = self.variable("log_retention_days")
        self.assertIn(retention["default"], (7, 14, 30, 60, 90))
        self.assertNotIn("kms_key_id", group)
        container, _ = self.container()
        logs = container["logConfiguration"]
        self.assertEqual(logs["logDriver"], "awslogs")
        options = logs["options"]
        self.assertIn(norm(options["awslogs-group"]), ("${one(aws_cloudwatch_log_group.%s[*].name)}" % group_name,
                                                       "${aws_cloudwatch_log_group.%s[0].name}" % group_name))
        self.assertEqual(options["awslogs-region"], "${var.region}")
        self.assertTrue(options.get("awslogs-stream-prefix"))
        self.assertEqual(options.get("mode"), "non-blocking", "a slow CloudWatch must not stall the collector")
        self.assertNotIn("awslogs-create-group", options, "the group is made here, with its retention")

    def test_spool_on_encrypted_efs_per_collector(self):
        container, env = self.container()
        _, task = self.task_definition()
        volumes = task["volume"]
        self.assertEqual(len(volumes), 1)
        volume = volumes[0]
        self.assertEqual(len(container["mountPoints"]), 1)
        mount = container["mountPoints"][0]
        self.assertEqual(mount["sourceVolume"], volume["name"])
        self.assertIs(mount.get("readOnly", False), False)
        self.assertEqual(self.resolve(mount["containerPath"]), SPOOL_PATH)
        self.assertEqual(self.resolve(env["LOCAL_DIR"]), SPOOL_PATH)
        for ephemeral in ("host_path", "docker_volume_configuration", "configure_at_launch"):
            self.assertNotIn(ephemeral, volume, "the spool outlives the task: EFS only")
        efs = volume["efs_volume_configuration"][0]
        fs_name = self.ref(efs["file_system_id"], "aws_efs_file_system", "id", "0")
        self.assertEqual(efs["transit_encryption"], "ENABLED")
        self.assertNotIn("root_directory", efs, "the access point chooses the directory")
        auth = efs["authorization_config"][0]
        ap_name = self.ref(auth["access_point_id"], "aws_efs_access_point", "id", "count.index")
        fs = self.blocks("resource", "aws_efs_file_system")[fs_name]
        self.assertIs(fs["encrypted"], True)
        self.assertEqual(fs["throughput_mode"], "${var.efs_throughput_mode}")
        self.assertNotIn("lifecycle_policy", fs, "an infrequent-access tier would slow the spool")
        ap = self.blocks("resource", "aws_efs_access_point")[ap_name]
        self.assertEqual(norm(ap["count"]), "${local.ecs?var.instance_count:0}", "one spool per collector")
        self.assertEqual(norm(ap["file_system_id"]), "${aws_efs_file_system.%s[0].id}" % fs_name)
        self.assertEqual(ap["posix_user"], [{"uid": IMAGE_UID, "gid": IMAGE_UID}])
        root = ap["root_directory"][0]
        self.assertRegex(norm(root["path"]), r"^/[A-Za-z0-9_-]*\$\{count\.index\+1\}$",
                         "each collector its own directory")
        self.assertEqual(root["creation_info"],
                         [{"owner_uid": IMAGE_UID, "owner_gid": IMAGE_UID, "permissions": "0750"}])

    def test_spool_mount_targets_admit_nfs_from_the_tasks_only(self):
        collector_sg = self.collector_sg_name()
        _, target = self.only("resource", "aws_efs_mount_target")
        self.assertEqual(norm(target["for_each"]), "${local.ecs?toset(var.subnet_ids):toset([])}")
        self.assertEqual(target["subnet_id"], "${each.value}")
        self.assertEqual(len(target["security_groups"]), 1)
        spool_sg = self.ref(target["security_groups"][0], "aws_security_group", "id", "0")
        self.assertNotEqual(spool_sg, collector_sg)
        self.assert_precondition(target, "${length(distinct([forsindata.aws_subnet.ecs:s.availability_zone]))"
                                         "==length(data.aws_subnet.ecs)}", "one mount target per availability zone")
        sg = self.blocks("resource", "aws_security_group")[spool_sg]
        self.assertEqual(self.gate(sg), "ecs")
        self.assertEqual(sg.get("egress"), [], "no egress (explicitly empty, else AWS adds allow-all)")
        self.assertNotIn("dynamic", sg)
        ingress = sg["ingress"]
        self.assertEqual(len(ingress), 1)
        rule = ingress[0]
        self.assertEqual((rule["protocol"], rule["from_port"], rule["to_port"]), ("tcp", NFS_PORT, NFS_PORT))
        self.assertEqual(rule.get("security_groups"), ["${aws_security_group.%s.id}" % collector_sg])
        for wider in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "self"):
            self.assertNotIn(wider, rule, "NFS from the collectors' group only")

    def test_task_egress_https_and_nfs_to_the_spool_only(self):
        sg = self.security_group()
        self.assertIn(sg.get("ingress", []), ([], [[]]), "no ingress on the tasks either")
        self.assertEqual({rule["from_port"] for rule in sg["egress"]} - ALLOWED_EGRESS_PORTS, set())
        dynamic = sg.get("dynamic", {}).get("egress", [])
        self.assertEqual(len(dynamic), 1, "one rule beyond HTTPS: NFS, on ECS")
        m = re.fullmatch(r"\$\{local\.ecs\?\[sort\(\[forsindata\.aws_subnet\.(\w+):s\.cidr_block\]\)\]:\[\]\}",
                         norm(dynamic[0]["for_each"]))
        self.assertIsNotNone(m, "NFS egress goes to the address ranges of the mount targets' subnets")
        subnets = self.blocks("data", "aws_subnet")[m.group(1)]
        _, target = self.only("resource", "aws_efs_mount_target")
        self.assertEqual(norm(subnets["for_each"]), norm(target["for_each"]), "the subnets that hold the mount targets")
        content = dynamic[0]["content"][0]
        self.assertEqual((content["protocol"], content["from_port"], content["to_port"]), ("tcp", NFS_PORT, NFS_PORT))
        self.assertEqual(content["cidr_blocks"], "${egress.value}")
        for other in ("ipv6_cidr_blocks", "security_groups", "prefix_list_ids", "self"):
            self.assertNotIn(other, content)
        service = self.only("resource", "aws_ecs_service")[1]
        self.assertEqual(service["network_configuration"][0]["security_groups"],
                         ["${aws_security_group.%s.id}" % self.collector_sg_name()])

    def test_services_one_task_each_moved_one_at_a_time(self):
        name, service = self.only("resource", "aws_ecs_service")
        task_name, _ = self.task_definition()
        # As many collectors as instances on EC2 (var.instance_count, default 3), one task each: every
        # task of one service would share one spool, which admits one collector.
        self.assertEqual(norm(service["count"]), "${local.ecs?var.instance_count:0}")
        self.assertEqual(self.variable("instance_count")["default"], 3)
        self.assertEqual(service["desired_count"], 1)
        self.assertEqual(norm(service["task_definition"]), "${aws_ecs_task_definition.%s[count.index].arn}" % task_name)
        self.assertEqual(service["launch_type"], "FARGATE")
        self.assertIn(service["platform_version"], ("LATEST", "1.4.0"), "EFS volumes need platform 1.4.0 or later")
        # Stop, then start: the old task lets go of the spool before the new one takes it.
        self.assertEqual(service["deployment_minimum_healthy_percent"], 0)
        self.assertEqual(service["deployment_maximum_percent"], 100)
        self.assertEqual(service["deployment_circuit_breaker"], [{"enable": True, "rollback": True}])
        # No apply moves every service at once (a gap in every copy): at most one of them is down
        # because an operator moves them one by one.
        self.assertIn("${task_definition}", service["lifecycle"][0]["ignore_changes"])
        for absent in ("load_balancer", "service_registries", "service_connect_configuration",
                       "capacity_provider_strategy"):
            self.assertNotIn(absent, service)
        self.assertNotEqual(service.get("enable_execute_command"), True, "no shell into the collector")
        network = service["network_configuration"][0]
        self.assertEqual([norm(s) for s in network["subnets"]],
                         ["${element(var.subnet_ids,count.index%length(var.subnet_ids))}"],
                         "collector N in subnet N mod length, as on EC2")
        self.assertEqual(network["assign_public_ip"], "${var.ecs_assign_public_ip}")
        self.assertIs(self.variable("ecs_assign_public_ip")["default"], False)
        self.assertIn("${aws_efs_mount_target.%s}" % self.only("resource", "aws_efs_mount_target")[0],
                      service.get("depends_on", []), "a task mounts the spool only once its mount target exists")
        # An existing cluster or one made here.
        self.assertEqual(service["cluster"], "${local.ecs_cluster_arn}")
        cluster_name, cluster = self.only("resource", "aws_ecs_cluster")
        self.assertEqual(norm(cluster["count"]), "${local.ecs&&var.ecs_cluster_arn==null?1:0}")
        self.assertEqual(norm(self.locals["ecs_cluster_arn"]),
                         "${var.ecs_cluster_arn!=null?var.ecs_cluster_arn:one(aws_ecs_cluster.%s[*].arn)}"
                         % cluster_name)

    # --- CloudWatch agent on ECS ------------------------------------------------------------------

    def test_ecs_agent_sidecar_scrapes_the_collector_in_its_task(self):
        agent, environments = self.agent_container()
        self.assertEqual(agent["name"], "cloudwatch-agent")
        self.assertIs(agent["essential"], False, "an agent that stops must not stop the collector")
        self.assertEqual(agent["image"], "${var.cloudwatch_agent_image}")
        image = self.variable("cloudwatch_agent_image")
        self.assertRegex(image["default"], r"^public\.ecr\.aws/cloudwatch-agent/cloudwatch-agent:[0-9][A-Za-z0-9._-]*$",
                         "a pinned tag of the agent's public image")
        self.assertIn(":latest", image["validation"][0]["condition"])
        self.assertIsInstance(agent.get("memory"), int, "the agent has a hard memory bound of its own")
        self.assertLessEqual(agent["memory"], 512 // 2, "half of the smallest task at most: the rest is the collector's")
        for absent in ("portMappings", "mountPoints", "secrets", "privileged", "command", "entryPoint"):
            self.assertNotIn(absent, agent)
        collector, env = self.container()
        logs, collector_logs = agent["logConfiguration"], collector["logConfiguration"]
        self.assertEqual(logs["logDriver"], "awslogs")
        self.assertEqual(logs["options"]["awslogs-group"], collector_logs["options"]["awslogs-group"],
                         "the agent's own output goes where the collector's does (the execution role writes it)")
        self.assertNotEqual(logs["options"]["awslogs-stream-prefix"], collector_logs["options"]["awslogs-stream-prefix"])
        self.assertEqual(logs["options"].get("mode"), "non-blocking")
        # One environment per collector: the agent's configuration and a scrape configuration naming the
        # collector, through the agent's documented ECS variables.
        m = re.fullmatch(r'\$\{\[fornamein\(local\.ecs\?local\.collector_names:\[\]\):\[\{name="CW_CONFIG_CONTENT",'
                         r'value=local\.ecs_agent_config\},\{name="PROMETHEUS_CONFIG_CONTENT",value=(templatefile\(.*\))\},?\]\]\}',
                         norm(environments))
        self.assertIsNotNone(m, "per collector: CW_CONFIG_CONTENT = local.ecs_agent_config and PROMETHEUS_CONFIG_CONTENT "
                                "= templatefile(...), got %r" % environments)
        call = re.search(r'value = (templatefile\(.*?\}\))', environments, re.S).group(1)
        _, prometheus, variables = self.template_call("${%s}" % call, "PROMETHEUS_CONFIG_CONTENT")
        self.assertEqual({k: norm(v) for k, v in variables.items()},
                         {"metrics_addr": "local.ecs_metrics_scrape_addr", "collector_name": "name"})
        self.assertEqual(re.findall(r"^\s*- targets: \[(.*)\]$", prometheus, re.M), ['"${metrics_addr}"'])
        self.assertRegex(prometheus, r"(?m)^  - job_name: market-collector$")
        self.assertRegex(prometheus, r'(?m)^\s+collector: "\$\{collector_name\}"$',
                         "the series carry the alarms' collector dimension")
        # The task's containers share the loopback (awsvpc): the agent scrapes the collector's port there.
        host, port = self.locals["ecs_metrics_scrape_addr"].rsplit(":", 1)
        self.assertEqual(host, "127.0.0.1")
        self.assertEqual(int(port), int(env["METRICS_ADDR"].rsplit(":", 1)[1]), "the agent scrapes METRICS_ADDR's port")
        # Its service's name is the alarms' dimension, as the Name tag is on EC2.
        self.assertEqual(norm(self.only("resource", "aws_ecs_service")[1]["name"]), "market-collector-${count.index+1}")

    def test_ecs_agent_sends_to_its_log_group_and_namespace(self):
        variables, agent = self.ecs_agent_config()
        self.assertEqual({k: norm(v) for k, v in variables.items()},
                         {"region": "var.region", "namespace": "var.cloudwatch_namespace",
                          "log_group": 'local.ecs?aws_cloudwatch_log_group.ecs_metrics[0].name:""',
                          "metric_declaration": "jsonencode(local.agent_metric_declaration)"})
        prometheus = self.prometheus_of(agent)
        self.assertEqual(prometheus["prometheus_config_path"], "env:PROMETHEUS_CONFIG_CONTENT")
        self.assertEqual(prometheus["log_group_name"], "${log_group}", "the one group the task role may write")
        self.assertEqual(prometheus["emf_processor"]["metric_namespace"], "${namespace}")
        self.assertEqual(agent["agent"].get("region"), "${region}")
        self.assertNotIn("metrics", agent, "no host metrics on Fargate: nothing is put outside the EMF events")
        self.assertNotIn("retention_in_days", json.dumps(agent), "retention is Terraform's (the role may not set it)")
        group = self.blocks("resource", "aws_cloudwatch_log_group")["ecs_metrics"]
        self.assertEqual(group["retention_in_days"], "${var.log_retention_days}")

    # --- Athena: tables, workgroup, day queries (athena.tf) -----------------------------------------

    def glue_table(self, name):
        tables = self.blocks("resource", "aws_glue_catalog_table")
        self.assertIn(name, tables, "aws_glue_catalog_table.%s is missing" % name)
        table = tables[name]
        self.assertEqual(table["name"], name)
        self.assertEqual(table["database_name"], "${aws_glue_catalog_database.%s.name}"
                         % self.only("resource", "aws_glue_catalog_database")[0])
        self.assertEqual(table["table_type"], "EXTERNAL_TABLE")
        return table

    @staticmethod
    def glue_columns(table):
        return [(c["name"], norm(c["type"])) for c in table["storage_descriptor"][0]["columns"]]

    def doc_tables(self):
        """{table: ([(column, type)], [(partition, type)], whole DDL)} of docs/ATHENA.md's CREATE EXTERNAL TABLEs."""
        tables = {}
        text = (REPO / "docs" / "ATHENA.md").read_text()
        for name, columns, partitions, rest in re.findall(
                r"CREATE EXTERNAL TABLE (\w+) \((.*?)\n\)\nPARTITIONED BY \((.*?)\)\n(.*?);", text, re.S):
            parsed = [tuple(re.split(r"\s+", c.strip(), maxsplit=1)) for c in self.top_level_split(columns)]
            tables[name] = ([(n, norm(t).lower()) for n, t in parsed],
                            [tuple(p.strip().split()) for p in partitions.split(",")], rest)
        return tables

    @staticmethod
    def top_level_split(columns):
        """A DDL column list split at the commas outside <...> and (...): a struct's fields and a decimal's
        precision and scale stay together."""
        parts, depth, current = [], 0, ""
        for ch in columns:
            depth += {"<": 1, "(": 1, ">": -1, ")": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                parts.append(current)
                current = ""
            else:
                current += ch
        return [p for p in parts + [current] if p.strip()]

    def projection(self, table, location_local):
        """The table's parameters: local.day_projection plus EXTERNAL and the template under location_local."""
        m = re.fullmatch(r'\$\{merge\(local\.day_projection,\{(.*)\}\)\}', norm(table["parameters"]))
        self.assertIsNotNone(m, "parameters must be merge(local.day_projection, {...}), got %r" % table["parameters"])
        self.assertIn('EXTERNAL="TRUE"', m.group(1))
        self.assertIn('"storage.location.template"="${local.%s}symbol=$${symbol}/dt=$${dt}/"' % location_local,
                      m.group(1), "one partition per symbol and day, under the table's location")
        return m.group(1)

    def test_day_projection_as_the_raw_table_in_the_doc(self):
        projection = self.locals["day_projection"]
        self.assertEqual(projection["projection.enabled"], "true")
        self.assertEqual(projection["projection.symbol.type"], "enum")
        self.assertEqual(norm(projection["projection.symbol.values"]), '${join(",",local.athena_symbols)}')
        self.assertEqual((projection["projection.dt.type"], projection["projection.dt.format"],
                          projection["projection.dt.interval"], projection["projection.dt.interval.unit"]),
                         ("date", "yyyy-MM-dd", "1", "DAYS"))
        self.assertEqual(projection["projection.dt.range"], "${var.athena_first_day},NOW")
        doc = self.doc_tables()
        for name in ("raw_trades", "trades_curated", "ohlcv_1s"):
            with self.subTest(table=name):
                self.assertIn(name, doc, "docs/ATHENA.md has no CREATE EXTERNAL TABLE %s" % name)
                for key, value in projection.items():
                    if "${" not in value:
                        self.assertRegex(doc[name][2], r"'%s'\s*=\s*'%s'" % (re.escape(key), re.escape(value)))
        self.assertEqual(norm(self.locals["athena_symbols"]), "${var.athena_symbols!=null?var.athena_symbols:var.symbols}")
        self.assert_precondition(self.glue_table("raw_trades"), '${!contains(local.athena_symbols,"ALL")}',
                                 "an enum projection cannot stand for SYMBOL=ALL")

    def test_raw_trades_table_is_the_docs(self):
        table = self.glue_table("raw_trades")
        columns, partitions, ddl = self.doc_tables()["raw_trades"]
        self.assertEqual(self.glue_columns(table), columns, "Glue's raw_trades is docs/ATHENA.md's")
        self.assertEqual([(p["name"], p["type"]) for p in table["partition_keys"]], partitions)
        self.assertEqual(partitions, PARTITIONS)
        sd = table["storage_descriptor"][0]
        serde = sd["ser_de_info"][0]
        self.assertEqual(serde["serialization_library"], "org.openx.data.jsonserde.JsonSerDe")
        self.assertIn("SERDE '%s'" % serde["serialization_library"], ddl)
        for key, value in serde["parameters"].items():
            self.assertRegex(ddl, r"'%s'\s*=\s*'%s'" % (re.escape(key), re.escape(value)))
        self.assertEqual(len(serde["parameters"]), len(re.findall(r"'(?:mapping\.\w+|case\.insensitive|ignore\.malformed\.json)'",
                                                                  ddl)), "the same SerDe properties as the doc")
        self.assertEqual(self.resolve(self.locals["raw_trades_location"]),
                         "s3://${%s.id}/raw/exchange=binance/stream=trade/" % self.bucket_ref())
        self.assertEqual(sd["location"], "${local.raw_trades_location}")
        self.projection(table, "raw_trades_location")

    def test_curated_tables_are_the_contract_in_parquet(self):
        doc = self.doc_tables()
        for name, contract in CURATED_COLUMNS.items():
            with self.subTest(table=name):
                table = self.glue_table(name)
                self.assertEqual(self.glue_columns(table), contract, "Glue's %s columns are the contract's" % name)
                self.assertEqual([(p["name"], p["type"]) for p in table["partition_keys"]], PARTITIONS,
                                 "partitions last, symbol then dt, as INSERT INTO needs")
                self.assertEqual(doc[name][0], contract, "docs/ATHENA.md's %s columns are the contract's" % name)
                self.assertEqual(doc[name][1], PARTITIONS)
                self.assertIn("STORED AS PARQUET", doc[name][2])
                sd = table["storage_descriptor"][0]
                self.assertEqual((sd["input_format"], sd["output_format"], sd["ser_de_info"][0]["serialization_library"]),
                                 (PARQUET["input_format"], PARQUET["output_format"], PARQUET["serde"]))
                location_local = {"trades_curated": "trades_curated_location", "ohlcv_1s": "ohlcv_1s_location"}[name]
                self.assertEqual(sd["location"], "${local.%s}" % location_local)
                location = self.resolve(self.locals[location_local])
                self.assertTrue(location.startswith("s3://${%s.id}/curated/" % self.bucket_ref()),
                                "%s lives under curated/, outside the collectors' raw/: %s" % (name, location))
                self.assertIn("LOCATION '%s'" % location.replace("${%s.id}" % self.bucket_ref(), "<bucket>"), doc[name][2])
                self.projection(table, location_local)

    def test_workgroup_enforces_encrypted_results(self):
        name, workgroup = self.only("resource", "aws_athena_workgroup")
        config = workgroup["configuration"][0]
        self.assertIs(config["enforce_workgroup_configuration"], True, "no client may override the result settings")
        self.assertEqual(config["engine_version"], [{"selected_engine_version": "Athena engine version 3"}])
        result = config["result_configuration"][0]
        self.assertIn(result["encryption_configuration"][0]["encryption_option"], ("SSE_S3", "SSE_KMS"))
        # The bucket policy refuses any PutObject that is not SSE-S3 (s3.tf): results and INSERT INTO files too.
        self.assertEqual(result["encryption_configuration"][0]["encryption_option"], "SSE_S3")
        self.assertEqual(self.resolve(result["output_location"]), "s3://${%s.id}/athena-results/" % self.bucket_ref())
        self.assertNotIn("bytes_scanned_cutoff_per_query", config)
        self.assertEqual(workgroup.get("force_destroy", False), False)
        outputs = {n: b[0]["value"] for n, b in self.cfg["output"].items()}
        self.assertEqual(outputs.get("athena_workgroup_name"), "${aws_athena_workgroup.%s.name}" % name)
        self.assertEqual(outputs.get("athena_database_name"), "${aws_glue_catalog_database.%s.name}"
                         % self.only("resource", "aws_glue_catalog_database")[0])

    def curated_queries(self):
        """{table: (rendered query, SQL file)}: local.curated_day_queries with the files read and {{day}} replaced."""
        queries = self.locals.get("curated_day_queries")
        self.assertIsInstance(queries, dict)
        self.assertEqual(set(queries), set(CURATED_COLUMNS))
        day = self.locals.get("curated_day")
        self.assertEqual(day, "date_format(current_date - INTERVAL '1' DAY, '%Y-%m-%d')",
                         "yesterday, a VARCHAR 'YYYY-MM-DD' (Athena's session time zone is UTC)")
        rendered = {}
        for table, expr in queries.items():
            m = re.fullmatch(r'INSERT INTO (\w+)\n\$\{replace\(trimsuffix\(trimspace\(file\("\$\{path\.module\}/'
                             r'\.\./\.\./sql/curated/(\w+)\.sql"\)\),";"\),"\{\{day\}\}",local\.curated_day\)\}',
                             expr.split("\n", 1)[0] + "\n" + norm(expr.split("\n", 1)[1]))
            self.assertIsNotNone(m, "%s must be INSERT INTO <table> and the SELECT of sql/curated/<table>.sql with "
                                    "{{day}} replaced, got %r" % (table, expr))
            self.assertEqual((m.group(1), m.group(2)), (table, table))
            path = CURATED_SQL / ("%s.sql" % table)
            self.assertTrue(path.is_file(), "%s is missing: the SELECT that produces a day of %s comes from the "
                                            "curated definitions (docs/OHLCV.md); without it Terraform cannot plan"
                                            % (path.relative_to(REPO), table))
            sql = path.read_text()
            self.assertIn("{{day}}", sql, "%s has no {{day}} placeholder" % path.name)
            body = sql.strip()
            body = body[:-1] if body.endswith(";") else body
            rendered[table] = ("INSERT INTO %s\n%s" % (table, body.replace("{{day}}", day)), path)
        return rendered

    def test_day_queries_are_the_sql_files_for_yesterday(self):
        for table, (query, path) in self.curated_queries().items():
            with self.subTest(table=table):
                self.assertNotIn("{{", query, "a placeholder of %s is left" % path.name)
                self.assertIn(self.locals["curated_day"], query)
                self.assertRegex(query, r"(?is)^INSERT INTO %s\n(\s*--[^\n]*\n)*\s*(SELECT|WITH)\b" % table,
                                 "%s holds one SELECT" % path.name)
                self.assertNotIn(";", re.sub(r"'[^']*'|--[^\n]*", "", query), "one statement")
        named = self.only("resource", "aws_athena_named_query")[1]
        self.assertEqual(named["for_each"], "${local.curated_day_queries}")
        self.assertEqual(named["query"], "${each.value}")
        self.assertEqual(named["workgroup"], "${aws_athena_workgroup.%s.id}" % self.only("resource", "aws_athena_workgroup")[0])
        self.assertEqual(named["database"], "${aws_glue_catalog_database.%s.name}"
                         % self.only("resource", "aws_glue_catalog_database")[0])

    # --- the daily schedule (curated_schedule.tf) ---------------------------------------------------

    def test_schedule_is_off_by_default(self):
        variable = self.variable("curated_schedule_enabled")
        self.assertIs(variable["default"], False)
        self.assertEqual(variable["type"], "${bool}")
        self.assertEqual(norm(self.locals["schedule_count"]), "${var.curated_schedule_enabled?1:0}")
        for kind, rtype, name in SCHEDULE_BLOCKS:
            with self.subTest(block="%s.%s" % (rtype, name)):
                self.assertEqual(self.blocks(kind, rtype)[name]["count"], "${local.schedule_count}",
                                 "nothing of the schedule exists unless curated_schedule_enabled")
        schedule = self.only("resource", "aws_scheduler_schedule")[1]
        self.assertEqual(schedule["schedule_expression"], "cron(15 0 * * ? *)", "00:15, once a day")
        self.assertEqual(schedule["schedule_expression_timezone"], "UTC")
        self.assertEqual(schedule["flexible_time_window"], [{"mode": "OFF"}])

    def test_schedule_runs_trades_then_bars_each_to_its_end(self):
        name, machine = self.only("resource", "aws_sfn_state_machine")
        schedule = self.only("resource", "aws_scheduler_schedule")[1]
        target = schedule["target"][0]
        self.assertEqual(target["arn"], "${aws_sfn_state_machine.%s[0].arn}" % name)
        _, text, variables = self.template_call(machine["definition"], "the state machine's definition")
        self.assertEqual({k: norm(v) for k, v in variables.items()},
                         {"trades_curated_query": 'jsonencode(local.curated_day_queries["trades_curated"])',
                          "ohlcv_1s_query": 'jsonencode(local.curated_day_queries["ohlcv_1s"])',
                          "workgroup": "jsonencode(aws_athena_workgroup.%s.name)" % self.only("resource", "aws_athena_workgroup")[0],
                          "database": "jsonencode(aws_glue_catalog_database.%s.name)"
                                      % self.only("resource", "aws_glue_catalog_database")[0]})
        queries = {table: query for table, (query, _) in self.curated_queries().items()}
        asl = json.loads(re.sub(r"\$\{(\w+)\}", lambda m: json.dumps({"trades_curated_query": queries["trades_curated"],
                                                                      "ohlcv_1s_query": queries["ohlcv_1s"]}
                                                                     .get(m.group(1), m.group(1))), text))
        order, state = [], asl["StartAt"]
        while state:
            order.append(state)
            step = asl["States"][state]
            self.assertEqual(step["Type"], "Task")
            self.assertEqual(step["Resource"], "arn:aws:states:::athena:startQueryExecution.sync",
                             "each query runs to its end before the next starts")
            self.assertEqual(step["Parameters"]["WorkGroup"], "workgroup")
            self.assertEqual(step["Parameters"]["QueryExecutionContext"], {"Database": "database"})
            self.assertNotIn("Catch", step, "a failed query fails the execution")
            self.assertNotIn("Retry", step, "a retried INSERT INTO would add the day twice")
            state = step.get("Next")
            self.assertIs(step.get("End", False), state is None)
        self.assertEqual(order, CURATED_DAY_STATES)
        self.assertEqual([asl["States"][s]["Parameters"]["QueryString"] for s in order],
                         [queries["trades_curated"], queries["ohlcv_1s"]], "trades_curated first: the bars read it")

    def test_a_failed_day_raises_an_alarm(self):
        machine = self.only("resource", "aws_sfn_state_machine")[0]
        alarm = self.blocks("resource", "aws_cloudwatch_metric_alarm")["curated_day_failed"]
        self.assertEqual((alarm["namespace"], alarm["metric_name"], alarm["statistic"]),
                         ("AWS/States", "ExecutionsFailed", "Sum"))
        self.assertEqual(alarm["dimensions"], {"StateMachineArn": "${aws_sfn_state_machine.%s[0].arn}" % machine})
        self.assertEqual((alarm["comparison_operator"], alarm["threshold"]), ("GreaterThanThreshold", 0))
        for actions in ("alarm_actions", "ok_actions"):
            self.assertEqual(alarm[actions], "${local.alarm_actions}")
        anchor = re.search(r"docs/RUNBOOK\.md#([\w-]+)", alarm["alarm_description"]).group(1)
        headings = {re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", line.lstrip("#").strip().lower()))
                    for line in (REPO / "docs" / "RUNBOOK.md").read_text().splitlines() if line.startswith("#")}
        self.assertIn(anchor, headings, "the description links the runbook")
        self.assertIn("aws_cloudwatch_metric_alarm.curated_day_failed",
                      norm(self.cfg["output"]["cloudwatch_alarm_names"][0]["value"]), "listed with the other alarms")

    def role_grants(self, role_name, service):
        """{action: [(resources, conditions)]} of a role that service assumes for this account only."""
        role = self.blocks("resource", "aws_iam_role")[role_name]
        _, trust = self.policy_doc(role["assume_role_policy"])
        self.assertEqual(len(trust["statement"]), 1)
        st = trust["statement"][0]
        self.assertEqual(st["principals"], [{"type": "Service", "identifiers": [service]}])
        self.assertEqual([(c["test"], c["variable"]) for c in st["condition"]], [("StringEquals", "aws:SourceAccount")])
        attached = self.role_policies(role_name)
        self.assertEqual(len(attached), 1, "one inline policy on %s" % role_name)
        self.assertNotIn("managed_policy_arns", role)
        _, doc = self.policy_doc(attached[0][2]["policy"])
        grants = {}
        for st in doc["statement"]:
            self.assertEqual(st.get("effect", "Allow"), "Allow")
            for loosening in ("not_actions", "not_resources", "principals", "not_principals"):
                self.assertNotIn(loosening, st)
            for action in st["actions"]:
                self.assertNotIn("*", action, "no wildcard actions")
                for resource in st["resources"]:
                    self.assertNotRegex(norm(resource), r"(^\*$|:\*$|/\*$)" if not action.startswith("s3:") else r"^\*$",
                                        "%s on %s: name the resource" % (action, resource))
                conditions = {(t, v, tuple(self.resolve(x) for x in values)) for t, v, values in self.conditions(st)}
                grants.setdefault(action, []).append(([self.resolve(norm(r)) for r in st["resources"]], conditions))
        return grants

    def test_schedule_roles_are_least_privilege(self):
        machine = self.only("resource", "aws_sfn_state_machine")[0]
        scheduler = self.role_grants("curated_scheduler", "scheduler.amazonaws.com")
        self.assertEqual(scheduler, {"states:StartExecution": [(["${aws_sfn_state_machine.%s[0].arn}" % machine], set())]})
        self.assertEqual(self.only("resource", "aws_scheduler_schedule")[1]["target"][0]["role_arn"],
                         "${aws_iam_role.curated_scheduler[0].arn}")
        self.assertEqual(self.blocks("resource", "aws_sfn_state_machine")[machine]["role_arn"],
                         "${aws_iam_role.curated_day[0].arn}")
        grants = self.role_grants("curated_day", "states.amazonaws.com")
        workgroup = "${aws_athena_workgroup.%s.arn}" % self.only("resource", "aws_athena_workgroup")[0]
        for action in ("athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"):
            self.assertEqual(grants.pop(action, None), [([workgroup], set())], "%s in the workgroup only" % action)
        self.assertEqual(grants.pop("athena:GetDataCatalog", None),
                         [(["arn:aws:athena:${var.region}:${data.aws_caller_identity.curated[0].account_id}:"
                            "datacatalog/AwsDataCatalog"], set())], "Glue's catalog only")
        catalog = "arn:aws:glue:${var.region}:${data.aws_caller_identity.curated[0].account_id}:"
        database = catalog + "database/${aws_glue_catalog_database.market.name}"
        table = catalog + "table/${aws_glue_catalog_database.market.name}/${aws_glue_catalog_table.%s.name}"
        curated_tables = [table % t for t in CURATED_COLUMNS]
        for action in ("glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions",
                       "glue:BatchGetPartition"):
            tables = [table % "raw_trades"] + curated_tables
            self.assertEqual(grants.pop(action, None), [([catalog + "catalog", database] + tables, set())],
                             "%s on the three tables only" % action)
        self.assertEqual(grants.pop("glue:BatchCreatePartition", None),
                         [([catalog + "catalog", database] + curated_tables, set())],
                         "partitions are added to the curated tables only")
        bucket = "${%s.arn}" % self.bucket_ref()
        self.assertEqual(grants.pop("s3:ListBucket", None), [([bucket], {("StringLike", "s3:prefix",
                                                                    ("raw/*", "curated/*", "athena-results/*"))})])
        for action in ("s3:GetBucketLocation", "s3:ListBucketMultipartUploads"):
            self.assertEqual(grants.pop(action, None), [([bucket], set())])
        self.assertEqual(sorted(r for rs, _ in grants.pop("s3:GetObject", []) for r in rs),
                         sorted([bucket + "/raw/*", bucket + "/curated/*", bucket + "/athena-results/*"]))
        for action in ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"):
            self.assertEqual(grants.pop(action, None), [([bucket + "/curated/*", bucket + "/athena-results/*"], set())],
                             "%s: the curated datasets and the results, never raw/" % action)
        self.assertEqual(grants, {}, "nothing else: no deletes, no table changes")

    # --- variables and outputs -----------------------------------------------------------------

    def test_variables_described_typed_validated(self):
        for name, bodies in self.cfg["variable"].items():
            self.assertTrue(bodies[0].get("description"), "variable %s needs a description" % name)
            self.assertIn("type", bodies[0], "variable %s needs a type" % name)
        for name in ("bucket_name", "region", "instance_count", "subnet_ids", "package_url", "symbols",
                     "glacier_transition_days", "noncurrent_version_expiration_days", "object_lock_days",
                     "platform", "image", "ecs_cluster_arn", "task_cpu", "task_memory", "log_retention_days",
                     "efs_throughput_mode", "cloudwatch_namespace", "cloudwatch_agent_url", "alarm_sns_topic_arn",
                     "alarm_no_trades_minutes", "alarm_spool_age_minutes", "cloudwatch_agent_image", "athena_database",
                     "athena_workgroup", "athena_symbols", "athena_first_day", "athena_results_expiration_days",
                     "curated_schedule_enabled"):
            validation = self.variable(name).get("validation", [])
            self.assertTrue(validation, "variable %s needs a validation" % name)
            self.assertIn("var.%s" % name, validation[0]["condition"])
        self.assertIn("length(var.subnet_ids)>0", norm(self.variable("subnet_ids")["validation"][0]["condition"]))
        self.assertIn("https://", self.variable("package_url")["validation"][0]["condition"])
        for required in ("bucket_name", "region", "subnet_ids"):
            self.assertNotIn("default", self.variable(required), "%s has no sensible default" % required)
        # Each platform's own input: null by default, required by a precondition on that platform.
        for per_platform in ("package_url", "image"):
            self.assertIsNone(self.variable(per_platform)["default"])
            self.assertIn("var.%s==null||" % per_platform,
                          norm(self.variable(per_platform)["validation"][0]["condition"]))

    def test_outputs(self):
        outputs = {name: bodies[0]["value"] for name, bodies in self.cfg["output"].items()}
        bucket = self.bucket_ref()
        self.assertIn(outputs.get("raw_bucket_name"), ("${%s.id}" % bucket, "${%s.bucket}" % bucket))
        self.assertEqual(outputs.get("bucket_arn"), "${%s.arn}" % bucket)
        self.assertEqual(outputs.get("collector_role_arn"), "${aws_iam_role.%s.arn}" % self.collector_role()[0])
        reader, instance = self.only("resource", "aws_iam_policy")[0], self.only("resource", "aws_instance")[0]
        self.assertEqual(outputs.get("reader_policy_arn"), "${aws_iam_policy.%s.arn}" % reader)
        self.assertEqual(outputs.get("instance_ids"), "${aws_instance.%s[*].id}" % instance)
        self.assertEqual(outputs.get("platform"), "${var.platform}")
        self.assertEqual(outputs.get("ecs_service_names"), "${aws_ecs_service.%s[*].name}"
                         % self.only("resource", "aws_ecs_service")[0])
        self.assertEqual(outputs.get("ecs_task_definition_arns"), "${aws_ecs_task_definition.%s[*].arn}"
                         % self.task_definition()[0])
        self.assertEqual(outputs.get("ecs_instance_ids"), "${local.ecs_instance_ids}")
        self.assertEqual(norm(outputs.get("ecs_cluster_arn")), "${local.ecs?local.ecs_cluster_arn:null}")
        self.assertIn("ecs_log_group_name", outputs)
        self.assertIn("ecs_execution_role_arn", outputs)
        self.assertIn("spool_file_system_id", outputs)
        self.assertEqual(outputs.get("ec2_log_group_name"), "${one(aws_cloudwatch_log_group.ec2[*].name)}")
        self.assertIn("cloudwatch_alarm_names", outputs)


class BrokenCopyTest(unittest.TestCase):
    """A copy of infra/terraform with one property broken must fail the test that guards it.

    Each case replaces one line of one file in a fresh copy and runs that one test on the copy
    (MC_TERRAFORM_DIR) in a child process; the unbroken copy must pass the same tests first.
    """
    SOURCE = REPO / "infra" / "terraform"
    CASES = [
        # (file, text, broken text, the test that must fail)
        ("ec2.tf", 'http_tokens                 = "required"', 'http_tokens                 = "optional"',
         "test_imdsv2_required_hop_limit_one"),
        ("ecs.tf", 'transit_encryption = "ENABLED"', 'transit_encryption = "DISABLED"',
         "test_spool_on_encrypted_efs_per_collector"),
        ("ecs.tf", "stopTimeout = 120", "stopTimeout = 150", "test_stop_timeout_covers_the_drain"),
        ("cloudwatch.tf", '"logs:CreateLogStream", "logs:PutLogEvents"', '"logs:*"',
         "test_cloudwatch_policy_is_least_privilege"),
        ("cloudwatch.tf", 'variable = "cloudwatch:namespace"', 'variable = "aws:RequestedRegion"',
         "test_cloudwatch_policy_is_least_privilege"),
        ("user_data.sh.tftpl", '- targets: ["${metrics_addr}"]', '- targets: ["127.0.0.1:9100"]',
         "test_agent_scrapes_the_collectors_metrics_addr"),
        ("cloudwatch.tf", '"market_collector_trade_ids_unrecoverable_total"', '"market_collector_unrecoverable"',
         "test_alarms_for_each_condition"),
        ("ecs.tf", 'ecs_metrics_scrape_addr = "127.0.0.1:9108"', 'ecs_metrics_scrape_addr = "127.0.0.1:9100"',
         "test_ecs_agent_sidecar_scrapes_the_collector_in_its_task"),
        ("ecs.tf", "essential = false", "essential = true", "test_ecs_agent_sidecar_scrapes_the_collector_in_its_task"),
        ("cloudwatch_agent_ecs.json.tftpl", '"env:PROMETHEUS_CONFIG_CONTENT"', '"/etc/prometheus.yaml"',
         "test_ecs_agent_sends_to_its_log_group_and_namespace"),
        ("athena.tf", "enforce_workgroup_configuration    = true", "enforce_workgroup_configuration    = false",
         "test_workgroup_enforces_encrypted_results"),
        ("athena.tf", 'name = "vwap"\n      type = "decimal(18,8)"', 'name = "vwap"\n      type = "double"',
         "test_curated_tables_are_the_contract_in_parquet"),
        ("curated_schedule.tf", "schedule_count = var.curated_schedule_enabled ? 1 : 0", "schedule_count = 1",
         "test_schedule_is_off_by_default"),
        ("curated_schedule.tf", '["s3:PutObject", "s3:AbortMultipartUpload"', '["s3:PutObject", "s3:DeleteObject"',
         "test_schedule_roles_are_least_privilege"),
        ("curated_day.asl.json.tftpl", '"StartAt": "TradesCurated"', '"StartAt": "Ohlcv1s"',
         "test_schedule_runs_trades_then_bars_each_to_its_end"),
        ("s3.tf", "prefix = local.athena_results_prefix", "prefix = local.curated_prefix", "test_lifecycle_rules"),
    ]

    def run_tests(self, directory, tests):
        names = ["test_terraform.TerraformStaticTest." + t for t in tests]
        return subprocess.run([sys.executable, "-m", "unittest"] + names, cwd=HERE,
                              env={**os.environ, "MC_TERRAFORM_DIR": str(directory)},
                              capture_output=True, text=True, timeout=NODE_TIMEOUT_S * 2)

    def copy(self, tmp):
        copy = Path(tmp, "terraform")
        shutil.copytree(self.SOURCE, copy)
        return copy

    def test_each_broken_copy_fails_its_test(self):
        ensure_npm_package()
        with tempfile.TemporaryDirectory() as tmp:
            control = self.run_tests(self.copy(tmp), sorted({case[3] for case in self.CASES}))
        self.assertEqual(control.returncode, 0, "the unbroken copy must pass:\n" + control.stderr)
        for file, text, broken, test in self.CASES:
            with self.subTest(file=file, broken=broken), tempfile.TemporaryDirectory() as tmp:
                copy = self.copy(tmp)
                original = (copy / file).read_text()
                self.assertEqual(original.count(text), 1, "%r is not in %s exactly once" % (text, file))
                (copy / file).write_text(original.replace(text, broken))
                run = self.run_tests(copy, [test])
                self.assertNotEqual(run.returncode, 0, "%s passed with %s saying %r" % (test, file, broken))
                self.assertIn("FAIL: %s " % test, run.stderr, "an assertion, not a crash:\n" + run.stderr)


class ParserTest(unittest.TestCase):
    def test_syntax_error_fails_the_conversion(self):
        node = ensure_npm_package()
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "broken.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = \n')
            with self.assertRaises(AssertionError):
                hcl_to_json(node, tmp)

    def test_duplicate_definitions_are_kept(self):
        node = ensure_npm_package()
        with tempfile.TemporaryDirectory() as tmp:
            for f in ("a.tf", "b.tf"):
                Path(tmp, f).write_text('resource "aws_s3_bucket" "x" {\n  bucket = "%s"\n}\n' % f)
            parsed = hcl_to_json(node, tmp)
        self.assertEqual([b["bucket"] for b in parsed["config"]["resource"]["aws_s3_bucket"]["x"]], ["a.tf", "b.tf"])


if __name__ == "__main__":
    unittest.main()
