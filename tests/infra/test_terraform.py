"""Static checks of infra/terraform (no AWS access, no terraform binary needed).

The HCL is parsed to JSON by @cdktf/hcl2json (hcl_to_json.js, installed with `npm ci --prefix
tests/infra`, which this test runs itself when the package is missing), and every property the
deployment relies on is asserted on that JSON: a missing node or npm package is a FAILURE, never a
skip. MC_TERRAFORM_DIR points the test at another copy of the configuration (used to check that a
deliberately broken copy fails).
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TF_DIR = Path(os.environ.get("MC_TERRAFORM_DIR", REPO / "infra" / "terraform")).resolve()
PACKAGE = "@cdktf/hcl2json"
EXPECTED_FILES = {"providers.tf", "main.tf", "s3.tf", "iam.tf", "ec2.tf", "variables.tf", "outputs.tf"}
ALLOWED_EGRESS_PORTS = {443, 9443}
GLACIER_CLASSES = {"GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}
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
        """The aws_iam_policy_document a `policy = data.aws_iam_policy_document.X.json` refers to."""
        m = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}", norm(policy_expr))
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
            self.assertNotIn("expiration", rule, "current objects are never expired")

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
                         "${aws_iam_instance_profile.%s.name}" % profile_name)
        return m.group(1), roles[m.group(1)]

    def test_collector_role_trusts_ec2_only(self):
        _, role = self.collector_role()
        _, trust = self.policy_doc(role["assume_role_policy"])
        self.assertEqual(len(trust["statement"]), 1)
        st = trust["statement"][0]
        self.assertEqual(st.get("effect", "Allow"), "Allow")
        self.assertEqual(st["actions"], ["sts:AssumeRole"])
        self.assertEqual(st["principals"], [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}])

    def test_collector_role_has_exactly_put_and_get_object_on_raw(self):
        role_name, role = self.collector_role()
        for attr in ("managed_policy_arns", "inline_policy"):
            self.assertNotIn(attr, role, "all of the collector role's permissions are in one aws_iam_role_policy")
        refs = {"${aws_iam_role.%s.%s}" % (role_name, a) for a in ("id", "name")}
        attached = []
        for rtype, key in (("aws_iam_role_policy", "role"), ("aws_iam_role_policy_attachment", "role"),
                           ("aws_iam_policy_attachment", "roles"), ("aws_iam_role_policies_exclusive", "role_name"),
                           ("aws_iam_role_policy_attachments_exclusive", "role_name")):
            for name, body in self.blocks("resource", rtype).items():
                if any(norm(r) in refs for r in as_list(body.get(key, []))):
                    attached.append((rtype, name, body))
        self.assertEqual(len(attached), 1, "exactly one policy on the collector role, found %s"
                         % [(t, n) for t, n, _ in attached])
        self.assertEqual(attached[0][0], "aws_iam_role_policy", "the collector's policy is inline, nothing attached")
        _, doc = self.policy_doc(attached[0][2]["policy"])
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
        _, collector_policy = self.only("resource", "aws_iam_role_policy")
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
        self.assertEqual(instance["count"], "${var.instance_count}")
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
        self.assertEqual(norm(ami["count"]), "${var.ami_id==null?1:0}")
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
        name, sg = self.only("resource", "aws_security_group")
        self.assertEqual(self.collector_instance()["vpc_security_group_ids"], ["${aws_security_group.%s.id}" % name])
        return sg

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
        port = int(re.search(r":(\d+)", url.group(1).split("//", 1)[1]).group(1)) if url else 9443
        self.assertIn(port, ports, "the instances cannot reach Binance on port %d" % port)

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

    # --- variables and outputs -----------------------------------------------------------------

    def test_variables_described_typed_validated(self):
        for name, bodies in self.cfg["variable"].items():
            self.assertTrue(bodies[0].get("description"), "variable %s needs a description" % name)
            self.assertIn("type", bodies[0], "variable %s needs a type" % name)
        for name in ("bucket_name", "region", "instance_count", "subnet_ids", "package_url", "symbols",
                     "glacier_transition_days", "noncurrent_version_expiration_days", "object_lock_days"):
            validation = self.variable(name).get("validation", [])
            self.assertTrue(validation, "variable %s needs a validation" % name)
            self.assertIn("var.%s" % name, validation[0]["condition"])
        self.assertIn("length(var.subnet_ids)>0", norm(self.variable("subnet_ids")["validation"][0]["condition"]))
        self.assertIn("https://", self.variable("package_url")["validation"][0]["condition"])
        for required in ("bucket_name", "region", "subnet_ids", "package_url"):
            self.assertNotIn("default", self.variable(required), "%s has no sensible default" % required)

    def test_outputs(self):
        outputs = {name: bodies[0]["value"] for name, bodies in self.cfg["output"].items()}
        bucket = self.bucket_ref()
        self.assertIn(outputs.get("raw_bucket_name"), ("${%s.id}" % bucket, "${%s.bucket}" % bucket))
        self.assertEqual(outputs.get("bucket_arn"), "${%s.arn}" % bucket)
        self.assertEqual(outputs.get("collector_role_arn"), "${aws_iam_role.%s.arn}" % self.collector_role()[0])
        reader, instance = self.only("resource", "aws_iam_policy")[0], self.only("resource", "aws_instance")[0]
        self.assertEqual(outputs.get("reader_policy_arn"), "${aws_iam_policy.%s.arn}" % reader)
        self.assertEqual(outputs.get("instance_ids"), "${aws_instance.%s[*].id}" % instance)


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
