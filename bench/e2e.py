#!/usr/bin/env python3
"""End-to-end benchmark of the collector against the fake exchange over loopback TLS, into the local
store at the default rotation (2 MiB / 5 s) and gzip level 6. Prints the targets table of
docs/PERFORMANCE.md; --json FILE also writes every figure.

  python3 bench/e2e.py --collector build/release/src/app/market-collector --floor build/release/bench/mc_floor

Scenarios (--scenarios, default all, in this order):
  python-ref  --ref-trades (300,000) trades blasted into the collector, then the same trades into
              bench/python_reference.py (a seed-style Python collector: a reference, not a product),
              then mc_floor over the collector's stored lines: Python CPU / collector CPU and collector
              CPU / floor CPU, each process's CPU from its wait4 rusage.
  throughput  a blast of --trades trades of one symbol: CPU seconds of the collector (wait4 rusage)
              and of each of its threads, MB of lines stored per CPU second, wall MB/s, peak RSS; then
              mc_floor: CPU seconds of gzip level 6 + SHA-256 alone over the same stored lines. The
              ratio is the headline. Then (--no-floor-beside-blast skips it) a second blast with
              mc_floor running beside it: what the floor's work costs on a machine that busy.
  steady      one symbol at --steady-mbps MB/s of lines for --steady-secs: CPU share of one core
              (from /proc/PID/stat after a warm-up), peak RSS, and for every record stored during the
              run: receive -> stored (when the manifest appeared in the store, from inotify) and how long
              after its window ended. With --wakeup-cost, then mc_wakeup_cost: the CPU of a bare reader
              woken as often, the machine's floor under the network thread.
  many        --many-symbols symbols at --many-rate trades/s each: peak RSS and CPU share.
  startup     --startup-runs starts: from exec to the receive time of the first stored line (the
              exchange is already producing, so the first frame waits at most 1/rate for a trade).
steady and many also give, by thread (the collector names them: mc-feed, mc-writer, mc-seal,
mc-store, ...), the share of a core, the wake-ups and the page faults a second, and the write requests and cache
flushes per second of the disk holding the run's directory (the whole device: anything else writing
to it counts too). --steady-tick-ms makes the exchange send steady's trades in fewer, larger batches.
The run's files (spool and local store) live in a directory under TMPDIR, and the table names that
file system: set TMPDIR to measure on another one (a journaled ext4, as on EC2).
"""
import argparse
import ctypes
import gzip
import json
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402

ROT_BYTES = 2 * 1024 * 1024
ROT_SECS = 5
# A part this close to ROT_BYTES was closed because the next line did not fit, not by its window.
SIZE_CLOSED_SLACK = 4096
LINE_BYTES_ESTIMATE = 193      # a BTCUSDT trade line as stored (recv_us + the exchange's message)
RECV_US = re.compile(rb'^\{"recv_us":(\d+)', re.M)


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(market_collector_\w+) (\d+)$", text, re.M)}


def percentile(values, q):
    """values: list of (value, weight); the smallest value with at least q of the weight at or below it."""
    values = sorted(values)
    total = sum(w for _v, w in values)
    seen = 0
    for v, w in values:
        seen += w
        if seen >= q * total:
            return v
    return values[-1][0] if values else None


def rate(before, after, name, seconds):
    return (after.get(name, 0) - before.get(name, 0)) / seconds


def stat_fields(stat_path):
    """(name, user + system CPU seconds, minor page faults, system CPU seconds) from a /proc stat file."""
    with open(stat_path) as f:
        text = f.read()
    fields = text.rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / tick
    return text[text.index("(") + 1:text.rindex(")")], cpu, int(fields[7]), int(fields[12]) / tick


def status_number(status_path, key):
    """The number after "key:" in a /proc status file, None when it has none."""
    with open(status_path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def proc_cpu_seconds(pid):
    return stat_fields(f"/proc/{pid}/stat")[1]


def thread_group(name):
    """The collector names its threads (mc-feed-1, mc-writer, mc-seal-1, ...); names that differ only in
    a trailing -N are one group."""
    return re.sub(r"-\d+$", "", name)


def task_readings(pid, wakeups=False):
    """{thread id: {"name", "cpu", "system", "faults"[, "wakeups"]}} of every thread of pid now (CPU in
    seconds, minor page faults, voluntary context switches: a thread goes to sleep once per wake-up)."""
    readings = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            name, cpu, faults, system = stat_fields(f"/proc/{pid}/task/{task}/stat")
            reading = {"name": name, "cpu": cpu, "system": system, "faults": faults}
            if wakeups:
                reading["wakeups"] = status_number(f"/proc/{pid}/task/{task}/status", "voluntary_ctxt_switches") or 0
        except OSError:  # the thread ended
            continue
        readings[task] = reading
    return readings


def by_thread_group(readings, keys):
    """Sums keys of task_readings() values by thread_group()."""
    groups = {}
    for reading in readings.values():
        group = groups.setdefault(thread_group(reading["name"]), dict.fromkeys(keys, 0))
        for key in keys:
            group[key] += reading[key]
    return groups


def thread_counters(pid):
    """{thread group: {"cpu", "wakeups", "faults"}} now."""
    return by_thread_group(task_readings(pid, wakeups=True), ("cpu", "wakeups", "faults"))


def thread_rates(before, after, seconds):
    """Per thread group: share of a core, wake-ups and page faults a second between two thread_counters(),
    busiest first."""
    rates = {}
    for name, now in after.items():
        then = before.get(name, {"cpu": 0.0, "wakeups": 0, "faults": 0})
        rates[name] = {"cpu_share": round((now["cpu"] - then["cpu"]) / seconds, 4),
                       "wakeups_per_second": round((now["wakeups"] - then["wakeups"]) / seconds),
                       "faults_per_second": round((now["faults"] - then["faults"]) / seconds)}
    return dict(sorted(rates.items(), key=lambda item: -item[1]["cpu_share"]))


class ThreadCpuSampler:
    """CPU seconds (all, and in the kernel) and minor page faults by thread group over a whole run,
    threads that end before the process included: polls /proc/PID/task every interval and keeps each
    thread's last reading (a thread that ends loses at most one interval)."""

    def __init__(self, pid, interval=0.02):
        self.pid, self.interval = pid, interval
        self.last = {}  # thread id -> its latest task_readings() value
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.is_set():
            try:
                self.last.update(task_readings(self.pid))
            except OSError:  # the process ended (or is a zombie)
                pass
            self.done.wait(self.interval)

    def stop(self):
        """{thread group: {"cpu_seconds", "system_seconds", "minor_faults"}}, busiest first."""
        self.done.set()
        self.thread.join()
        groups = by_thread_group(self.last, ("cpu", "system", "faults"))
        return dict(sorted(((name, {"cpu_seconds": round(g["cpu"], 3), "system_seconds": round(g["system"], 3),
                                    "minor_faults": g["faults"]}) for name, g in groups.items()),
                           key=lambda item: -item[1]["cpu_seconds"]))


def disk_counters(path):
    """Write requests and cache flushes completed by the block device holding path (/sys/dev/block/M:m/stat:
    field 5 writes, field 16 flushes); None when the kernel does not say."""
    dev = os.stat(path).st_dev
    try:
        with open(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}/stat") as f:
            fields = [int(v) for v in f.read().split()]
    except OSError:
        return None
    if len(fields) < 16:
        return None
    return {"writes": fields[4], "flushes": fields[15]}


def describe_file_system(path):
    """The file system the run's files live on, as the figures depend on it: "ext4 without a journal
    (vda)". ext4 without a journal skips recently deleted inodes at every file creation, which with
    1,000 symbols is a tenth of the collector's CPU (docs/PERFORMANCE.md); with one, every directory
    fsync is a journal commit."""
    dev = os.stat(path).st_dev
    try:
        device = os.path.basename(os.readlink(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}"))
    except OSError:
        device = f"{os.major(dev)}:{os.minor(dev)}"
    fs_type, mount_point = "unknown", ""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            # mount ID, parent, major:minor, root, mount point, options..., "-", type, source, ...
            if fields[2] == f"{os.major(dev)}:{os.minor(dev)}" and len(fields[4]) >= len(mount_point):
                mount_point, fs_type = fields[4], fields[fields.index("-") + 1]
    if fs_type in ("ext3", "ext4"):
        journal = os.path.isdir("/proc/fs/jbd2") and any(name.startswith(device + "-") for name in os.listdir("/proc/fs/jbd2"))
        return f"{fs_type} {'with' if journal else 'without'} a journal ({device})"
    return f"{fs_type} ({device})"


def disk_rates(before, after, seconds):
    if before is None or after is None:
        return None
    return {f"{key}_per_second": round((after[key] - before[key]) / seconds) for key in before}


class Run:
    """One collector process on a fresh spool and store, against an exchange."""

    def __init__(self, collector, exchange, symbols, tmp, name, watch=False):
        self.store = os.path.join(tmp, name, "store")
        self.watch = StoreWatch(self.store) if watch else None
        self.metrics_port = harness.free_port()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "BINANCE_WS_URL": exchange.url,
            "SYMBOL": ",".join(symbols),
            "LOCAL_DIR": os.path.join(tmp, name, "spool"),
            "LOCAL_STORE_DIR": self.store,
            "INSTANCE_ID": "bench",
            "METRICS_ADDR": f"127.0.0.1:{self.metrics_port}",
            "LOG_LEVEL": "warn",
            # The bench measures the live path: a backfill of a start-up gap would add REST work.
            "BACKFILL_ENABLED": "false",
        }
        if exchange.ca_file:
            env["TLS_CA_FILE"] = exchange.ca_file
        self.started_us = time.time_ns() // 1000
        self.started = time.monotonic()
        self.proc = subprocess.Popen([collector], env=env)
        self.usage = None
        self.stop_sent_ns = None

    def metrics(self):
        return scrape(self.metrics_port)

    def wait_metric(self, name, at_least, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.metrics().get(name, 0)
            except OSError:
                value = 0
            if value >= at_least:
                return value
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"{name} stalled at {value} of {at_least}")
            time.sleep(0.05)

    def stop(self):
        self.stop_sent_ns = time.time_ns()
        self.proc.send_signal(signal.SIGTERM)
        # wait4 gives the collector's own rusage (RUSAGE_CHILDREN would add the fake exchange).
        _pid, status, self.usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        if self.proc.returncode != 0:
            raise SystemExit(f"the collector exited {self.proc.returncode}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cpu_seconds(self):
        return self.usage.ru_utime + self.usage.ru_stime

    def peak_rss_mib(self):
        return self.usage.ru_maxrss / 1024


class StoreWatch:
    """When each manifest appeared in the store, from inotify on every directory under the root.

    A stored manifest's mtime cannot tell: the local store hard-links the spool's file, whose mtime
    is the sealer's write, before the fsyncs and the link that make the object stored. A manifest
    found in a directory when its watch is added (the directory was made a moment before) counts
    as appeared then, a little late.
    """
    IN_MOVED_TO, IN_CREATE, IN_ISDIR, IN_Q_OVERFLOW = 0x80, 0x100, 0x40000000, 0x4000
    EVENT = struct.Struct("iIII")

    def __init__(self, root):
        os.makedirs(root, exist_ok=True)
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs = {}       # watch descriptor -> directory
        self.seen_ns = {}    # manifest path -> time.time_ns() when it appeared
        self.overflowed = False
        self.stopping = threading.Event()
        self.watch(root)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def watch(self, path):
        if os.path.basename(path) == ".incoming" or path in self.dirs.values():
            return
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(path), self.IN_MOVED_TO | self.IN_CREATE)
        if wd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")
        self.dirs[wd] = path
        now = time.time_ns()
        for entry in os.scandir(path):
            if entry.is_dir(follow_symlinks=False):
                self.watch(entry.path)
            else:
                self.note(entry.path, now)

    def note(self, path, now):
        if os.path.basename(path).startswith("manifest-"):
            self.seen_ns.setdefault(path, now)

    def run(self):
        while not self.stopping.is_set():
            if not select.select([self.fd], [], [], 0.2)[0]:
                continue
            data = os.read(self.fd, 1 << 16)
            now = time.time_ns()
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = self.EVENT.unpack_from(data, offset)
                name = data[offset + self.EVENT.size:offset + self.EVENT.size + length].rstrip(b"\0")
                offset += self.EVENT.size + length
                if mask & self.IN_Q_OVERFLOW:
                    self.overflowed = True
                elif wd in self.dirs:
                    path = os.path.join(self.dirs[wd], os.fsdecode(name))
                    if mask & self.IN_ISDIR:
                        self.watch(path)
                    elif mask & (self.IN_MOVED_TO | self.IN_CREATE):
                        # The local store links objects into place (IN_CREATE); a rename would be IN_MOVED_TO.
                        self.note(path, now)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        os.close(self.fd)
        if self.overflowed:
            raise SystemExit("inotify queue overflowed: appearance times incomplete")
        return self.seen_ns


def stored_parts(store, seen_ns=None):
    """[(manifest payload, manifest extra, manifest mtime ns, part path, appeared ns)] of every data part.

    appeared: when the manifest appeared in the store (StoreWatch); its mtime when not watched.
    """
    seen_ns = seen_ns or {}
    parts = []
    for root, _dirs, files in os.walk(store):
        if "_quarantine" in root or ".incoming" in root:
            continue
        for name in files:
            if not name.startswith("manifest-"):
                continue
            path = os.path.join(root, name)
            with open(path) as f:
                manifest = json.load(f)
            part = os.path.join(root, "part-" + name[len("manifest-"):-len(".json")] + ".jsonl.gz")
            mtime_ns = os.stat(path).st_mtime_ns
            parts.append((manifest["payload"], manifest.get("extra", {}), mtime_ns, part, seen_ns.get(path, mtime_ns)))
    return parts


def run_floor(floor, store):
    out = json.loads(subprocess.run([floor, store, "6"], check=True, capture_output=True, text=True).stdout)
    del out["timed"]
    return out


def blast(args, tmp, name, before_resume=None, trades=None):
    """One collector through a paused exchange's trades (default --trades); returns (run, CPU by thread,
    resumed, routed, drained) with CLOCK_MONOTONIC times. before_resume() runs once the collector is
    connected."""
    trades = trades or args.trades
    with harness.start_fake_exchange(tls=True, symbols=["BTCUSDT"], rate=0, total=trades,
                                     start_paused=True) as exchange:
        run = Run(args.collector, exchange, ["BTCUSDT"], tmp, name)
        sampler = ThreadCpuSampler(run.proc.pid)
        try:
            harness.wait_until(lambda: exchange.stats()["clients"] >= 1, 20, "the collector to connect")
            if before_resume:
                before_resume()
            resumed = time.monotonic()
            exchange.resume()
            run.wait_metric("market_collector_records_routed_total", trades, 900)
            routed = time.monotonic()
            run.stop()
            drained = time.monotonic()
        finally:
            run.kill()
            by_thread = sampler.stop()
    return run, by_thread, resumed, routed, drained


def floor_beside_blast(args, tmp, store):
    """The floor's own work, run beside a second blast: mc_floor over the first blast's parts, started
    (parts loaded) just before the exchange resumes. The parts it compressed wholly inside the blast show
    what gzip + SHA-256 cost on a machine this loaded; the floor itself is measured on an idle one."""
    floor = subprocess.Popen([args.floor, store, "6", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def wait_loaded():
            line = floor.stderr.readline()
            if line.strip() != "loaded":
                raise SystemExit(f"mc_floor did not load the parts: {line.strip()}{floor.stderr.read()}")

        _run, _by_thread, resumed, _routed, drained = blast(args, tmp, "throughput-beside", wait_loaded)
        out, err = floor.communicate(timeout=300)
    finally:
        if floor.poll() is None:
            floor.kill()
            floor.wait()
    if floor.returncode != 0:
        raise SystemExit(f"mc_floor failed: {err}")
    inside = [(size, cpu) for size, cpu, start, end in json.loads(out)["timed"] if start >= resumed and end <= drained]
    cpu = sum(c for _s, c in inside)
    return {"parts_inside_blast": len(inside),
            "mb_per_cpu_second": round(sum(s for s, _c in inside) / 1e6 / cpu, 1) if cpu > 0 else None}


def scenario_throughput(args, tmp):
    run, by_thread, started, routed_at, drained_at = blast(args, tmp, "throughput")
    parts = stored_parts(run.store)
    raw = sum(p["bytes_uncompressed"] for p, *_ in parts)
    records = sum(p["record_count"] for p, *_ in parts)
    cpu = run.cpu_seconds()
    floor = run_floor(args.floor, run.store)
    result = {
        "trades": args.trades, "records_stored": records, "parts": len(parts),
        "bytes_uncompressed": raw, "bytes_gzip": sum(p["bytes_gzip"] for p, *_ in parts),
        "collector_cpu_seconds": round(cpu, 3),
        "by_thread": by_thread,
        "wall_seconds_to_routed": round(routed_at - started, 3),
        "wall_seconds_to_stored": round(drained_at - started, 3),
        "mb_per_cpu_second": round(raw / 1e6 / cpu, 1),
        "wall_mb_per_second": round(raw / 1e6 / (drained_at - started), 1),
        "peak_rss_mib": round(run.peak_rss_mib(), 1),
        "floor": floor,
        "cpu_over_floor": round(cpu / floor["cpu_seconds"], 2),
    }
    if args.floor_beside_blast:
        result["floor_beside_blast"] = floor_beside_blast(args, tmp, run.store)
    return result


def python_reference_blast(args, tmp):
    """bench/python_reference.py through a paused exchange's --ref-trades trades, as blast() does the
    collector: its CPU seconds (wait4 rusage, from connected to its exit with every part sealed) and
    the records its manifests count."""
    out = os.path.join(tmp, "python-ref")
    with harness.start_fake_exchange(tls=True, symbols=["BTCUSDT"], rate=0, total=args.ref_trades,
                                     start_paused=True) as exchange:
        command = [args.python_ref_interpreter, os.path.join(HERE, "python_reference.py"), "--url", exchange.url,
                   "--ca-file", exchange.ca_file, "--out", out, "--records", str(args.ref_trades)]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            if proc.stdout.readline().strip() != "CONNECTED":
                raise SystemExit(f"the Python reference did not connect (exit {proc.wait()})")
            started = time.monotonic()
            exchange.resume()
            _pid, status, usage = os.wait4(proc.pid, 0)
            ended = time.monotonic()
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if proc.returncode != 0:
        raise SystemExit(f"the Python reference exited {proc.returncode}")
    records = 0
    for name in os.listdir(out):
        if name.startswith("manifest-"):
            with open(os.path.join(out, name)) as f:
                records += json.load(f)["payload"]["record_count"]
    return {"cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3), "records_stored": records,
            "wall_seconds": round(ended - started, 3), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


def scenario_python_ref(args, tmp):
    """The collector and the seed-style Python reference, one after the other, on the same --ref-trades
    trades (the fake exchange's prices and quantities follow the trade id), then the floor over the lines
    the collector stored."""
    run, by_thread, started, _routed, drained = blast(args, tmp, "python-ref-collector", trades=args.ref_trades)
    parts = stored_parts(run.store)
    collector = {"cpu_seconds": round(run.cpu_seconds(), 3),
                 "records_stored": sum(p["record_count"] for p, *_ in parts),
                 "bytes_uncompressed": sum(p["bytes_uncompressed"] for p, *_ in parts),
                 "wall_seconds": round(drained - started, 3), "peak_rss_mib": round(run.peak_rss_mib(), 1),
                 "by_thread": by_thread}
    python = python_reference_blast(args, tmp)
    for who, result in (("collector", collector), ("Python reference", python)):
        if result["records_stored"] != args.ref_trades:
            raise SystemExit(f"the {who} stored {result['records_stored']} of {args.ref_trades} trades")
    floor = run_floor(args.floor, run.store)
    return {"trades": args.ref_trades, "collector": collector, "python": python, "floor": floor,
            "python_over_collector": round(python["cpu_seconds"] / collector["cpu_seconds"], 2),
            "collector_over_floor": round(collector["cpu_seconds"] / floor["cpu_seconds"], 2),
            "collector_mb_per_cpu_second": round(collector["bytes_uncompressed"] / 1e6 / collector["cpu_seconds"], 1)}


def window_end_us(payload, extra):
    if payload["bytes_uncompressed"] >= ROT_BYTES - SIZE_CLOSED_SLACK:
        return extra["recv_max_us"]
    length = ROT_SECS * 1_000_000
    return (extra["recv_min_us"] // length + 1) * length


def latencies(parts, stop_sent_ns):
    """Per record: receive -> stored, and per part: stored - the end of its window, in ms, weighted by
    records; and, as figures before 2026-12-02 measured "stored", the manifest's mtime (its write by
    the sealer) - the end of its window."""
    after_window, recv_to_stored, written_after_window = [], [], []
    for payload, extra, mtime_ns, part_path, appeared_ns in parts:
        if appeared_ns >= stop_sent_ns:  # stored by the drain at SIGTERM, not by rotation
            continue
        stored_us = appeared_ns // 1000
        end_us = window_end_us(payload, extra)
        after_window.append(((stored_us - end_us) / 1000, payload["record_count"]))
        written_after_window.append(((mtime_ns // 1000 - end_us) / 1000, payload["record_count"]))
        with open(part_path, "rb") as f:
            for m in RECV_US.finditer(gzip.decompress(f.read())):
                recv_to_stored.append(((stored_us - int(m.group(1))) / 1000, 1))
    return after_window, recv_to_stored, written_after_window


def scenario_steady(args, tmp):
    rate = int(args.steady_mbps * 1e6 / LINE_BYTES_ESTIMATE)
    with harness.start_fake_exchange(tls=True, symbols=["BTCUSDT"], rate=rate, tick_ms=args.steady_tick_ms) as exchange:
        run = Run(args.collector, exchange, ["BTCUSDT"], tmp, "steady", watch=True)
        try:
            run.wait_metric("market_collector_records_routed_total", 1, 20)
            time.sleep(args.warmup_secs)
            threads0, disk0 = thread_counters(run.proc.pid), disk_counters(tmp)
            cpu0, t0 = proc_cpu_seconds(run.proc.pid), time.monotonic()
            time.sleep(args.steady_secs)
            cpu1, t1 = proc_cpu_seconds(run.proc.pid), time.monotonic()
            threads1, disk1 = thread_counters(run.proc.pid), disk_counters(tmp)
            run.stop()
        finally:
            run.kill()
    seen_ns = run.watch.stop()
    parts = stored_parts(run.store, seen_ns)
    raw = sum(p["bytes_uncompressed"] for p, *_ in parts)
    after_window, recv_to_stored, written_after_window = latencies(parts, run.stop_sent_ns)
    wall = time.monotonic() - run.started
    bare = None
    if args.wakeup_cost:
        bare = json.loads(subprocess.run([args.wakeup_cost, "3000"], check=True, capture_output=True, text=True).stdout)
    return {
        "trades_per_second": rate, "mb_per_second_stored": round(raw / 1e6 / wall, 2),
        "cpu_share_of_one_core": round((cpu1 - cpu0) / (t1 - t0), 4),
        "by_thread": thread_rates(threads0, threads1, t1 - t0),
        "disk": disk_rates(disk0, disk1, t1 - t0),
        "bare_reader": bare,
        "measured_secs": round(t1 - t0, 1),
        "peak_rss_mib": round(run.peak_rss_mib(), 1),
        "parts_measured": len(after_window), "records_measured": len(recv_to_stored),
        "manifests_not_watched": max(0, len(parts) - len(seen_ns)),
        "recv_to_stored_ms": {"p50": percentile(recv_to_stored, 0.5), "p99": percentile(recv_to_stored, 0.99)},
        "after_window_end_ms": {"p50": percentile(after_window, 0.5), "p99": percentile(after_window, 0.99),
                                "max": max(v for v, _ in after_window) if after_window else None},
        "manifest_written_after_window_end_ms": {"p50": percentile(written_after_window, 0.5),
                                                 "p99": percentile(written_after_window, 0.99)},
    }


def scenario_many(args, tmp):
    symbols = [f"S{i:04d}USDT" for i in range(args.many_symbols)]
    # A thousand symbols' price pools take the fake exchange a while to build.
    with harness.start_fake_exchange(tls=True, symbols=symbols, rate=args.many_rate, start_timeout=120) as exchange:
        run = Run(args.collector, exchange, symbols, tmp, "many")
        try:
            run.wait_metric("market_collector_records_routed_total", args.many_symbols, 60)
            time.sleep(args.warmup_secs)
            threads0, disk0 = thread_counters(run.proc.pid), disk_counters(tmp)
            cpu0, t0 = proc_cpu_seconds(run.proc.pid), time.monotonic()
            before = run.metrics()
            time.sleep(args.steady_secs)
            cpu1, t1 = proc_cpu_seconds(run.proc.pid), time.monotonic()
            threads1, disk1 = thread_counters(run.proc.pid), disk_counters(tmp)
            after = run.metrics()
            connections = exchange.stats()["clients"]
            run.stop()
        finally:
            run.kill()
    parts = stored_parts(run.store)
    return {
        "symbols": args.many_symbols, "rate_per_symbol": args.many_rate, "connections": connections,
        "records_per_second": round(rate(before, after, "market_collector_records_routed_total", t1 - t0)),
        # Whether sealing and storing keep up: the writers close one part per symbol and window.
        "parts_closed_per_second_expected": round(args.many_symbols / ROT_SECS),
        "parts_sealed_per_second": round(rate(before, after, "market_collector_parts_sealed_total", t1 - t0)),
        "parts_stored_per_second": round(rate(before, after, "market_collector_uploads_total", t1 - t0)),
        "spool_files_at_end": after.get("market_collector_spool_files"),
        "cpu_share_of_one_core": round((cpu1 - cpu0) / (t1 - t0), 4),
        "by_thread": thread_rates(threads0, threads1, t1 - t0),
        "disk": disk_rates(disk0, disk1, t1 - t0),
        "writer_syncs_per_second": {
            kind: round(rate(before, after, f"market_collector_writer_{kind}_total", t1 - t0), 1)
            for kind in ("fdatasyncs", "syncfs")},
        "peak_rss_mib": round(run.peak_rss_mib(), 1),
        "parts": len(parts), "records_stored": sum(p["record_count"] for p, *_ in parts),
    }


def scenario_startup(args, tmp):
    delays = []
    with harness.start_fake_exchange(tls=True, symbols=["BTCUSDT"], rate=2000) as exchange:
        for i in range(args.startup_runs):
            run = Run(args.collector, exchange, ["BTCUSDT"], tmp, f"startup-{i}")
            try:
                run.wait_metric("market_collector_records_routed_total", 1, 20)
                run.stop()
            finally:
                run.kill()
            first = min(extra["recv_min_us"] for _p, extra, *_ in stored_parts(run.store))
            delays.append((first - run.started_us) / 1000)
    return {"runs": len(delays), "ms": [round(d, 1) for d in delays], "median_ms": round(statistics.median(delays), 1),
            "max_ms": round(max(delays), 1)}


def table(results):
    rows = []

    def row(figure, target, value, ok):
        rows.append((figure, target, value, "yes" if ok else "NO"))

    r = results.get("python-ref")
    if r:
        c, p = r["collector"], r["python"]
        row(f"seed-style Python CPU / collector CPU ({r['trades']:,} trades, same feed, same run)", "≥ 8",
            f"{r['python_over_collector']} ({p['cpu_seconds']} s / {c['cpu_seconds']} s)",
            r["python_over_collector"] >= 8)
        row("collector CPU / floor CPU (gzip-6 + SHA-256 of the same lines)", "≤ 2.5",
            f"{r['collector_over_floor']} ({c['cpu_seconds']} s / {r['floor']['cpu_seconds']:.3f} s; "
            f"{r['collector_mb_per_cpu_second']} MB per CPU-s; peak RSS {c['peak_rss_mib']} MiB)",
            r["collector_over_floor"] <= 2.5)
    t = results.get("throughput")
    if t:
        row(f"collector CPU / floor CPU, a blast of {t['trades']:,} trades", "≤ 2.5",
            f"{t['cpu_over_floor']} ({t['collector_cpu_seconds']} s / {t['floor']['cpu_seconds']:.2f} s; "
            f"{t['mb_per_cpu_second']} MB per CPU-s)", t["cpu_over_floor"] <= 2.5)
    s = results.get("steady")
    if s:
        row(f"CPU at {s['mb_per_second_stored']} MB/s of trades, one symbol", "≤ 4 % of one core",
            f"{s['cpu_share_of_one_core'] * 100:.1f} %", s["cpu_share_of_one_core"] <= 0.04)
        row("peak RSS, one symbol at 3 MB/s", "≤ 32 MB", f"{s['peak_rss_mib']} MiB", s["peak_rss_mib"] <= 32)
    m = results.get("many")
    if m:
        row(f"CPU and peak RSS, {m['symbols']} symbols at {m['rate_per_symbol']} trades/s each",
            "≤ 15 % of one core, ≤ 256 MB",
            f"{m['cpu_share_of_one_core'] * 100:.1f} % of a core, {m['peak_rss_mib']} MiB ({m['connections']} "
            f"connections; parts sealed {m['parts_sealed_per_second']}/s, stored "
            f"{m['parts_stored_per_second']}/s of {m['parts_closed_per_second_expected']}/s)",
            m["cpu_share_of_one_core"] <= 0.15 and m["peak_rss_mib"] <= 256)
    if s:
        p99 = s["after_window_end_ms"]["p99"]
        row("receive → stored, local store", "p99 ≤ window end + 100 ms",
            f"window end + {p99:.0f} ms (p50 +{s['after_window_end_ms']['p50']:.0f} ms; receive → stored "
            f"p50 {s['recv_to_stored_ms']['p50']:.0f} ms, p99 {s['recv_to_stored_ms']['p99']:.0f} ms)",
            p99 is not None and p99 <= 100)
    u = results.get("startup")
    if u:
        row("start-up to first frame read", "≤ 200 ms", f"median {u['median_ms']} ms, max {u['max_ms']} ms "
            f"({u['runs']} runs)", u["max_ms"] <= 200)
    lines = ["| figure | target | measured | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    loads = ", ".join(f"{name} {result['load_average']['before'][0]:.2f} → {result['load_average']['after'][0]:.2f}"
                      for name, result in results.items() if isinstance(result, dict) and "load_average" in result)
    lines.append(f"\n{results['date']} on {results['machine']} ({results['cpus']} CPUs), files on "
                 f"{results['file_system']}; 1-minute load average before → after each scenario: {loads}")
    if t:
        threads = ", ".join(f"{thread} {r['cpu_seconds']:.2f} s ({r['system_seconds']:.2f} s in the kernel, "
                            f"{r['minor_faults']} page faults)"
                            for thread, r in t["by_thread"].items() if r["cpu_seconds"] >= 0.01)
        lines.append(f"\nthroughput: CPU by thread (sampled every 20 ms): {threads}")
        beside = t.get("floor_beside_blast")
        if beside and beside["mb_per_cpu_second"]:
            slower = t["floor"]["mb_per_cpu_second"] / beside["mb_per_cpu_second"]
            lines.append(f"throughput: the floor's work beside a second blast: {beside['mb_per_cpu_second']} MB per CPU-s "
                         f"({beside['parts_inside_blast']} parts) against {t['floor']['mb_per_cpu_second']} idle: "
                         f"x{slower:.2f} the CPU")
        elif beside:
            lines.append("throughput: mc_floor compressed no part wholly inside the second blast")
    for name, result in (("steady", s), ("many", m)):
        if not result:
            continue
        threads = ", ".join(f"{thread} {r['cpu_share'] * 100:.1f} % ({r['wakeups_per_second']} wake-ups/s, "
                            f"{r['faults_per_second']} page faults/s)"
                            for thread, r in result["by_thread"].items() if r["cpu_share"] >= 0.001)
        disk = result["disk"]
        io = f"; disk {disk['writes_per_second']} writes/s, {disk['flushes_per_second']} flushes/s" if disk else ""
        lines.append(f"\n{name}: by thread, share of a core: {threads}{io}")
    bare = s.get("bare_reader") if s else None
    if bare:
        lines.append(f"steady: a bare reader on this machine (mc_wakeup_cost: epoll and recv, no TLS, no parsing), woken "
                     f"every 1 ms: {bare['cpu_us_per_wakeup']} us of CPU a wake-up, "
                     f"{bare['share_of_a_core_at_1000_per_second'] * 100:.1f} % of a core at 1,000 a second")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collector", required=True)
    parser.add_argument("--floor", help="mc_floor (needed by the throughput scenario)")
    parser.add_argument("--wakeup-cost", help="mc_wakeup_cost: steady then also measures what a bare reader's "
                        "wake-up costs on this machine")
    parser.add_argument("--scenarios", default="python-ref,throughput,steady,many,startup")
    parser.add_argument("--trades", type=int, default=2_000_000)
    parser.add_argument("--ref-trades", type=int, default=300_000,
                        help="python-ref: trades blasted into the collector and into the Python reference")
    parser.add_argument("--python-ref-interpreter", default="/usr/bin/python3",
                        help="python-ref: the python3 that runs bench/python_reference.py (needs websockets)")
    parser.add_argument("--floor-beside-blast", action=argparse.BooleanOptionalAction, default=True,
                        help="throughput: blast again with mc_floor running beside it (default on)")
    parser.add_argument("--steady-mbps", type=float, default=3.0)
    parser.add_argument("--steady-secs", type=float, default=30)
    parser.add_argument("--steady-tick-ms", type=float, default=1.0,
                        help="the fake exchange sends steady's trades in batches this far apart (default 1)")
    parser.add_argument("--warmup-secs", type=float, default=5)
    parser.add_argument("--many-symbols", type=int, default=1000)
    parser.add_argument("--many-rate", type=float, default=20)
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")
    known = {"python-ref": scenario_python_ref, "throughput": scenario_throughput, "steady": scenario_steady, "many": scenario_many,
             "startup": scenario_startup}
    for name in scenarios:
        if name not in known:
            parser.error(f"unknown scenario {name!r}; known: {','.join(known)}")
    if {"python-ref", "throughput"} & set(scenarios) and not args.floor:
        parser.error("the python-ref and throughput scenarios need --floor (build/release/bench/mc_floor)")

    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": os.uname().nodename,
               "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="mc-bench-") as tmp:
        results["file_system"] = describe_file_system(tmp)
        for name in scenarios:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            load_before = os.getloadavg()
            results[name] = known[name](args, tmp)
            # The machine may be shared: the load average beside every scenario's figures.
            results[name]["load_average"] = {"before": load_before, "after": os.getloadavg()}
            print(json.dumps(results[name]), file=sys.stderr, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    print(table(results))


if __name__ == "__main__":
    main()
