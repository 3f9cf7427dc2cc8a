"""The S3 test infrastructure proved with boto3, botocore's credential providers and awscli (the
collector's S3 store is tested with it elsewhere): moto with IAM enforced and the '=' key workaround,
the fake IMDSv2 / ECS credentials endpoint, the fault-injecting proxy. Needs MC_MOTO_PYTHON."""
import base64
import hashlib
import http.client
import os
import subprocess
import sys
import tempfile
import time
import unittest

import botocore.credentials
import botocore.exceptions
import botocore.utils

import harness
from fake_imds import CREDS_PREFIX, FakeImds
from fault_proxy import Fault, FaultProxy
from s3_support import ROOT, Credentials, MotoS3

HIVE_KEY = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2026-11-25/05/21/part-x-1.jsonl.gz"
MOTO: MotoS3 | None = None


def setUpModule():
    global MOTO
    MOTO = MotoS3()


def tearDownModule():
    if MOTO is not None:
        MOTO.close()


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


class S3TestCase(unittest.TestCase):
    def assertS3Error(self, code: str, status: int, call, *args, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            call(*args, **kwargs)
        error = ctx.exception.response
        self.assertEqual(error["Error"]["Code"], code, error)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], status, error)
        return error

    def put(self, s3, key: str, body: bytes = b"x", **kwargs):
        return s3.put_object(Bucket=MOTO.bucket, Key=key, Body=body, **kwargs)


class MotoIamTest(S3TestCase):
    def test_collector_puts_a_hive_key_with_sse_and_checksum(self):
        body = os.urandom(3000)
        resp = self.put(MOTO.client("s3"), HIVE_KEY, body, ServerSideEncryption="AES256", ChecksumAlgorithm="SHA256")
        self.assertEqual(resp["ServerSideEncryption"], "AES256")
        self.assertEqual(MOTO.list_objects("raw/exchange=binance/")[HIVE_KEY], len(body))
        self.assertEqual(MOTO.get_object(HIVE_KEY), body)
        head = MOTO.head_object(HIVE_KEY)
        self.assertEqual(head["ServerSideEncryption"], "AES256")
        self.assertEqual(head["ChecksumSHA256"], sha256_b64(body))

    def test_collector_may_put_nothing_outside_its_prefix(self):
        s3 = MOTO.client("s3")
        for key in ("other/exchange=binance/part.jsonl.gz", "rawx/part.jsonl.gz", "raw"):
            with self.subTest(key=key):
                self.assertS3Error("AccessDenied", 403, self.put, s3, key)
        self.put(s3, "raw/_quarantine/exchange=binance/part.jsonl.gz")  # DESIGN: quarantine is under the prefix
        self.assertNotIn("rawx/part.jsonl.gz", MOTO.list_objects(""))

    def test_collector_can_put_and_read_its_prefix_but_neither_list_nor_delete(self):
        s3 = MOTO.client("s3")
        key = "raw/exchange=binance/only-put.jsonl.gz"
        self.put(s3, key)
        # Read only to compare an object whose key a PUT found taken (If-None-Match: * answered 412).
        self.assertEqual(s3.head_object(Bucket=MOTO.bucket, Key=key)["ContentLength"], len(b"x"))
        self.assertS3Error("AccessDenied", 403, s3.list_objects_v2, Bucket=MOTO.bucket, Prefix="raw/")
        self.assertS3Error("AccessDenied", 403, s3.delete_object, Bucket=MOTO.bucket, Key=key)
        self.assertIn(key, MOTO.list_objects("raw/"))

    def test_bad_credentials_are_refused(self):
        wrong_secret = Credentials(MOTO.collector.access_key_id, "x" * 40)
        self.assertS3Error("SignatureDoesNotMatch", 403, self.put, MOTO.client("s3", wrong_secret), "raw/a=b/c")
        unknown = Credentials("AKIAIOSFODNN7EXAMPLE", MOTO.collector.secret_access_key)
        self.assertS3Error("InvalidAccessKeyId", 403, self.put, MOTO.client("s3", unknown), "raw/a=b/c")
        # enforcement is on: the pair that created everything is no longer accepted
        self.assertS3Error("InvalidAccessKeyId", 403, self.put, MOTO.client("s3", ROOT), "raw/a=b/c")

    def test_hand_signed_put_with_exact_headers(self):
        body = b'{"e":"trade"}\n'
        key = "raw/exchange=binance/stream=trade/symbol=ETHUSDT/dt=2026-11-25/05/21/part-y-2.jsonl.gz"
        resp = MOTO.signed_request("PUT", key, body, {
            "x-amz-server-side-encryption": "AES256", "x-amz-checksum-sha256": sha256_b64(body),
            "x-amz-sdk-checksum-algorithm": "SHA256", "Content-MD5": md5_b64(body),
            "Content-Type": "application/gzip"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.headers["x-amz-server-side-encryption"], "AES256")
        head = MOTO.head_object(key)
        self.assertEqual((head["ServerSideEncryption"], head["ChecksumSHA256"]), ("AES256", sha256_b64(body)))

    def test_what_moto_does_not_check(self):
        """Pins moto's gaps so a collector test never counts on moto to catch them (if one of these
        starts failing, moto got stricter: good news, revisit the collector tests)."""
        body = b"payload"
        wrong = sha256_b64(b"something else")
        # a wrong x-amz-checksum-sha256 is stored as given, not refused; without
        # x-amz-sdk-checksum-algorithm moto ignores the header (HeadObject then has no ChecksumSHA256)
        resp = MOTO.signed_request("PUT", "raw/moto=gap/checksum", body,
                                   {"x-amz-checksum-sha256": wrong, "x-amz-sdk-checksum-algorithm": "SHA256"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(MOTO.head_object("raw/moto=gap/checksum")["ChecksumSHA256"], wrong)
        resp = MOTO.signed_request("PUT", "raw/moto=gap/no-algorithm", body,
                                   {"x-amz-checksum-sha256": sha256_b64(body)})
        self.assertEqual(resp.status, 200, resp)
        self.assertNotIn("ChecksumSHA256", MOTO.head_object("raw/moto=gap/no-algorithm"))
        # a wrong Content-MD5 and a wrong signed payload hash are accepted
        resp = MOTO.signed_request("PUT", "raw/moto=gap/md5", body, {"Content-MD5": md5_b64(b"other")})
        self.assertEqual(resp.status, 200, resp)
        bad_hash = hashlib.sha256(b"other").hexdigest()
        resp = MOTO.signed_request("PUT", "raw/moto=gap/hash", body, {"x-amz-content-sha256": bad_hash})
        self.assertEqual(resp.status, 200, resp)
        # a form Content-Type (libcurl's default for a request body) makes moto's Flask parse the body as a
        # form: 200, and an EMPTY object is stored. Compare stored bytes, never trust a 200 alone.
        resp = MOTO.signed_request("PUT", "raw/moto=gap/form", body,
                                   {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(MOTO.get_object("raw/moto=gap/form"), b"")
        # STS credentials keep working after their Expiration
        creds = MOTO.assume_role(duration=1)
        time.sleep(1.5)
        self.put(MOTO.client("s3", Credentials.from_sts(creds)), "raw/moto=gap/expired-sts")
        # what moto does check: If-None-Match: * on an existing key
        resp = MOTO.signed_request("PUT", "raw/moto=gap/md5", body, {"If-None-Match": "*"})
        self.assertEqual(resp.status, 412, resp)

    def test_sts_credentials_have_the_role_policy(self):
        creds = MOTO.assume_role(900)
        self.assertGreater(creds["Expiration"].timestamp(), time.time() + 800)
        s3 = MOTO.client("s3", Credentials.from_sts(creds))
        self.put(s3, "raw/exchange=binance/sts.jsonl.gz", ServerSideEncryption="AES256")
        self.assertS3Error("AccessDenied", 403, self.put, s3, "other/sts.jsonl.gz")
        self.assertS3Error("AccessDenied", 403, s3.list_objects_v2, Bucket=MOTO.bucket, Prefix="raw/")
        bad_token = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], "bogus")
        self.assertS3Error("InvalidToken", 400, self.put, MOTO.client("s3", bad_token), "raw/a=b/c")


class RawUriWorkaroundTest(S3TestCase):
    def test_without_the_workaround_keys_with_equals_fail(self):
        with MotoS3(raw_uri_fix=False) as plain:
            s3 = plain.client("s3")
            s3.put_object(Bucket=plain.bucket, Key="raw/no-equals/part.jsonl.gz", Body=b"x")
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                s3.put_object(Bucket=plain.bucket, Key=HIVE_KEY, Body=b"x")
            self.assertEqual(ctx.exception.response["Error"]["Code"], "SignatureDoesNotMatch")
        self.assertEqual(plain.exit_code, 0, plain.log()[-2000:])
        # with it (the module's MOTO), the same request from the same kind of client goes through
        self.put(MOTO.client("s3"), HIVE_KEY, b"x")


class FakeImdsTest(S3TestCase):
    def imds(self, **kwargs) -> FakeImds:
        imds = FakeImds(lambda: MOTO.assume_role(900), **kwargs)
        self.addCleanup(imds.close)
        return imds

    def token(self, imds, ttl: int = 60) -> str:
        resp = harness.http_request("PUT", imds.url + "/latest/api/token",
                                    headers={"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
        self.assertEqual(resp.status, 200, resp)
        return resp.body.decode()

    def get(self, imds, path: str, token: str | None):
        headers = {"X-aws-ec2-metadata-token": token} if token else {}
        return harness.http_get(imds.url + path, headers=headers)

    def test_imdsv2_token_rules(self):
        imds = self.imds()
        put = lambda headers: harness.http_request("PUT", imds.url + "/latest/api/token", headers=headers).status
        self.assertEqual(put({}), 400)
        self.assertEqual(put({"X-aws-ec2-metadata-token-ttl-seconds": "0"}), 400)
        self.assertEqual(put({"X-aws-ec2-metadata-token-ttl-seconds": "21601"}), 400)
        self.assertEqual(self.get(imds, "/latest/meta-data/instance-id", None).status, 401)
        self.assertEqual(self.get(imds, "/latest/meta-data/instance-id", "forged").status, 401)
        short = self.token(imds, ttl=1)
        self.assertEqual(self.get(imds, "/latest/meta-data/instance-id", short).status, 200)
        time.sleep(1.1)
        self.assertEqual(self.get(imds, "/latest/meta-data/instance-id", short).status, 401)

    def test_metadata_documents(self):
        imds = self.imds(region="eu-west-1")
        token = self.token(imds)
        self.assertEqual(self.get(imds, "/latest/meta-data/instance-id", token).body, b"i-0123456789abcdef0")
        self.assertEqual(self.get(imds, "/latest/meta-data/placement/region", token).body, b"eu-west-1")
        doc = self.get(imds, "/latest/dynamic/instance-identity/document", token).json()
        self.assertEqual((doc["region"], doc["instanceId"]), ("eu-west-1", "i-0123456789abcdef0"))
        self.assertEqual(self.get(imds, CREDS_PREFIX, token).body, b"collector-role")
        creds = self.get(imds, CREDS_PREFIX + "collector-role", token).json()
        self.assertEqual((creds["Code"], creds["Type"]), ("Success", "AWS-HMAC"))
        self.assertRegex(creds["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(self.get(imds, CREDS_PREFIX + "other-role", token).status, 404)

    def test_botocore_instance_provider_gets_working_credentials(self):
        imds = self.imds(cache_secs=20)
        fetcher = botocore.utils.InstanceMetadataFetcher(timeout=2, num_attempts=1, base_url=imds.url)
        creds = botocore.credentials.InstanceMetadataProvider(iam_role_fetcher=fetcher).load()
        frozen = creds.get_frozen_credentials()
        self.put(MOTO.client("s3", Credentials(frozen.access_key, frozen.secret_key, frozen.token)), HIVE_KEY,
                 b"from imds", ServerSideEncryption="AES256")
        self.assertEqual(MOTO.get_object(HIVE_KEY), b"from imds")
        # botocore refetches credentials that expire within 15 minutes (these expire in 20 s) whenever they
        # are read, so it may have asked more than once; the cache kept one set of credentials
        self.assertGreaterEqual(imds.count("/latest/api/token"), 1)
        self.assertEqual(imds.count(CREDS_PREFIX + "collector-role"), imds.credential_fetches)
        self.assertEqual(imds.mints, 1)

    def test_cache_expiry_refresh_and_failures(self):
        imds = self.imds(cache_secs=1)
        token = self.token(imds)
        path = CREDS_PREFIX + "collector-role"
        first = self.get(imds, path, token).json()
        self.assertEqual(self.get(imds, path, token).json()["AccessKeyId"], first["AccessKeyId"])
        self.assertEqual(imds.mints, 1)
        self.assertLessEqual(time.mktime(time.strptime(first["Expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone,
                             time.time() + 1.5)
        time.sleep(1.1)
        self.assertNotEqual(self.get(imds, path, token).json()["AccessKeyId"], first["AccessKeyId"])
        self.assertEqual(imds.mints, 2)
        imds.fail(2, status=500)
        self.assertEqual([self.get(imds, path, token).status for _ in range(3)], [500, 500, 200])
        self.assertEqual(imds.count(path), 6)
        self.assertEqual(imds.credential_fetches, 4)

    def test_container_credentials_endpoint(self):
        imds = self.imds(ecs_token="Bearer secret-token")
        self.assertEqual(harness.http_get(imds.ecs_url).status, 401)
        provider = botocore.credentials.ContainerProvider(environ={
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": imds.ecs_url,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer secret-token"})
        frozen = provider.load().get_frozen_credentials()
        self.put(MOTO.client("s3", Credentials(frozen.access_key, frozen.secret_key, frozen.token)),
                 "raw/exchange=binance/ecs.jsonl.gz")
        self.assertIn("raw/exchange=binance/ecs.jsonl.gz", MOTO.list_objects("raw/"))

    def test_awscli_finds_credentials_through_the_fake_imds(self):
        imds = self.imds()
        key = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2026-11-25/05/22/part-cli-1.jsonl.gz"
        with tempfile.TemporaryDirectory() as home:
            body = os.path.join(home, "part.gz")
            with open(body, "wb") as f:
                f.write(b"\x1f\x8b cli body")
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update(HOME=home, AWS_CONFIG_FILE=os.path.join(home, "none"),
                       AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "none"),
                       AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url, AWS_DEFAULT_REGION=MOTO.region)
            proc = subprocess.run([sys.executable, "-m", "awscli", "s3api", "put-object", "--endpoint-url",
                                   MOTO.endpoint_url, "--bucket", MOTO.bucket, "--key", key, "--body", body,
                                   "--server-side-encryption", "AES256"],
                                  env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(MOTO.head_object(key)["ServerSideEncryption"], "AES256")
        self.assertGreaterEqual(imds.count("/latest/api/token"), 1)
        self.assertEqual(imds.mints, 1)


class FaultProxyTest(S3TestCase):
    def proxy(self) -> FaultProxy:
        proxy = FaultProxy(MOTO.endpoint_url)
        self.addCleanup(proxy.close)
        return proxy

    def s3(self, proxy, **config):
        return MOTO.client("s3", endpoint_url=proxy.url, **config)

    def test_pass_through_keeps_the_signed_raw_path(self):
        proxy = self.proxy()
        self.put(self.s3(proxy), HIVE_KEY, b"through the proxy", ServerSideEncryption="AES256")
        self.assertEqual(MOTO.get_object(HIVE_KEY), b"through the proxy")
        [record] = proxy.records
        self.assertEqual((record.method, record.status, record.fault), ("PUT", 200, None))
        self.assertIn("/raw/exchange%3Dbinance/stream%3Dtrade/", record.raw_path)

    def test_slowdown_is_seen_and_retried_by_boto3(self):
        proxy = self.proxy()
        proxy.fail_next(Fault.slowdown())
        self.assertS3Error("SlowDown", 503, self.put, self.s3(proxy), "raw/a=b/slow")
        proxy.fail_next(Fault.slowdown(), times=2)
        self.put(self.s3(proxy, retries={"total_max_attempts": 3, "mode": "standard"}), "raw/a=b/slow")
        self.assertEqual([(r.status, r.fault) for r in proxy.records],
                         [(503, "slowdown"), (503, "slowdown"), (503, "slowdown"), (200, None)])

    def test_reset_mid_body(self):
        proxy = self.proxy()
        proxy.add_rule(Fault.reset(after_bytes=1000), key_pattern=r"/part-reset\.jsonl\.gz$", times=1)
        with self.assertRaises(botocore.exceptions.ConnectionClosedError):
            self.put(self.s3(proxy), "raw/a=b/part-reset.jsonl.gz", os.urandom(256 * 1024))
        self.assertNotIn("raw/a=b/part-reset.jsonl.gz", MOTO.list_objects("raw/a=b/"))
        [record] = proxy.records
        self.assertEqual((record.status, record.fault, record.body_bytes), (None, "reset", 1000))
        self.put(self.s3(proxy), "raw/a=b/part-reset.jsonl.gz", b"second try")  # the rule is used up
        self.assertEqual(MOTO.get_object("raw/a=b/part-reset.jsonl.gz"), b"second try")

    def test_error_answers(self):
        proxy = self.proxy()
        s3 = self.s3(proxy)
        proxy.add_rule(Fault.internal_error(), requests=[1])
        proxy.add_rule(Fault.forbidden_empty(), requests=[2])
        proxy.add_rule(Fault.time_skewed(skew_secs=3600), requests=[3])
        self.assertS3Error("InternalError", 500, self.put, s3, "raw/a=b/e1")
        self.assertS3Error("403", 403, self.put, s3, "raw/a=b/e2")
        error = self.assertS3Error("RequestTimeTooSkewed", 400, self.put, s3, "raw/a=b/e3")
        server_date = error["ResponseMetadata"]["HTTPHeaders"]["date"]
        skew = time.mktime(time.strptime(server_date, "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone - time.time()
        self.assertAlmostEqual(skew, 3600, delta=5)
        self.put(s3, "raw/a=b/e4")
        self.assertEqual(sorted(MOTO.list_objects("raw/a=b/e")), ["raw/a=b/e4"])

    def test_delay_holds_the_answer_after_moto_stored_the_object(self):
        proxy = self.proxy()
        proxy.add_rule(Fault.delay(3), method="PUT", times=1)
        # The client's read timeout, not the proxy's answer, ends the request: the answer is held.
        with self.assertRaises(botocore.exceptions.ReadTimeoutError):
            self.put(self.s3(proxy, read_timeout=0.5), "raw/a=b/delayed")
        self.assertIn("raw/a=b/delayed", MOTO.list_objects("raw/a=b/"))

    def test_keep_alive_client_connection(self):
        proxy = self.proxy()
        proxy.add_rule(Fault.slowdown(), requests=[1])
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        try:
            statuses = []
            for _ in range(3):
                conn.request("GET", f"/{MOTO.bucket}?list-type=2")  # unsigned: moto answers 500 (a KeyError)
                resp = conn.getresponse()
                resp.read()
                statuses.append(resp.status)
                self.assertFalse(resp.will_close)
        finally:
            conn.close()
        self.assertEqual(statuses, [r.status for r in proxy.records])
        self.assertEqual([r.fault for r in proxy.records], ["slowdown", None, None])
        self.assertEqual(statuses[0], 503)


if __name__ == "__main__":
    unittest.main()
