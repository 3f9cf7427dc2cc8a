"""moto's S3 (with IAM enforced) for the integration tests of the S3 object store. Needs moto and boto3:
run under MC_MOTO_PYTHON (the pyenv python3), not /usr/bin/python3.

    from s3_support import MotoS3
    with MotoS3() as s3:                          # moto_launcher.py as a child process, 127.0.0.1, free port
        s3.endpoint_url, s3.bucket, s3.region     # "http://127.0.0.1:PORT", "mc-integration", "us-east-1"
        s3.collector                              # Credentials of IAM user "collector": s3:PutObject and
                                                  #   s3:GetObject on arn:aws:s3:::<bucket>/raw/*, nothing else
        s3.collector_env()                        # RAW_BUCKET, S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, ...
        s3.list_objects("raw/")                   # {key: size}            (as user "reader")
        s3.get_object(key), s3.head_object(key)   # bytes; HeadObject dict (ServerSideEncryption, ChecksumSHA256)
        s3.assume_role(900)                       # STS AssumeRole of "collector-role" (same policy as collector)
        s3.client("s3", s3.collector)             # a boto3 client: path-style, no retries
        s3.signed_request("PUT", key, body, headers, s3.collector)   # exact headers, SigV4 by botocore
    # leaving the block terminates moto (SIGTERM, then SIGKILL) and removes its temporary directory

Before enforcement moto accepts any credentials (the "root" test/test pair creates everything); after it
(POST /moto-api/reset-auth with "0") every request needs an IAM user's key or STS credentials, signatures
are checked and identity policies are evaluated (action + resource; conditions are not). moto then knows
no root key, so the admin-side helpers use IAM users: "reader" (s3:GetObject on the bucket's objects,
s3:ListBucket on the bucket) and "admin" (every action, for STS and IAM). moto does not check payload
hashes, Content-MD5, checksums, clock skew, or STS expirations (see test_s3_support.py).
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

try:
    import boto3
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials as BotoCredentials
except ImportError as e:  # the interpreter is the wrong one: say which one is needed
    raise ImportError(f"s3_support needs boto3 and moto (run under MC_MOTO_PYTHON, the pyenv python3); "
                      f"{sys.executable}: {e}") from e

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "moto_launcher.py")
REGION = "us-east-1"
DEFAULT_BUCKET = "mc-integration"
COLLECTOR_PREFIX = "raw/"
COLLECTOR_USER, READER_USER, ADMIN_USER = "collector", "reader", "admin"
COLLECTOR_ROLE = "collector-role"
ACCOUNT_ID = "123456789012"  # moto's default account
START_TIMEOUT_SECS = 30.0
STOP_TIMEOUT_SECS = 10.0


@dataclasses.dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def env(self) -> dict[str, str]:
        """The standard AWS environment variables (AWS_SESSION_TOKEN only for STS credentials)."""
        out = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            out["AWS_SESSION_TOKEN"] = self.session_token
        return out

    def botocore(self) -> BotoCredentials:
        return BotoCredentials(self.access_key_id, self.secret_access_key, self.session_token)

    @staticmethod
    def from_sts(creds: dict) -> "Credentials":
        return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


ROOT = Credentials("test", "test")  # moto accepts any key before enforcement, and none of these after


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def collector_policy(bucket: str) -> str:
    """Exactly what the collector needs, on its prefix (DESIGN: write permission on <prefix>*): PutObject, and
    GetObject to compare the object under a key its PUT found taken (infra/terraform/iam.tf)."""
    return policy(allow(["s3:PutObject", "s3:GetObject"], f"arn:aws:s3:::{bucket}/{COLLECTOR_PREFIX}*"))


def client_config(**overrides) -> Config:
    """Path-style, one attempt (tests see every error), short timeouts, no client-side validation (so a
    test may ask STS for a duration below AWS's 900 s minimum: moto accepts it)."""
    opts = dict(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=5, read_timeout=30, parameter_validation=False)
    opts.update(overrides)
    return Config(**opts)


class MotoS3:
    """See the module doc. Starts on construction; close() (or leaving the with block) stops it."""

    def __init__(self, bucket: str = DEFAULT_BUCKET, raw_uri_fix: bool = True, enforce: bool = True,
                 python: str | None = None):
        self.bucket, self.region = bucket, REGION
        self.workdir = tempfile.mkdtemp(prefix="mc-moto-")
        self.log_path = os.path.join(self.workdir, "moto.log")
        self.exit_code: int | None = None
        self._final_log: str | None = None
        args = [python or sys.executable, LAUNCHER, "--host", "127.0.0.1", "--port", "0"]
        if not raw_uri_fix:
            args.append("--no-raw-uri-fix")
        out_path = os.path.join(self.workdir, "stdout")
        started = time.monotonic()
        with open(out_path, "wb") as out, open(self.log_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            self.port = self._wait_listening(out_path)
            self.startup_secs = time.monotonic() - started
            self.endpoint_url = f"http://127.0.0.1:{self.port}"
            self._provision()
            if enforce:
                self.enforce()
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _wait_listening(self, out_path: str) -> int:
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while True:
            with open(out_path, "rb") as f:
                line = f.readline()
            if line.endswith(b"\n"):
                word, _, value = line.decode().partition(" ")
                if word != "LISTENING":
                    raise RuntimeError(f"moto_launcher printed {line!r}")
                return int(value)
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto did not start (exit {self.proc.poll()}): {self.log()[-3000:]}")
            time.sleep(0.02)

    def _provision(self) -> None:
        s3, iam = self.client("s3", ROOT), self.client("iam", ROOT)
        s3.create_bucket(Bucket=self.bucket)

        def user(name: str, policy_doc: str) -> Credentials:
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=policy_doc)
            key = iam.create_access_key(UserName=name)["AccessKey"]
            return Credentials(key["AccessKeyId"], key["SecretAccessKey"])

        self.collector = user(COLLECTOR_USER, collector_policy(self.bucket))
        self.reader = user(READER_USER, policy(allow("s3:GetObject", f"arn:aws:s3:::{self.bucket}/*"),
                                               allow("s3:ListBucket", f"arn:aws:s3:::{self.bucket}")))
        self.admin = user(ADMIN_USER, policy(allow("*", "*")))
        # moto matches a trust policy's principal against the caller's ARN literally: the account root
        # ("arn:aws:iam::<account>:root"), which on AWS delegates to the account's IAM policies, denies
        trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{ADMIN_USER}"},
                        "Action": "sts:AssumeRole"})
        self.role_arn = iam.create_role(RoleName=COLLECTOR_ROLE, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        iam.put_role_policy(RoleName=COLLECTOR_ROLE, PolicyName=f"{COLLECTOR_ROLE}-policy",
                            PolicyDocument=collector_policy(self.bucket))
        self._reader_s3 = self.client("s3", self.reader)
        self._admin_sts = self.client("sts", self.admin)

    def enforce(self) -> None:
        """From now on moto authenticates and authorizes every request (it counts requests from here)."""
        resp = harness.http_post(self.endpoint_url + "/moto-api/reset-auth", body=b"0",
                                 headers={"Content-Type": "text/plain"})
        if resp.status != 200:
            raise RuntimeError(f"moto refused to enforce IAM: {resp}")

    # -- clients -----------------------------------------------------------------------------------
    def client(self, service: str, creds: Credentials | None = None, endpoint_url: str | None = None, **config):
        creds = creds or self.collector
        session = boto3.session.Session(aws_access_key_id=creds.access_key_id,
                                        aws_secret_access_key=creds.secret_access_key,
                                        aws_session_token=creds.session_token, region_name=self.region)
        return session.client(service, endpoint_url=endpoint_url or self.endpoint_url, config=client_config(**config))

    def collector_env(self, endpoint_url: str | None = None, creds: Credentials | None = None) -> dict[str, str]:
        """The collector's environment for this store (DESIGN keys plus the standard AWS variables)."""
        env = {"RAW_BUCKET": self.bucket, "S3_ENDPOINT": endpoint_url or self.endpoint_url, "AWS_REGION": self.region}
        env.update((creds or self.collector).env())
        return env

    def signed_request(self, method: str, key: str, body: bytes = b"", headers: dict | None = None,
                       creds: Credentials | None = None, endpoint_url: str | None = None,
                       query: str = "") -> harness.HttpResponse:
        """One request with exactly these headers (plus Host, X-Amz-Date, x-amz-content-sha256 unless
        given, Authorization), signed by botocore's S3 SigV4 signer: what a hand-written client sends."""
        headers = dict(headers or {})
        headers.setdefault("x-amz-content-sha256", hashlib.sha256(body).hexdigest())
        url = f"{endpoint_url or self.endpoint_url}/{self.bucket}/{urllib.parse.quote(key, safe='/~')}"
        if query:
            url += "?" + query
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        S3SigV4Auth((creds or self.collector).botocore(), "s3", self.region).add_auth(request)
        prepared = request.prepare()
        return harness.http_request(method, prepared.url, body=body, headers=dict(prepared.headers))

    # -- admin-side helpers ------------------------------------------------------------------------
    def list_objects(self, prefix: str = "") -> dict[str, int]:
        out = {}
        for page in self._reader_s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                out[item["Key"]] = item["Size"]
        return out

    def get_object(self, key: str) -> bytes:
        return self._reader_s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def head_object(self, key: str) -> dict:
        """HeadObject with ChecksumMode ENABLED: ContentLength, ETag, ServerSideEncryption (when stored),
        ChecksumSHA256 (when the PUT carried a valid one), Metadata, ContentType, ..."""
        resp = self._reader_s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        resp.pop("ResponseMetadata", None)
        return resp

    def mirror(self, directory: str, prefix: str = "raw/") -> str:
        """Downloads every data object under prefix (as the reader user; not the start-up probes under
        <prefix>_collector/) into directory, laid out like the bucket, and returns directory. Raises
        AssertionError naming the key of an object stored without SSE AES256 or whose ChecksumSHA256 is
        not the SHA-256 of its bytes."""
        for key in self.list_objects(prefix):
            if key.startswith(prefix + "_collector/"):
                continue
            body = self.get_object(key)
            head = self.head_object(key)
            if head.get("ServerSideEncryption") != "AES256":
                raise AssertionError(f"{key}: ServerSideEncryption={head.get('ServerSideEncryption')!r}")
            want = base64.b64encode(hashlib.sha256(body).digest()).decode()
            if head.get("ChecksumSHA256") != want:
                raise AssertionError(f"{key}: ChecksumSHA256={head.get('ChecksumSHA256')!r}, sha256 of the bytes {want}")
            path = os.path.join(directory, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body)
        return directory

    def assume_role(self, duration: int = 900, session_name: str = "collector") -> dict:
        """STS AssumeRole of collector-role: {AccessKeyId, SecretAccessKey, SessionToken, Expiration}."""
        return self._admin_sts.assume_role(RoleArn=self.role_arn, RoleSessionName=session_name,
                                           DurationSeconds=duration)["Credentials"]

    # -- the process -------------------------------------------------------------------------------
    def log(self) -> str:
        if self._final_log is not None:
            return self._final_log
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def close(self) -> int | None:
        """Stops moto (SIGTERM, then SIGKILL), removes the temporary directory. Idempotent."""
        if self.exit_code is None and self.proc is not None:
            try:
                if self.proc.poll() is None:
                    self.proc.send_signal(signal.SIGTERM)
                    try:
                        self.proc.wait(timeout=STOP_TIMEOUT_SECS)
                    except subprocess.TimeoutExpired:
                        self.proc.kill()
                        self.proc.wait()
            finally:
                self.exit_code = self.proc.returncode
                self._final_log = self.log()
                shutil.rmtree(self.workdir, ignore_errors=True)
        return self.exit_code
