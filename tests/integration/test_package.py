"""The Debian package: cpack -G DEB in the build directory, then dpkg-deb reads it back (files and
modes, control fields, conffiles, maintainer scripts, the packaged unit and env file). Needs
MC_BUILD_DIR (a configured build with market-collector built), MC_COLLECTOR_BIN and MC_SOURCE_DIR;
CTest sets them."""
import glob
import io
import os
import re
import subprocess
import tarfile
import tempfile
import unittest

import harness

SOURCE_DIR = harness.source_dir()
BUILD_DIR = os.environ.get("MC_BUILD_DIR", "")
COLLECTOR = os.environ.get("MC_COLLECTOR_BIN", "")

BINARY = "./usr/bin/market-collector"
UNIT = "./lib/systemd/system/market-collector.service"
YAML = "./etc/market-collector/collector.yaml"
ENV = "./etc/market-collector/collector.env"
DOCS = ["./usr/share/doc/market-collector/README.md", "./usr/share/doc/market-collector/RUNBOOK.md",
        "./usr/share/doc/market-collector/copyright"]


def run(*args):
    return subprocess.run(list(args), capture_output=True, check=True, timeout=120).stdout


def tar_members(tar_bytes):
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return {m.name: m for m in tar.getmembers()}, {
            m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


class DebPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BUILD_DIR or not COLLECTOR:
            raise unittest.SkipTest("MC_BUILD_DIR or MC_COLLECTOR_BIN is not set")
        if not os.path.isfile(COLLECTOR):
            raise AssertionError(f"{COLLECTOR} is not built: cmake --build {BUILD_DIR} --target market-collector")
        cls.tmp = tempfile.TemporaryDirectory(prefix="mc-deb-")
        run("cpack", "-G", "DEB", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", cls.tmp.name)
        debs = glob.glob(os.path.join(cls.tmp.name, "*.deb"))
        if len(debs) != 1:
            raise AssertionError(f"expected one .deb in {cls.tmp.name}, found {debs}")
        cls.deb = debs[0]
        cls.data, cls.data_files = tar_members(run("dpkg-deb", "--fsys-tarfile", cls.deb))
        cls.control, cls.control_files = tar_members(run("dpkg-deb", "--ctrl-tarfile", cls.deb))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def field(self, name):
        return run("dpkg-deb", "--field", self.deb, name).decode().strip()

    def test_the_file_name_and_control_fields(self):
        with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
            version = re.search(r"project\(market_collector VERSION (\S+)", f.read()).group(1)
        arch = run("dpkg", "--print-architecture").decode().strip()
        self.assertEqual(os.path.basename(self.deb), f"market-collector_{version}-1_{arch}.deb")
        self.assertEqual(self.field("Package"), "market-collector")
        self.assertEqual(self.field("Version"), f"{version}-1")
        self.assertEqual(self.field("Architecture"), arch)
        self.assertIn("@", self.field("Maintainer"))
        self.assertTrue(self.field("Description").startswith("Binance trade streams"), self.field("Description"))

    def test_depends_holds_the_shared_libraries_and_the_script_tools(self):
        depends = [d.strip().split()[0] for d in self.field("Depends").split(",")]
        # From dpkg-shlibdeps: the collector links libcurl, OpenSSL and yaml-cpp dynamically.
        self.assertIn("libcurl4", depends)
        self.assertIn("libc6", depends)
        self.assertTrue(any(d.startswith("libssl3") for d in depends), depends)
        self.assertIn("adduser", depends)
        self.assertIn("ca-certificates", depends)

    def test_the_files_and_their_modes(self):
        for path in [BINARY, UNIT, YAML, ENV] + DOCS:
            self.assertIn(path, self.data, sorted(self.data))
            self.assertEqual(self.data[path].uname, "root", path)
        self.assertEqual(self.data[BINARY].mode, 0o755)
        self.assertEqual(self.data_files[BINARY][:4], b"\x7fELF")
        self.assertEqual(self.data[UNIT].mode, 0o644)
        self.assertEqual(self.data[YAML].mode, 0o644)
        self.assertEqual(self.data[ENV].mode, 0o640)
        # Nothing under /usr/local, and nothing the package should leave to systemd (the state directory).
        self.assertFalse([p for p in self.data if p.startswith(("./usr/local", "./var"))], sorted(self.data))

    def test_the_copyright_file_grants_apache_2_0_in_dep_5(self):
        copyright = self.data_files["./usr/share/doc/market-collector/copyright"].decode()
        with open(os.path.join(SOURCE_DIR, "packaging", "deb", "copyright")) as f:
            self.assertEqual(copyright, f.read())
        self.assertTrue(copyright.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"))
        self.assertIn("\nFiles: *\n", copyright)
        self.assertIn("\nLicense: Apache-2.0\n", copyright)
        self.assertIn('"/usr/share/common-licenses/Apache-2.0"', copyright)
        self.assertNotIn("License: none", copyright)

    def test_the_etc_files_are_conffiles_and_match_the_sources(self):
        conffiles = self.control_files["./conffiles"].decode().split()
        self.assertEqual(sorted(conffiles), ["/etc/market-collector/collector.env",
                                             "/etc/market-collector/collector.yaml"])
        with open(os.path.join(SOURCE_DIR, "configs", "collector.yaml"), "rb") as f:
            self.assertEqual(self.data_files[YAML], f.read())
        with open(os.path.join(SOURCE_DIR, ".env.example"), "rb") as f:
            self.assertEqual(self.data_files[ENV], f.read())

    def test_the_env_example_has_no_secrets_and_the_ec2_settings(self):
        env = self.data_files[ENV].decode()
        for secret in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"):
            self.assertNotIn(secret, env)
        settings = dict(line.split("=", 1) for line in env.splitlines() if line and not line.startswith("#"))
        self.assertEqual(settings["LOCAL_DIR"], "/var/lib/market-collector/spool")
        self.assertEqual(settings["LOG_FORMAT"], "json")
        self.assertIn("RAW_BUCKET", env)
        self.assertIn("AWS_REGION", env)
        for key, value in settings.items():
            self.assertRegex(key, r"^[A-Z][A-Z0-9_]*$")
            self.assertNotRegex(value, r"[\s\"']", f"{key}: systemd and sh read this file differently")

    def test_the_maintainer_scripts(self):
        for script in ("./postinst", "./prerm", "./postrm"):
            self.assertIn(script, self.control, sorted(self.control))
            self.assertEqual(self.control[script].mode, 0o755, script)
            self.assertTrue(self.control_files[script].startswith(b"#!/bin/sh\n"), script)
            subprocess.run(["sh", "-n"], input=self.control_files[script], check=True, timeout=10)
        postinst = self.control_files["./postinst"].decode()
        self.assertIn("adduser --system", postinst)
        self.assertIn("--home /var/lib/market-collector", postinst)
        # The operator fills in collector.env first: the install must not start or enable the collector;
        # an upgrade restarts it only if it was running.
        verbs = re.findall(r"^\s*systemctl (\S+)", postinst, re.MULTILINE)
        self.assertEqual(sorted(verbs), ["daemon-reload", "try-restart"], postinst)
        self.assertIn("systemctl stop market-collector", self.control_files["./prerm"].decode())

    def run_script(self, name, args, existing=()):
        """Runs a maintainer script with adduser, getent and systemctl replaced by stubs that log their
        arguments; getent knows only the "database:name" entries in existing. Returns the logged calls."""
        with tempfile.TemporaryDirectory(prefix="mc-deb-script-") as tmp:
            log = os.path.join(tmp, "calls")
            for tool, rc in (("adduser", "0"), ("systemctl", "0"),
                             ("getent", '$(case " $MC_EXISTING " in *" $1:$2 "*) echo 0;; *) echo 2;; esac)')):
                with open(os.path.join(tmp, tool), "w") as f:
                    f.write(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\nexit {rc}\n')
                os.chmod(os.path.join(tmp, tool), 0o755)
            script = os.path.join(tmp, name)
            with open(script, "wb") as f:
                f.write(self.control_files["./" + name])
            env = {"PATH": f"{tmp}:/usr/bin:/bin", "MC_EXISTING": " ".join(existing)}
            subprocess.run(["sh", script, *args], env=env, check=True, capture_output=True, timeout=10)
            if not os.path.exists(log):
                return []
            with open(log) as f:
                return [c for c in f.read().splitlines() if not c.startswith("getent")]

    def test_postinst_creates_the_user_once_and_never_starts_the_service(self):
        systemd = os.path.isdir("/run/systemd/system")
        calls = self.run_script("postinst", ["configure", ""])
        self.assertEqual(calls[0], "adduser --system --group --no-create-home --home /var/lib/market-collector "
                                   "--gecos market-collector --quiet market-collector")
        self.assertEqual(calls[1:], ["systemctl daemon-reload"] if systemd else [])
        # A group left behind is reused; an existing user is left alone (reinstall, upgrade).
        calls = self.run_script("postinst", ["configure", ""], existing=["group:market-collector"])
        self.assertEqual(calls[0], "adduser --system --ingroup market-collector --no-create-home "
                                   "--home /var/lib/market-collector --gecos market-collector --quiet market-collector")
        user = ["passwd:market-collector", "group:market-collector"]
        calls = self.run_script("postinst", ["configure", ""], existing=user)
        self.assertFalse([c for c in calls if c.startswith("adduser")], calls)
        calls = self.run_script("postinst", ["configure", "0.0.9-1"], existing=user)
        self.assertEqual(calls, ["systemctl daemon-reload", "systemctl try-restart market-collector.service"]
                         if systemd else [])

    def test_prerm_stops_and_disables_only_on_remove(self):
        calls = self.run_script("prerm", ["remove"])
        self.assertIn("systemctl disable --quiet market-collector.service", calls)
        if os.path.isdir("/run/systemd/system"):
            self.assertIn("systemctl stop market-collector.service", calls)
        self.assertEqual(self.run_script("prerm", ["upgrade", "0.2.0-1"]), [])
        self.assertFalse([c for c in self.run_script("postrm", ["purge"]) if "deluser" in c])

    def test_the_packaged_unit_runs_the_packaged_binary_as_the_packaged_user(self):
        unit = self.data_files[UNIT].decode()
        self.assertIn("\nExecStart=/usr/bin/market-collector run\n", unit)
        self.assertIn("\nUser=market-collector\n", unit)
        self.assertNotIn("DynamicUser=yes", unit)
        self.assertIn("\nEnvironmentFile=/etc/market-collector/collector.env\n", unit)
        self.assertIn("\nEnvironment=COLLECTOR_CONFIG=/etc/market-collector/collector.yaml\n", unit)
        self.assertIn("\nStateDirectory=market-collector\n", unit)


if __name__ == "__main__":
    unittest.main()
