"""The container image (Dockerfile, docs/CONTAINER.md): built with podman on base images made from
Debian's archive (scripts/container-base-images.sh; no registry needed), run as the deployments run
it against the fake exchange, stopped with SIGTERM. Needs root and podman, runc and debootstrap
(scripts/install-deps.sh installs them): fails, never skips, without. podman reads
tests/integration/containers.conf (CONTAINERS_CONF). Cold (no base images, no cached layers): about
5.5 min on 2 cores; warm: about 10 s. MC_SOURCE_DIR is the build context; CTest sets it."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import harness
import store_reader

SOURCE_DIR = harness.source_dir()
IMAGE = "localhost/market-collector:ctest"
UID = 10001
SPOOL = "/var/lib/market-collector/spool"
STORE = "/var/lib/market-collector/store"
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
BUILD_TIMEOUT_SECS = 1000


def podman(*args, timeout=120, check=True):
    proc = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)}: exit {proc.returncode}: {proc.stderr[-3000:]}")
    return proc


def preflight():
    """One line saying what is missing, as an AssertionError: this test fails, it never skips."""
    missing = [tool for tool in ("podman", "runc", "debootstrap") if not shutil.which(tool)]
    if missing:
        raise AssertionError(f"container.image: {', '.join(missing)} not installed: "
                             "scripts/install-deps.sh installs them")
    if os.geteuid() != 0:
        raise AssertionError("container.image: needs root (rootful podman, so that files the container's "
                             f"uid {UID} writes keep that uid on the host; debootstrap)")


class ContainerImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        preflight()
        os.environ["CONTAINERS_CONF"] = os.path.join(harness.HERE, "containers.conf")
        started = time.monotonic()
        base = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "container-base-images.sh")],
                              capture_output=True, text=True, timeout=600)
        if base.returncode != 0:
            raise AssertionError(f"container-base-images.sh: exit {base.returncode}: {base.stderr[-3000:]}")
        built = time.monotonic()
        # nice: a cold build compiles the collector beside the other tests on a shared machine.
        build = subprocess.run(["nice", "podman", "build", "--format", "docker", "--tag", IMAGE, SOURCE_DIR],
                               capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECS)
        if build.returncode != 0:
            raise AssertionError(f"podman build: exit {build.returncode}: {(build.stdout + build.stderr)[-5000:]}")
        print(f"container.image: base images {built - started:.0f} s, podman build {time.monotonic() - built:.0f} s, "
              f"image {int(podman('image', 'inspect', '--format', '{{.Size}}', IMAGE).stdout) / 1e6:.1f} MB",
              file=sys.stderr)

    def test_the_image_config_is_the_deployments_contract(self):
        def field(template):
            return podman("image", "inspect", "--format", template, IMAGE).stdout.strip()

        self.assertEqual(field("{{.Config.User}}"), f"{UID}:{UID}")
        self.assertEqual(field("{{json .Config.Entrypoint}}"), '["/usr/bin/market-collector"]')
        self.assertEqual(field("{{json .Config.Cmd}}"), "null")
        env = field("{{json .Config.Env}}")
        for setting in (f"LOCAL_DIR={SPOOL}", f"LOCAL_STORE_DIR={STORE}", "METRICS_ADDR=0.0.0.0:9108",
                        "LOG_FORMAT=json"):
            self.assertIn(f'"{setting}"', env)
        self.assertIn('"9108/tcp"', field("{{json .Config.ExposedPorts}}"))
        self.assertIn(f'"{SPOOL}"', field("{{json .Config.Volumes}}"))
        self.assertEqual(field("{{.Config.StopSignal}}"), "SIGTERM")
        self.assertIn("/healthz", field("{{json .HealthCheck}}"))
        with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
            version = re.search(r"project\(market_collector VERSION (\S+)", f.read()).group(1)
        self.assertEqual(field('{{index .Labels "org.opencontainers.image.version"}}'), version,
                         "the Dockerfile's ARG VERSION must follow CMakeLists.txt's project version")
        self.assertEqual(field('{{index .Labels "org.opencontainers.image.licenses"}}'), "Apache-2.0")
        # Built without --build-arg GIT_COMMIT and without .git in the context: no commit to name.
        self.assertEqual(podman("run", "--rm", IMAGE, "--version").stdout.strip(),
                         f"market-collector {version} (commit unknown, RelWithDebInfo)")
        owners = podman("run", "--rm", "--entrypoint", "stat", IMAGE, "-c", "%u:%g %n", SPOOL, STORE).stdout
        self.assertEqual(owners.split("\n")[:2], [f"{UID}:{UID} {SPOOL}", f"{UID}:{UID} {STORE}"])

    def test_collects_drains_on_sigterm_as_pid_1_and_stores_every_trade_once(self):
        tmp = tempfile.mkdtemp(prefix="mc-container-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        store = os.path.join(tmp, "store")
        os.mkdir(store, 0o750)
        os.chown(store, UID, UID)
        suffix = uuid.uuid4().hex[:12]
        name, volume = f"mc-ctest-{suffix}", f"mc-ctest-spool-{suffix}"
        podman("volume", "create", volume)
        self.addCleanup(podman, "volume", "rm", "--force", volume, check=False)
        port = harness.free_port()

        with harness.start_fake_exchange(tls=True, symbols=SYMBOLS, rate=200) as exchange:
            self.addCleanup(podman, "rm", "--force", "--time", "0", name, check=False)
            podman("run", "--detach", "--name", name, "--network", "host",
                   "--volume", f"{store}:{STORE}", "--volume", f"{volume}:{SPOOL}",
                   "--volume", f"{exchange.ca_file}:/run/fake-exchange-ca.pem:ro",
                   "--env", f"BINANCE_WS_URL={exchange.url}", "--env", f"BINANCE_REST_URL={exchange.rest_url}",
                   "--env", "TLS_CA_FILE=/run/fake-exchange-ca.pem", "--env", f"SYMBOL={','.join(SYMBOLS)}",
                   "--env", "INSTANCE_ID=container-test", "--env", "ROT_SECS=1",
                   # Host networking: not 9108, which a collector on this host may hold.
                   "--env", f"METRICS_ADDR=127.0.0.1:{port}",
                   IMAGE)
            logs = lambda: (lambda p: p.stdout + p.stderr)(podman("logs", name, check=False))

            def rotated():
                parts, _ = store_reader.read_store(store)
                symbols = [p.symbol for p in parts if not p.quarantine]
                return all(symbols.count(s) >= 2 for s in SYMBOLS)
            try:
                harness.wait_until(rotated, 60, "two stored parts of each symbol", interval=0.5)
                harness.wait_until(lambda: self._status(f"http://127.0.0.1:{port}/healthz") == 200, 15, "/healthz 200")
            except AssertionError as e:
                raise AssertionError(f"{e}; container log:\n{logs()[-4000:]}") from None

            # The collector itself is PID 1 of the container.
            host_pid = podman("inspect", "--format", "{{.State.Pid}}", name).stdout.strip()
            with open(f"/proc/{host_pid}/status") as f:
                nspid = next(line for line in f if line.startswith("NSpid:")).split()
            self.assertEqual(nspid[-1], "1", nspid)
            with open(f"/proc/{host_pid}/cmdline", "rb") as f:
                self.assertEqual(f.read(), b"/usr/bin/market-collector\0")

            # The image's HEALTHCHECK, run once now (podman's timer needs systemd, which CI lacks).
            self.assertEqual(podman("healthcheck", "run", name, check=False).returncode, 0, logs()[-3000:])
            self.assertEqual(podman("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip(), "healthy")

            # What the exchange writes after the collector stops reading is not the collector's to lose.
            exchange.pause()
            time.sleep(0.5)
            started = time.monotonic()
            podman("stop", "--time", "30", name, timeout=60)
            stop_secs = time.monotonic() - started
            stats = exchange.stats()

        log = logs()
        self.assertEqual(podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip(), "0", log[-3000:])
        self.assertLess(stop_secs, 25, "SIGTERM did not end the collector within STOP_TIMEOUT_SECS: podman killed it")
        self.assertIn("stopped: every part sealed and stored", log)
        self.assertIn('"level":"info"', log)  # LOG_FORMAT=json

        parts, problems = store_reader.read_store(store)
        self.assertEqual(problems, [])
        for part in parts:
            self.assertEqual(store_reader.manifest_problems(part), [])
        self.assertFalse([p.key for p in parts if p.quarantine])
        stored = store_reader.ids_by_symbol(parts)
        for symbol in SYMBOLS:
            ids = stored.get(symbol, [])
            self.assertEqual(len(ids), len(set(ids)), f"{symbol}: ids stored twice")
            self.assertEqual(sorted(ids), list(range(min(ids), max(ids) + 1)), f"{symbol}: ids not contiguous")
            missing = store_reader.expand_ranges(stats["symbols"][symbol]["sent"]) - set(ids)
            self.assertEqual(sorted(missing)[:20], [], f"{symbol}: {len(missing)} ids sent but not stored")

        not_ours = []
        for root, dirs, files in os.walk(store):
            for entry in [root] + [os.path.join(root, f) for f in files]:
                st = os.lstat(entry)
                if (st.st_uid, st.st_gid) != (UID, UID):
                    not_ours.append(f"{entry} {st.st_uid}:{st.st_gid}")
        self.assertEqual(not_ours, [])

        spool = podman("volume", "inspect", "--format", "{{.Mountpoint}}", volume).stdout.strip()
        left = [os.path.join(root, f) for state in ("open", "sealed", "rejected")
                for root, _dirs, files in os.walk(os.path.join(spool, state)) for f in files]
        self.assertEqual(left, [], "SIGTERM left parts in the spool volume")
        print(f"container.image: {len(parts)} parts, {sum(len(v) for v in stored.values())} trades, "
              f"podman stop {stop_secs:.1f} s", file=sys.stderr)

    @staticmethod
    def _status(url):
        try:
            return harness.http_get(url, timeout=2).status
        except OSError:
            return None


if __name__ == "__main__":
    unittest.main()
