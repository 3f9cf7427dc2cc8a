"""Static checks of deploy/monitoring: the Prometheus alert rules and the Grafana dashboard.

promtool (Debian: prometheus; scripts/install-deps.sh installs it; missing is a FAILURE, never a skip) checks
the rules and runs their unit tests (alerts.test.yml: every alert fires on a synthetic series and stays quiet
on a healthy one). Then every metric name in a rule or in a dashboard query must be one the collector
exports: the names are read from the renderers' sources (src/app/metrics_server.cpp, process_metrics.cpp),
so renaming a metric there without the rules and the dashboard fails here. Every alert has a severity, a
`for:` unless it fires on a counter's increase, and a runbook link to a heading of docs/RUNBOOK.md.
BrokenCopyTest runs the checks on deliberately broken copies and expects each to fail.
"""
import json
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

try:
    import yaml
except ImportError:
    yaml = None

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MONITORING = REPO / "deploy" / "monitoring"
RUNBOOK = REPO / "docs" / "RUNBOOK.md"
RENDERERS = [REPO / "src" / "app" / "metrics_server.cpp", REPO / "src" / "app" / "process_metrics.cpp"]
MISSING_PROMTOOL = "static.monitoring needs promtool: apt-get install prometheus (scripts/install-deps.sh installs it)"
MISSING_YAML = "static.monitoring needs PyYAML: apt-get install python3-yaml"
SEVERITIES = {"warning", "critical"}
# Series Prometheus makes itself for every target.
SCRAPE_SERIES = {"up"}

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset",
                "bool", "inf", "nan"}


def exported_metrics():
    """Every metric name the collector's renderers write, from the string literals of their sources."""
    names = set()
    for source in RENDERERS:
        for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', source.read_text()):
            names.update(re.findall(r"\b((?:market_collector|process)_[a-z0-9_]*[a-z0-9])\b", literal))
    return names


def metric_names(expr):
    """The metric names a PromQL expression reads (not its functions, keywords, labels or durations)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings, label values included
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?", text):
        if match.group(2) or match.group(1).lower() in PROMQL_WORDS:
            continue
        names.add(match.group(1))
    return names


def runbook_anchors():
    anchors = set()
    for line in RUNBOOK.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return anchors


def rule_problems(rules_file, tests_file):
    """What is wrong with the alert rules, as readable lines (empty: nothing)."""
    problems = []
    exported = exported_metrics() | SCRAPE_SERIES
    anchors = runbook_anchors()
    rules = [r for g in yaml.safe_load(rules_file.read_text())["groups"] for r in g["rules"] if "alert" in r]
    if not rules:
        return [f"{rules_file}: no alert rules"]
    for rule in rules:
        name = rule["alert"]
        for metric in sorted(metric_names(rule["expr"]) - exported):
            problems.append(f"{name}: {metric} is not exported by the collector")
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"{name}: severity must be one of {sorted(SEVERITIES)}")
        if "for" not in rule and "increase(" not in rule["expr"]:
            problems.append(f"{name}: no `for:` (a gauge's blip would page)")
        url = rule.get("annotations", {}).get("runbook_url", "")
        if not url.startswith("docs/RUNBOOK.md#") or url.split("#", 1)[1] not in anchors:
            problems.append(f"{name}: runbook_url {url!r} is not a heading of docs/RUNBOOK.md")
    # Every alert is tested firing and not firing.
    cases = [c for t in yaml.safe_load(tests_file.read_text())["tests"] for c in t.get("alert_rule_test", [])]
    for rule in rules:
        mine = [c for c in cases if c["alertname"] == rule["alert"]]
        if not any(c.get("exp_alerts") for c in mine):
            problems.append(f"{rule['alert']}: no test where it fires")
        if not any(not c.get("exp_alerts") for c in mine):
            problems.append(f"{rule['alert']}: no test where it stays quiet")
    return problems


def dashboard_problems(dashboard_file):
    problems = []
    exported = exported_metrics() | SCRAPE_SERIES
    dashboard = json.loads(dashboard_file.read_text())
    exprs = []

    def walk(panels):
        for panel in panels:
            walk(panel.get("panels", []))
            for target in panel.get("targets", []):
                exprs.append((panel.get("title", "?"), target.get("expr", "")))

    walk(dashboard.get("panels", []))
    if not exprs:
        return [f"{dashboard_file}: no queries"]
    for title, expr in exprs:
        names = metric_names(expr)
        if not names:
            problems.append(f"panel {title!r}: {expr!r} reads no metric")
        for metric in sorted(names - exported):
            problems.append(f"panel {title!r}: {metric} is not exported by the collector")
    return problems


def promtool(*args, cwd):
    if shutil.which("promtool") is None:
        raise AssertionError(MISSING_PROMTOOL)
    return subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


class ExportedMetricsTest(unittest.TestCase):
    def test_the_source_names_the_metrics_the_rules_need(self):
        names = exported_metrics()
        for expected in ["market_collector_symbol_trades_total", "market_collector_ws_connections_up",
                         "market_collector_spool_filesystem_avail_bytes", "process_resident_memory_bytes",
                         "market_collector_last_upload_timestamp_seconds", "market_collector_ready"]:
            self.assertIn(expected, names)

    def test_expression_parsing(self):
        self.assertEqual(metric_names('sum by (symbol) (rate(a_total{instance=~"$instance"}[$__rate_interval]))'),
                         {"a_total"})
        self.assertEqual(metric_names("time() - b_seconds > 900"), {"b_seconds"})
        self.assertEqual(metric_names("x / on (instance) y < 0.1e1"), {"x", "y"})


class RulesTest(unittest.TestCase):
    def setUp(self):
        self.assertIsNotNone(yaml, MISSING_YAML)

    def test_promtool_checks_the_rules(self):
        result = promtool("check", "rules", "alerts.yml", cwd=MONITORING)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_every_alert_fires_and_stays_quiet_as_its_unit_tests_say(self):
        result = promtool("test", "rules", "alerts.test.yml", cwd=MONITORING)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_rules_read_exported_metrics_and_link_the_runbook(self):
        self.assertEqual(rule_problems(MONITORING / "alerts.yml", MONITORING / "alerts.test.yml"), [])


class DashboardTest(unittest.TestCase):
    def test_every_query_reads_exported_metrics(self):
        self.assertEqual(dashboard_problems(MONITORING / "grafana-dashboard.json"), [])


class BrokenCopyTest(unittest.TestCase):
    """The checks above can fail: each broken copy must be caught."""

    def setUp(self):
        self.assertIsNotNone(yaml, MISSING_YAML)
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)
        shutil.copytree(MONITORING, self.tmp, dirs_exist_ok=True)

    def edit(self, name, old, new):
        path = self.tmp / name
        text = path.read_text()
        self.assertIn(old, text)
        path.write_text(text.replace(old, new, 1))

    def test_a_renamed_metric_in_the_dashboard(self):
        self.edit("grafana-dashboard.json", "market_collector_symbol_trades_total", "market_collector_trades_total")
        self.assertTrue(any("market_collector_trades_total" in p
                            for p in dashboard_problems(self.tmp / "grafana-dashboard.json")))

    def test_a_renamed_metric_in_a_rule(self):
        self.edit("alerts.yml", "market_collector_spool_oldest_age_seconds >", "market_collector_spool_age >")
        self.assertTrue(any("market_collector_spool_age" in p
                            for p in rule_problems(self.tmp / "alerts.yml", self.tmp / "alerts.test.yml")))

    def test_a_dead_runbook_link(self):
        self.edit("alerts.yml", "#marketcollectordown", "#nowhere")
        self.assertTrue(any("runbook_url" in p
                            for p in rule_problems(self.tmp / "alerts.yml", self.tmp / "alerts.test.yml")))

    def test_a_threshold_its_unit_test_does_not_expect(self):
        self.edit("alerts.yml", "market_collector_spool_oldest_age_seconds > 900", "market_collector_spool_oldest_age_seconds > 9000")
        self.assertNotEqual(promtool("test", "rules", "alerts.test.yml", cwd=self.tmp).returncode, 0)


if __name__ == "__main__":
    unittest.main()
