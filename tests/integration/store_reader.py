"""Reads a local object store (LOCAL_STORE_DIR) back and checks it against DESIGN.md's contracts.

Used by the collector's integration tests; it knows nothing of the collector's code, only the
documented layout, so it checks what a downstream reader would see.
"""
import gzip
import hashlib
import json
import os
import re

KEY_RE = re.compile(
    r"^(?P<prefix>.*?)(?P<quarantine>_quarantine/)?exchange=binance/stream=(?P<stream>[^/]+)/"
    r"symbol=(?P<symbol>[^/]+)/dt=(?P<date>\d{4}-\d{2}-\d{2})/(?P<hour>\d{2})/(?P<minute>\d{2})/"
    r"(?P<kind>part|manifest)-(?P<instance>[A-Za-z0-9._-]+)-(?P<epoch>\d+)\.(?P<ext>jsonl\.gz|json)$")


class Part:
    def __init__(self, key, match, gz_bytes, manifest):
        self.key = key
        self.match = match
        self.gz_bytes = gz_bytes
        self.manifest = manifest
        self.raw = gzip.decompress(gz_bytes)
        self.lines = self.raw.split(b"\n")
        assert self.lines[-1] == b"", f"{key}: does not end with a newline"
        self.lines = self.lines[:-1]
        self.records = [json.loads(line) for line in self.lines]

    @property
    def quarantine(self):
        return self.match.group("quarantine") is not None

    @property
    def symbol(self):
        return self.match.group("symbol")

    @property
    def instance(self):
        return self.match.group("instance")

    @property
    def epoch_ms(self):
        return int(self.match.group("epoch"))


def list_keys(store_dir):
    """The object keys of a local store: everything but its private .incoming/ directory, where puts
    write before they rename (a put killed half-way leaves a file there, under no key)."""
    keys = []
    for root, dirs, files in os.walk(store_dir):
        if root == store_dir and ".incoming" in dirs:
            dirs.remove(".incoming")
        for name in files:
            keys.append(os.path.relpath(os.path.join(root, name), store_dir))
    return sorted(keys)


# The collector's own bookkeeping beside the data: head objects and the start-up probe.
COLLECTOR_KEY_RE = re.compile(r"^(?:.*/)?_collector/(?:heads/[A-Za-z0-9._-]+/[0-9]+\.json|startup/[A-Za-z0-9._-]+/[0-9]+\.json)$")


def head_keys(store_dir):
    """The head objects' keys (docs/S3_LAYOUT.md "Heads"), sorted."""
    return [k for k in list_keys(store_dir) if "/_collector/heads/" in "/" + k]


def read_store(store_dir):
    """Returns (parts, problems): every part with its manifest, and every key that breaks the layout."""
    keys = list_keys(store_dir)
    problems = []
    by_stem = {}
    for key in keys:
        if COLLECTOR_KEY_RE.match(key):
            continue
        m = KEY_RE.match(key)
        if not m:
            problems.append(f"key outside the layout: {key}")
            continue
        stem = key[: m.start("kind")] + m.group("instance") + "-" + m.group("epoch")
        by_stem.setdefault(stem, {})[m.group("kind")] = (key, m)
    parts = []
    for stem, entry in sorted(by_stem.items()):
        if set(entry) != {"part", "manifest"}:
            problems.append(f"{stem}: has {sorted(entry)} only")
            continue
        key, m = entry["part"]
        with open(os.path.join(store_dir, key), "rb") as f:
            gz_bytes = f.read()
        with open(os.path.join(store_dir, entry["manifest"][0]), "rb") as f:
            manifest = json.load(f)
        parts.append(Part(key, m, gz_bytes, manifest))
    return parts, problems


def manifest_problems(part):
    """Differences between a manifest and the part it describes."""
    p = part.manifest["payload"]
    s = part.manifest["source"]
    out = []

    def check(name, got, want):
        if got != want:
            out.append(f"{part.key}: manifest {name}={got!r}, part has {want!r}")

    check("s3_key", p["s3_key"], part.key)
    check("record_count", p["record_count"], len(part.lines))
    check("bytes_uncompressed", p["bytes_uncompressed"], len(part.raw))
    check("bytes_gzip", p["bytes_gzip"], len(part.gz_bytes))
    check("sha256", p["sha256"], hashlib.sha256(part.gz_bytes).hexdigest())
    check("source.symbol", s["symbol"], part.symbol)
    check("source.instance_id", s["instance_id"], part.instance)
    check("source.exchange", s["exchange"], "binance")
    if not part.quarantine:
        data = [r["data"] for r in part.records]
        check("id_first", p["id_first"], min(d["t"] for d in data))
        check("id_last", p["id_last"], max(d["t"] for d in data))
        check("time_min_ms", p["time_min_ms"], min(d["E"] for d in data))
        check("time_max_ms", p["time_max_ms"], max(d["E"] for d in data))
    return out


def ids_by_symbol(parts):
    ids = {}
    for part in parts:
        if part.quarantine:
            continue
        for record in part.records:
            ids.setdefault(part.symbol, []).append(record["data"]["t"])
    return ids


def expand_ranges(ranges):
    out = set()
    for first, last in ranges:
        out.update(range(first, last + 1))
    return out
