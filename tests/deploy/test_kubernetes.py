"""Static checks of deploy/kubernetes (no cluster, no kubectl or kustomize needed).

Every YAML file of the kustomize base and of its ServiceMonitor component is parsed with PyYAML (Debian:
python3-yaml; a missing module is a FAILURE, never a skip), and every property the deployment relies on is
asserted on the parsed objects. Figures the collector defines are read from its sources, not copied: the
configuration keys and STOP_TIMEOUT_SECS's default (src/config), the S3 request timeout (src/store), the
record queue's bound (src/spool) and the version (CMakeLists.txt). MC_KUSTOMIZE_DIR points the test at
another copy of the base; BrokenCopyTest runs the checks on deliberately broken copies and expects each to
fail.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

try:
    import yaml
except ImportError:
    yaml = None

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
K8S_DIR = Path(os.environ.get("MC_KUSTOMIZE_DIR", REPO / "deploy" / "kubernetes")).resolve()
COMPONENT = Path("components") / "servicemonitor"
MISSING_YAML = "static.kubernetes needs PyYAML: apt-get install python3-yaml (scripts/install-deps.sh installs it)"

# The container image's contract (the Dockerfile): its name, user and environment defaults.
IMAGE_NAME = "market-collector"
IMAGE_UID = IMAGE_GID = 10001
IMAGE_ENV = {
    "LOCAL_DIR": "/var/lib/market-collector/spool",  # a VOLUME in the image
    "LOCAL_STORE_DIR": "/var/lib/market-collector/store",
    "METRICS_ADDR": "0.0.0.0:9108",
    "LOG_FORMAT": "json",
}
REPLICAS = 3
NAME_LABEL = "app.kubernetes.io/name"
ZONE_KEY = "topology.kubernetes.io/zone"
HOST_KEY = "kubernetes.io/hostname"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# Beyond STOP_TIMEOUT_SECS and the longest PUT, as the systemd unit's TimeoutStopSec (20 + 120 + 10).
DRAIN_MARGIN_S = 10
# docs/PERFORMANCE.md: peak RSS with 1,000 symbols, 89.1 MiB; 83.9-89.5 MiB in the runs of docs/perf-log/.
PEAK_RSS_MIB = 90
# The unit restarts a collector whose loops stopped for WatchdogSec=30; liveness should not be quicker.
LIVENESS_MIN_S = 30
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")  # src/config/value_parsers.cpp check_bucket_name


def source(relative):
    return (REPO / relative).read_text()


def collector_env_keys():
    """Every environment variable of the collector's configuration table, plus the config file's."""
    keys = set(re.findall(r'\.env = "([A-Z0-9_]+)"', source("src/config/config_table.cpp")))
    keys |= set(re.findall(r'kConfigFileEnv = "([A-Z0-9_]+)"', source("src/config/config_table.hpp")))
    if len(keys) < 20:
        raise AssertionError("read only %d keys from src/config/config_table.cpp: has its layout changed?" % len(keys))
    return keys


def collector_default(key):
    m = re.search(r'\.env = "%s".*?\.default_value = "([^"]*)"' % re.escape(key),
                  source("src/config/config_table.cpp"), re.S)
    if m is None:
        raise AssertionError("no default for %s in src/config/config_table.cpp" % key)
    return m.group(1)


def aws_chain_env():
    """The AWS variables the README's credentials section documents (AWS_EC2_METADATA_DISABLED, ...)."""
    return set(re.findall(r"`(AWS_[A-Z0-9_]+)(?:=[^`]*)?`", source("README.md")))


def s3_request_timeout_s():
    m = re.search(r"request_timeout\{([0-9']+)\}", source("src/store/s3_store.hpp"))
    if m is None:
        raise AssertionError("no request_timeout{...} in src/store/s3_store.hpp")
    return int(m.group(1).replace("'", "")) // 1000


def max_queued_bytes():
    m = re.search(r"kMaxQueuedBytes = std::size_t\{(\d+)\} << (\d+);", source("src/spool/record_queue.hpp"))
    if m is None:
        raise AssertionError("no kMaxQueuedBytes in src/spool/record_queue.hpp")
    return int(m.group(1)) << int(m.group(2))


def project_version():
    m = re.search(r"project\(\w+ VERSION ([0-9.]+)", source("CMakeLists.txt"))
    if m is None:
        raise AssertionError("no project(... VERSION x.y.z) in CMakeLists.txt")
    return m.group(1)


def quantity_bytes(text):
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti)?", str(text))
    if m is None:
        raise AssertionError("cannot read the quantity %r (expected a whole number of Ki, Mi, Gi or Ti)" % text)
    return int(m.group(1)) << {None: 0, "Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40}[m.group(2)]


def load_yaml_dir(directory):
    """{file name: [documents]} of every *.yaml / *.yml directly in directory."""
    if yaml is None:
        raise AssertionError(MISSING_YAML)
    files = {}
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix in (".yaml", ".yml"):
            try:
                files[path.name] = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
            except yaml.YAMLError as error:
                raise AssertionError("%s does not parse: %s" % (path, error)) from None
    return files


def matches(selector, labels):
    """True when a matchLabels selector selects an object with these labels."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class KubernetesStaticTest(unittest.TestCase):
    directory = K8S_DIR

    @classmethod
    def setUpClass(cls):
        cls.files = load_yaml_dir(cls.directory)
        cls.component_files = load_yaml_dir(cls.directory / COMPONENT) if (cls.directory / COMPONENT).is_dir() else {}
        cls.objects = [doc for name, docs in cls.files.items() if name != "kustomization.yaml" for doc in docs]

    # --- helpers -------------------------------------------------------------------------------

    def kustomization(self, files):
        self.assertIn("kustomization.yaml", files)
        self.assertEqual(len(files["kustomization.yaml"]), 1)
        return files["kustomization.yaml"][0]

    def only(self, kind, objects=None):
        found = [o for o in (self.objects if objects is None else objects) if o.get("kind") == kind]
        self.assertEqual(len(found), 1, "expected exactly one %s, found %d" % (kind, len(found)))
        return found[0]

    def statefulset(self):
        return self.only("StatefulSet")

    def pod(self):
        return self.statefulset()["spec"]["template"]

    def container(self):
        containers = self.pod()["spec"]["containers"]
        self.assertEqual(len(containers), 1, "one container: the collector")
        return containers[0]

    def pod_labels(self):
        return self.pod()["metadata"]["labels"]

    def configmap(self, name):
        found = [o for o in self.objects if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == name]
        self.assertEqual(len(found), 1, "the ConfigMap %s the pod refers to is not in the base" % name)
        return found[0].get("data", {})

    def env_source(self, name):
        """Where the collector's `name` comes from: ("value", text), ("fieldRef", path) or ("default", text)."""
        for entry in self.container().get("env", []):
            if entry["name"] != name:
                continue
            if "value" in entry:
                return "value", entry["value"]
            ref = entry.get("valueFrom", {})
            if "fieldRef" in ref:
                return "fieldRef", ref["fieldRef"]["fieldPath"]
            if "configMapKeyRef" in ref:
                key_ref = ref["configMapKeyRef"]
                data = self.configmap(key_ref["name"])
                self.assertIn(key_ref["key"], data, "env %s names a key the ConfigMap lacks" % name)
                return "value", data[key_ref["key"]]
            self.fail("env %s comes from %s, which this test cannot read" % (name, sorted(ref)))
        value = None
        for source_ref in self.container().get("envFrom", []):  # a later envFrom entry wins
            if "configMapRef" in source_ref and name in self.configmap(source_ref["configMapRef"]["name"]):
                value = self.configmap(source_ref["configMapRef"]["name"])[name]
        if value is not None:
            return "value", value
        return "default", IMAGE_ENV[name] if name in IMAGE_ENV else collector_default(name)

    def env(self, name):
        kind, value = self.env_source(name)
        self.assertNotEqual(kind, "fieldRef", "%s must be a plain value" % name)
        return str(value)

    def mounts(self):
        return {m["mountPath"]: m for m in self.container().get("volumeMounts", [])}

    def volume_kind(self, volume_name):
        for template in self.statefulset()["spec"].get("volumeClaimTemplates", []):
            if template["metadata"]["name"] == volume_name:
                return "pvc"
        for volume in self.pod()["spec"].get("volumes", []):
            if volume["name"] == volume_name:
                return next(k for k in volume if k != "name")
        self.fail("volume %s is neither a volume nor a volumeClaimTemplate" % volume_name)

    def metrics_port(self):
        port = int(self.env("METRICS_ADDR").rsplit(":", 1)[1])
        named = [p for p in self.container().get("ports", []) if p.get("name") == "metrics"]
        self.assertEqual(len(named), 1, "one container port named metrics")
        self.assertEqual(named[0]["containerPort"], port, "the port named metrics is METRICS_ADDR's")
        return port

    def services(self):
        return [o for o in self.objects if o.get("kind") == "Service"]

    # --- files ---------------------------------------------------------------------------------

    def assert_lists_every_file(self, directory, files, kind):
        kustomization = self.kustomization(files)
        self.assertEqual(kustomization.get("kind"), kind)
        listed = kustomization.get("resources", [])
        self.assertEqual(len(listed), len(set(listed)), "a resource is listed twice")
        on_disk = {p.name for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")}
        self.assertEqual(set(listed), on_disk - {"kustomization.yaml"},
                         "kustomization.yaml must list every YAML file of %s and nothing else" % directory)
        for name in listed:
            self.assertEqual(len(files[name]), 1, "%s: one object per file" % name)
            obj = files[name][0]
            for field in ("apiVersion", "kind"):
                self.assertIn(field, obj, "%s lacks %s" % (name, field))
            self.assertTrue(obj.get("metadata", {}).get("name"), "%s has no metadata.name" % name)
            self.assertNotIn("namespace", obj["metadata"], "%s: the namespace is the overlay's to set" % name)
            self.assertEqual(obj["metadata"].get("labels", {}).get(NAME_LABEL), "market-collector", name)

    def test_kustomization_lists_every_file(self):
        self.assertEqual(self.kustomization(self.files).get("apiVersion"), "kustomize.config.k8s.io/v1beta1")
        self.assert_lists_every_file(self.directory, self.files, "Kustomization")
        self.assertTrue((self.directory / "README.md").is_file())
        self.assertIn("kubectl apply -k", (self.directory / "README.md").read_text())

    def test_base_needs_no_crd(self):
        kustomization = self.kustomization(self.files)
        self.assertNotIn("components", kustomization, "the ServiceMonitor is opt-in, not in the base")
        for obj in self.objects:
            self.assertIn(obj["apiVersion"].split("/")[0], ("v1", "apps", "policy"),
                          "%s %s needs an API the base cannot assume" % (obj["kind"], obj["metadata"]["name"]))

    def test_image_and_tag(self):
        self.assertEqual(self.container()["image"], IMAGE_NAME, "the image is set through kustomize's images:")
        images = self.kustomization(self.files).get("images", [])
        self.assertEqual([i["name"] for i in images], [IMAGE_NAME])
        self.assertEqual(images[0].get("newTag"), project_version(), "the default tag is the project's version")
        for override in ("command", "args"):
            self.assertNotIn(override, self.container(), "the image's entrypoint runs the collector as it is")

    # --- StatefulSet ---------------------------------------------------------------------------

    def test_statefulset(self):
        spec = self.statefulset()["spec"]
        self.assertEqual(spec["replicas"], REPLICAS)
        self.assertEqual(spec.get("updateStrategy", {}).get("type", "RollingUpdate"), "RollingUpdate")
        self.assertNotIn("partition", spec.get("updateStrategy", {}).get("rollingUpdate", {}),
                         "a partition in the base would leave pods un-updated")
        self.assertEqual(spec.get("podManagementPolicy"), "Parallel")
        selector = spec["selector"]["matchLabels"]
        self.assertTrue(matches(selector, self.pod_labels()), "the selector must select the pod template")
        headless = [s for s in self.services() if s["metadata"]["name"] == spec["serviceName"]]
        self.assertEqual(len(headless), 1, "serviceName must name a Service of the base")
        self.assertEqual(headless[0]["spec"].get("clusterIP"), "None", "the governing Service is headless")
        self.assertTrue(matches(headless[0]["spec"]["selector"], self.pod_labels()))
        retention = spec.get("persistentVolumeClaimRetentionPolicy", {})
        self.assertEqual(retention, {"whenDeleted": "Retain", "whenScaled": "Retain"},
                         "a spool volume may hold parts not yet uploaded")

    def test_spool_on_a_volume_per_replica(self):
        local_dir = self.env("LOCAL_DIR")
        self.assertEqual(local_dir, IMAGE_ENV["LOCAL_DIR"], "the spool is where the image's VOLUME is")
        templates = self.statefulset()["spec"].get("volumeClaimTemplates", [])
        self.assertEqual(len(templates), 1, "one volume claim per replica: the spool")
        template = templates[0]
        mount = self.mounts().get(local_dir)
        self.assertIsNotNone(mount, "nothing is mounted at LOCAL_DIR=%s" % local_dir)
        self.assertEqual(mount["name"], template["metadata"]["name"], "LOCAL_DIR must be the claim's volume")
        self.assertNotIn("subPath", mount)
        self.assertFalse(mount.get("readOnly", False))
        self.assertEqual(template["spec"]["accessModes"], ["ReadWriteOnce"])
        self.assertGreaterEqual(quantity_bytes(template["spec"]["resources"]["requests"]["storage"]),
                                int(collector_default("SPOOL_MAX_BYTES")), "room for the spool's alarm size")
        self.assertNotIn(template["metadata"]["name"], [v["name"] for v in self.pod()["spec"].get("volumes", [])])

    def test_every_path_the_collector_writes_is_a_volume(self):
        """The root file system is read-only: LOCAL_DIR and LOCAL_STORE_DIR must be mounted volumes."""
        for key, kinds in (("LOCAL_DIR", {"pvc"}), ("LOCAL_STORE_DIR", {"pvc", "emptyDir"})):
            path = self.env(key)
            mount = self.mounts().get(path)
            self.assertIsNotNone(mount, "%s=%s is not a mounted volume (read-only root file system)" % (key, path))
            self.assertIn(self.volume_kind(mount["name"]), kinds, key)
        for path in self.mounts():
            self.assertNotEqual(path, "/", "nothing is mounted over the root")

    def test_instance_id_is_the_pod_name(self):
        self.assertEqual(self.env_source("INSTANCE_ID"), ("fieldRef", "metadata.name"),
                         "each replica's keys differ and stay the same across reschedules")

    def test_anti_affinity(self):
        anti = self.pod()["spec"].get("affinity", {}).get("podAntiAffinity", {})
        terms = [(t, "required") for t in anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])]
        terms += [(t["podAffinityTerm"], "preferred")
                  for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])]
        by_key = {}
        for term, how in terms:
            self.assertTrue(matches(term["labelSelector"]["matchLabels"], self.pod_labels()), "the %s anti-affinity "
                            "on %s must select the collector's own pods" % (how, term["topologyKey"]))
            by_key.setdefault(term["topologyKey"], set()).add(how)
        self.assertIn(ZONE_KEY, by_key, "replicas spread across zones")
        self.assertEqual(by_key.get(HOST_KEY), {"required"}, "never two replicas on one node")

    def test_pod_disruption_budget(self):
        pdb = self.only("PodDisruptionBudget")
        self.assertEqual(pdb["apiVersion"], "policy/v1")
        self.assertEqual(pdb["spec"].get("maxUnavailable"), 1)
        self.assertNotIn("minAvailable", pdb["spec"])
        selector = pdb["spec"]["selector"]["matchLabels"]
        self.assertEqual(selector, self.statefulset()["spec"]["selector"]["matchLabels"])
        self.assertTrue(matches(selector, self.pod_labels()))
        self.assertEqual(pdb["spec"].get("unhealthyPodEvictionPolicy"), "AlwaysAllow")

    def test_termination_grace_covers_the_drain(self):
        stop = int(self.env("STOP_TIMEOUT_SECS"))
        self.assertTrue(1 <= stop <= 600, "STOP_TIMEOUT_SECS=%d is outside 1 to 600" % stop)
        grace = self.pod()["spec"].get("terminationGracePeriodSeconds", 30)
        needed = stop + s3_request_timeout_s() + DRAIN_MARGIN_S
        self.assertGreaterEqual(grace, needed, "terminationGracePeriodSeconds must cover STOP_TIMEOUT_SECS (%d) + "
                                "the longest PUT (%d) + %d s" % (stop, s3_request_timeout_s(), DRAIN_MARGIN_S))
        self.assertNotIn("lifecycle", self.container(), "a preStop hook would eat into the drain's time")

    def test_probes(self):
        port = self.metrics_port()
        self.assertEqual(port, 9108)
        host = self.env("METRICS_ADDR").rsplit(":", 1)[0]
        self.assertNotIn(host, ("127.0.0.1", "localhost", "[::1]"), "the kubelet probes from outside the pod")
        container = self.container()
        for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            self.assertIn(probe, container)
            get = container[probe].get("httpGet", {})
            self.assertEqual(get.get("path"), path, probe)
            self.assertEqual(get.get("port"), "metrics", "%s must use the port named metrics" % probe)
            self.assertGreaterEqual(container[probe].get("timeoutSeconds", 1), 2,
                                    "%s: the endpoint may take up to 2 s per connection" % probe)
        liveness = container["livenessProbe"]
        self.assertGreaterEqual(liveness.get("periodSeconds", 10) * liveness.get("failureThreshold", 3), LIVENESS_MIN_S)

    def test_security_context(self):
        pod = self.pod()["spec"].get("securityContext", {})
        container = self.container().get("securityContext", {})
        effective = {**pod, **container}
        self.assertIs(effective.get("runAsNonRoot"), True)
        self.assertEqual(effective.get("runAsUser"), IMAGE_UID)
        self.assertEqual(effective.get("runAsGroup"), IMAGE_GID)
        self.assertEqual(pod.get("fsGroup"), IMAGE_GID, "the spool volume must be writable by the image's user")
        self.assertIs(container.get("readOnlyRootFilesystem"), True)
        self.assertIs(container.get("allowPrivilegeEscalation"), False)
        self.assertIs(container.get("privileged", False), False)
        self.assertEqual(container.get("capabilities", {}).get("drop"), ["ALL"])
        self.assertNotIn("add", container.get("capabilities", {}))
        self.assertEqual(effective.get("seccompProfile"), {"type": "RuntimeDefault"})
        self.assertIs(self.pod()["spec"].get("automountServiceAccountToken"), False)
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            self.assertFalse(self.pod()["spec"].get(host, False), host)

    def test_resources(self):
        resources = self.container().get("resources", {})
        requests, limits = resources.get("requests", {}), resources.get("limits", {})
        for key in ("cpu", "memory"):
            self.assertIn(key, requests)
        self.assertGreaterEqual(quantity_bytes(requests["memory"]), PEAK_RSS_MIB << 20,
                                "the request must hold the measured peak RSS")
        self.assertGreaterEqual(quantity_bytes(limits.get("memory", "0")), (PEAK_RSS_MIB << 20) + max_queued_bytes(),
                                "the limit must hold the peak RSS plus a full record queue (kMaxQueuedBytes)")
        self.assertNotIn("cpu", limits, "no CPU limit: throttling delays reads and skews receive times")

    # --- configuration ------------------------------------------------------------------------

    def test_configmap_keys_are_the_collectors(self):
        known = collector_env_keys()
        refs = [s["configMapRef"]["name"] for s in self.container().get("envFrom", []) if "configMapRef" in s]
        self.assertTrue(refs, "the collector's settings come from a ConfigMap (envFrom)")
        configmaps = [o for o in self.objects if o.get("kind") == "ConfigMap"]
        self.assertEqual(sorted(c["metadata"]["name"] for c in configmaps), sorted(refs))
        for cm in configmaps:
            for key, value in cm.get("data", {}).items():
                self.assertIn(key, known, "ConfigMap %s sets %s, which the collector does not know"
                              % (cm["metadata"]["name"], key))
                self.assertIsInstance(value, str, "ConfigMap values are strings: quote %s" % key)
            for key in ("RAW_BUCKET", "AWS_REGION", "STOP_TIMEOUT_SECS"):
                self.assertIn(key, cm.get("data", {}))
            self.assertIsNone(BUCKET_NAME.match(cm["data"]["RAW_BUCKET"]),
                              "the base's RAW_BUCKET must be a placeholder the collector refuses, not a bucket name")
            for secret in ("BINANCE_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"):
                self.assertNotIn(secret, cm.get("data", {}), "no secrets in a ConfigMap")

    def test_container_env_names_are_known(self):
        known = collector_env_keys() | aws_chain_env()
        names = [e["name"] for e in self.container().get("env", [])]
        self.assertEqual(len(names), len(set(names)), "an env entry is set twice")
        for name in names:
            self.assertIn(name, known, "env %s is neither a configuration key nor a documented AWS variable" % name)
        self.assertEqual(self.env_source("AWS_REGION")[0], "value")
        self.assertIn("AWS_REGION", names, "an explicit entry, so the IRSA webhook's region cannot replace it")
        self.assertEqual(self.env("AWS_EC2_METADATA_DISABLED"), "true",
                         "credentials come from the service account, never the node's instance role")
        self.assertEqual(self.env("LOG_FORMAT"), "json")

    def test_service_account_for_irsa(self):
        account = self.only("ServiceAccount")
        self.assertEqual(self.pod()["spec"].get("serviceAccountName"), account["metadata"]["name"])
        arn = account["metadata"].get("annotations", {}).get(IRSA_ANNOTATION)
        self.assertIsNotNone(arn, "the ServiceAccount needs the %s annotation" % IRSA_ANNOTATION)
        self.assertRegex(arn, r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$")

    def test_metrics_service(self):
        port = self.metrics_port()
        with_metrics = []
        for service in self.services():
            self.assertTrue(matches(service["spec"].get("selector"), self.pod_labels()),
                            "Service %s must select the collector's pods" % service["metadata"]["name"])
            for p in service["spec"].get("ports", []):
                if p.get("name") == "metrics":
                    with_metrics.append(service)
                    self.assertEqual(p["port"], port)
                    target = p.get("targetPort", p["port"])
                    if isinstance(target, str):
                        self.assertEqual(target, "metrics", "targetPort must name the container's port")
                        target = port
                    self.assertEqual(target, port, "the port named metrics must reach the collector's 9108")
        self.assertEqual(len(with_metrics), 1, "one Service exposes the port named metrics")
        self.assertNotEqual(with_metrics[0]["spec"].get("clusterIP"), "None")
        self.assertIs(with_metrics[0]["spec"].get("publishNotReadyAddresses"), True,
                      "a collector that is not ready must still be scraped")

    # --- the ServiceMonitor component ----------------------------------------------------------

    def test_servicemonitor_component(self):
        self.assertTrue(self.component_files, "%s is missing" % (self.directory / COMPONENT))
        kustomization = self.kustomization(self.component_files)
        self.assertEqual(kustomization.get("apiVersion"), "kustomize.config.k8s.io/v1alpha1")
        self.assert_lists_every_file(self.directory / COMPONENT, self.component_files, "Component")
        objects = [d for n, docs in self.component_files.items() if n != "kustomization.yaml" for d in docs]
        monitor = self.only("ServiceMonitor", objects)
        self.assertEqual(monitor["apiVersion"], "monitoring.coreos.com/v1")
        selected = [s for s in self.services()
                    if matches(monitor["spec"]["selector"]["matchLabels"], s["metadata"].get("labels", {}))]
        self.assertEqual(len(selected), 1, "the ServiceMonitor selects exactly one Service (no double scrape)")
        self.assertIn("metrics", [p.get("name") for p in selected[0]["spec"].get("ports", [])])
        self.assertEqual([(e.get("port"), e.get("path", "/metrics")) for e in monitor["spec"]["endpoints"]],
                         [("metrics", "/metrics")])


class BrokenCopyTest(unittest.TestCase):
    """Each deliberately broken copy of the base must fail the check that guards what it broke."""

    def setUp(self):
        if yaml is None:
            raise AssertionError(MISSING_YAML)
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.copy = Path(self.tmp.name) / "kubernetes"
        shutil.copytree(K8S_DIR, self.copy)

    def edit(self, name, change):
        path = self.copy / name
        doc = yaml.safe_load(path.read_text())
        change(doc)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    def failures(self):
        case = type("KubernetesStaticTestOnCopy", (KubernetesStaticTest,), {"directory": self.copy})
        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
        # A test's id ends in its method name; a failed setUpClass reads "setUpClass (module.Class)".
        return {t.id().split(" ")[0] if " " in t.id() else t.id().rsplit(".", 1)[-1]
                for t, _ in result.failures + result.errors}

    def in_file(self, name, change):
        return lambda: self.edit(name, change)

    def test_intact_copy_passes(self):
        self.assertEqual(self.failures(), set())

    def test_each_break_is_caught(self):
        def pod(doc):
            return doc["spec"]["template"]["spec"]

        def container(doc):
            return pod(doc)["containers"][0]

        def set_env(name, entry):
            def change(doc):
                env = container(doc)["env"]
                env[:] = [e for e in env if e["name"] != name] + ([entry] if entry else [])
            return change

        def without_pdb():
            (self.copy / "poddisruptionbudget.yaml").unlink()
            self.edit("kustomization.yaml", lambda k: k["resources"].remove("poddisruptionbudget.yaml"))

        sts, pdb, cm = "statefulset.yaml", "poddisruptionbudget.yaml", "configmap.yaml"
        preferred = "preferredDuringSchedulingIgnoredDuringExecution"
        breaks = [
            ("replicas 2", self.in_file(sts, lambda d: d["spec"].update(replicas=2)), "test_statefulset"),
            ("no PDB", without_pdb, "test_pod_disruption_budget"),
            ("PDB file gone, still listed", lambda: (self.copy / pdb).unlink(), "test_kustomization_lists_every_file"),
            ("a file not listed", lambda: shutil.copy(self.copy / cm, self.copy / "extra.yaml"),
             "test_kustomization_lists_every_file"),
            ("PDB maxUnavailable 2", self.in_file(pdb, lambda d: d["spec"].update(maxUnavailable=2)),
             "test_pod_disruption_budget"),
            ("PDB selects other pods",
             self.in_file(pdb, lambda d: d["spec"].update(selector={"matchLabels": {NAME_LABEL: "other"}})),
             "test_pod_disruption_budget"),
            ("grace 30 s", self.in_file(sts, lambda d: pod(d).update(terminationGracePeriodSeconds=30)),
             "test_termination_grace_covers_the_drain"),
            ("STOP_TIMEOUT_SECS 300", self.in_file(cm, lambda d: d["data"].update(STOP_TIMEOUT_SECS="300")),
             "test_termination_grace_covers_the_drain"),
            ("STOP_TIMEOUT_SECS unquoted", self.in_file(cm, lambda d: d["data"].update(STOP_TIMEOUT_SECS=20)),
             "test_configmap_keys_are_the_collectors"),
            ("readiness on /healthz",
             self.in_file(sts, lambda d: container(d)["readinessProbe"]["httpGet"].update(path="/healthz")),
             "test_probes"),
            ("liveness on a port number",
             self.in_file(sts, lambda d: container(d)["livenessProbe"]["httpGet"].update(port=9108)), "test_probes"),
            ("metrics on loopback",
             self.in_file(sts, set_env("METRICS_ADDR", {"name": "METRICS_ADDR", "value": "127.0.0.1:9108"})),
             "test_probes"),
            ("INSTANCE_ID from the node", self.in_file(sts, set_env(
                "INSTANCE_ID", {"name": "INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}})),
             "test_instance_id_is_the_pod_name"),
            ("INSTANCE_ID unset", self.in_file(sts, set_env("INSTANCE_ID", None)), "test_instance_id_is_the_pod_name"),
            ("unknown ConfigMap key", self.in_file(cm, lambda d: d["data"].update(RAW_BUKET="x")),
             "test_configmap_keys_are_the_collectors"),
            ("a real bucket name as placeholder", self.in_file(cm, lambda d: d["data"].update(RAW_BUCKET="my-bucket")),
             "test_configmap_keys_are_the_collectors"),
            ("spool moved off the volume",
             self.in_file(sts, lambda d: container(d)["volumeMounts"][0].update(mountPath="/data")),
             "test_spool_on_a_volume_per_replica"),
            ("store not mounted", self.in_file(sts, lambda d: container(d)["volumeMounts"].pop()),
             "test_every_path_the_collector_writes_is_a_volume"),
            ("writable root",
             self.in_file(sts, lambda d: container(d)["securityContext"].update(readOnlyRootFilesystem=False)),
             "test_security_context"),
            ("no fsGroup", self.in_file(sts, lambda d: pod(d)["securityContext"].pop("fsGroup")),
             "test_security_context"),
            ("no zone anti-affinity",
             self.in_file(sts, lambda d: pod(d)["affinity"]["podAntiAffinity"].pop(preferred)),
             "test_anti_affinity"),
            ("no IRSA annotation", self.in_file("serviceaccount.yaml", lambda d: d["metadata"].pop("annotations")),
             "test_service_account_for_irsa"),
            ("metrics Service to 9100",
             self.in_file("service-metrics.yaml", lambda d: d["spec"]["ports"][0].update(targetPort=9100)),
             "test_metrics_service"),
            ("memory limit 256Mi",
             self.in_file(sts, lambda d: container(d)["resources"]["limits"].update(memory="256Mi")),
             "test_resources"),
            ("tag not the version",
             self.in_file("kustomization.yaml", lambda k: k["images"][0].update(newTag="latest")),
             "test_image_and_tag"),
            ("ServiceMonitor selects both Services", self.in_file(
                str(COMPONENT / "servicemonitor.yaml"),
                lambda d: d["spec"]["selector"]["matchLabels"].pop("app.kubernetes.io/component")),
             "test_servicemonitor_component"),
        ]
        pristine = Path(self.tmp.name) / "pristine"
        shutil.copytree(self.copy, pristine)
        for label, do_break, expected in breaks:
            with self.subTest(label):
                shutil.rmtree(self.copy)
                shutil.copytree(pristine, self.copy)
                do_break()
                self.assertIn(expected, self.failures())

    def test_mc_kustomize_dir_points_the_test_at_a_copy(self):
        self.edit("statefulset.yaml", lambda d: d["spec"].update(replicas=2))
        run = subprocess.run([sys.executable, "-m", "unittest", "-v", "test_kubernetes.KubernetesStaticTest"],
                             cwd=HERE, env={**os.environ, "MC_KUSTOMIZE_DIR": str(self.copy)},
                             capture_output=True, text=True, timeout=120)
        self.assertNotEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stderr, r"FAIL: test_statefulset \(")
        self.assertIn("2 != 3", run.stderr)


class MissingYamlTest(unittest.TestCase):
    def test_missing_pyyaml_fails_naming_the_package(self):
        code = ("import sys, unittest; sys.modules['yaml'] = None; "
                "unittest.main(module='test_kubernetes', argv=['test_kubernetes', 'KubernetesStaticTest'])")
        run = subprocess.run([sys.executable, "-c", code], cwd=HERE, capture_output=True, text=True, timeout=120)
        self.assertNotEqual(run.returncode, 0, "a missing PyYAML must fail the test, not pass it")
        self.assertIn("apt-get install python3-yaml", run.stderr)
        self.assertNotIn("skipped", run.stderr)


if __name__ == "__main__":
    unittest.main()
