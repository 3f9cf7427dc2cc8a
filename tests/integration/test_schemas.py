"""schemas/manifest.json and schemas/trade.json against the documents in examples/.

Every good example must validate. Every bad example must fail for exactly the reason it was made
for (one error, with the expected JSON Schema keyword at the expected place), so a bad example can
never pass the test by failing for some other reason. manifest_sealed.json and part_sealed.jsonl.gz
were written by the collector's sealer from trade_good.jsonl; the manifest must describe that part.
"""
import gzip
import hashlib
import json
import os
import unittest

import jsonschema

SOURCE_DIR = os.environ.get("MC_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCHEMA_DIR = os.path.join(SOURCE_DIR, "schemas")
EXAMPLES = os.path.join(SOURCE_DIR, "tests", "integration", "examples")

# manifest_bad_<name>.json -> (keyword, path of the failing value)
BAD_MANIFESTS = {
    "missing_sha256": ("required", ("payload",)),
    "sha256_upper_case": ("pattern", ("payload", "sha256")),
    "record_count_zero": ("minimum", ("payload", "record_count")),
    "s3_key_without_minute": ("pattern", ("payload", "s3_key")),
    "s3_key_manifest": ("pattern", ("payload", "s3_key")),
    "data_null_time": ("type", ("payload", "time_min_ms")),
    "data_string_id": ("type", ("payload", "id_first")),
    "data_key_in_quarantine": ("not", ("payload", "s3_key")),
    "quarantine_with_id": ("type", ("payload", "id_first")),
    "quarantine_key_outside": ("pattern", ("payload", "s3_key")),
    "version_2": ("const", ("version",)),
    "version_number": ("const", ("version",)),
    "other_exchange": ("const", ("source", "exchange")),
    "lower_case_symbol": ("pattern", ("source", "symbol")),
    "payload_unknown_member": ("additionalProperties", ("payload",)),
    "missing_created_at": ("required", ()),
    "created_at_float": ("type", ("created_at_ms",)),
    "missing_extra": ("required", ()),
    "unknown_kind": ("enum", ("extra", "kind")),
    "id_gap_triple": ("maxItems", ("extra", "id_gaps", 0)),
    "gzip_level_zero": ("minimum", ("extra", "gzip_level")),
    "negative_bad_lines": ("minimum", ("extra", "bad_lines")),
}

# trade_bad.jsonl, line by line: (keyword, path), or "order" for a line the schema accepts but whose
# members are not in the format's order.
BAD_TRADES = [
    ("required", ()),                       # no recv_us
    ("type", ("recv_us",)),                 # recv_us a string
    "order",                                # recv_us not first
    ("required", ()),                       # neither stream nor src
    ("pattern", ("stream",)),               # not a trade stream
    ("const", ("data", "e")),               # not a trade event
    ("required", ("data",)),                # no trade id
    ("type", ("data", "p")),                # price as a number
    ("type", ("data", "E")),                # event time as a string
    ("type", ("data", "m")),                # maker flag as a string
    ("const", ("src",)),                    # src other than rest
    ("additionalProperties", ()),           # a member the format does not have
    "order",                                # src not right after recv_us
    ("type", ("data",)),                    # data not an object
]


def in_format_order(line):
    """recv_us is the first member, written without whitespace; src, when present, comes next."""
    keys = [key for key, _ in json.loads(line, object_pairs_hook=list)]
    return line.startswith(b'{"recv_us":') and keys[0] == "recv_us" and ("src" not in keys or keys[1] == "src")


def load_json(path):
    with open(path, "rb") as f:
        return json.load(f)


def validator(name):
    schema = load_json(os.path.join(SCHEMA_DIR, name))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors_of(v, document):
    """The distinct (keyword, path) pairs of document's errors (a value can break a rule twice: the
    base schema's and a conditional one's)."""
    return sorted({(e.validator, tuple(e.absolute_path)) for e in v.iter_errors(document)}, key=repr)


def lines_of(path):
    with open(path, "rb") as f:
        return [line for line in f.read().split(b"\n") if line]


class ManifestSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = validator("manifest.json")

    def test_good_manifests_validate(self):
        good = [n for n in os.listdir(EXAMPLES) if n.startswith("manifest_") and not n.startswith("manifest_bad_")]
        self.assertGreaterEqual(len(good), 5, good)
        for name in sorted(good):
            with self.subTest(name=name):
                self.assertEqual(errors_of(self.v, load_json(os.path.join(EXAMPLES, name))), [])

    def test_each_bad_manifest_fails_for_its_reason(self):
        on_disk = {n[len("manifest_bad_"):-len(".json")] for n in os.listdir(EXAMPLES) if n.startswith("manifest_bad_")}
        self.assertEqual(on_disk, set(BAD_MANIFESTS), "every bad example needs an expected error, and back")
        for name, expected in sorted(BAD_MANIFESTS.items()):
            with self.subTest(name=name):
                doc = load_json(os.path.join(EXAMPLES, f"manifest_bad_{name}.json"))
                self.assertEqual(errors_of(self.v, doc), [expected])

    def test_sealed_manifest_describes_its_part(self):
        manifest = load_json(os.path.join(EXAMPLES, "manifest_sealed.json"))
        with open(os.path.join(EXAMPLES, "part_sealed.jsonl.gz"), "rb") as f:
            gz = f.read()
        with open(os.path.join(EXAMPLES, "trade_good.jsonl"), "rb") as f:
            source = f.read()
        raw = gzip.decompress(gz)
        self.assertEqual(raw, source)
        p = manifest["payload"]
        self.assertEqual(p["sha256"], hashlib.sha256(gz).hexdigest())
        self.assertEqual(p["bytes_gzip"], len(gz))
        self.assertEqual(p["bytes_uncompressed"], len(raw))
        records = [json.loads(line) for line in lines_of(os.path.join(EXAMPLES, "trade_good.jsonl"))]
        self.assertEqual(p["record_count"], len(records))
        self.assertEqual(p["id_first"], min(r["data"]["t"] for r in records))
        self.assertEqual(p["id_last"], max(r["data"]["t"] for r in records))
        self.assertEqual(p["time_min_ms"], min(r["data"]["E"] for r in records))
        self.assertEqual(p["time_max_ms"], max(r["data"]["E"] for r in records))
        self.assertEqual(manifest["extra"]["recv_min_us"], min(r["recv_us"] for r in records))
        self.assertEqual(manifest["extra"]["recv_max_us"], max(r["recv_us"] for r in records))

    def test_gap_list_is_capped(self):
        doc = load_json(os.path.join(EXAMPLES, "manifest_data.json"))
        doc["extra"]["id_gaps"] = [[i, i] for i in range(0, 2002, 2)]
        self.assertEqual([e[0] for e in errors_of(self.v, doc)], ["maxItems"])


class TradeSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = validator("trade.json")

    def test_good_lines_validate_in_order(self):
        lines = lines_of(os.path.join(EXAMPLES, "trade_good.jsonl"))
        self.assertTrue(any(b'"src":"rest"' in line for line in lines), "the REST variant is covered")
        for number, line in enumerate(lines, 1):
            with self.subTest(line=number):
                self.assertEqual(errors_of(self.v, json.loads(line)), [])
                self.assertTrue(in_format_order(line))

    def test_each_bad_line_fails_for_its_reason(self):
        lines = lines_of(os.path.join(EXAMPLES, "trade_bad.jsonl"))
        self.assertEqual(len(lines), len(BAD_TRADES))
        for number, (line, expected) in enumerate(zip(lines, BAD_TRADES), 1):
            with self.subTest(line=number):
                errors = errors_of(self.v, json.loads(line))
                if expected == "order":
                    self.assertEqual(errors, [])
                    self.assertFalse(in_format_order(line))
                else:
                    self.assertEqual(errors, [expected])


if __name__ == "__main__":
    unittest.main()
