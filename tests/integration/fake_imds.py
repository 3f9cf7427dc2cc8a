"""A fake EC2 instance metadata service (IMDSv2 only) and ECS container-credentials endpoint. Stdlib only.

    with FakeImds(credentials=lambda: moto.assume_role(900), cache_secs=20) as imds:
        imds.url                      # "http://127.0.0.1:PORT": AWS_EC2_METADATA_SERVICE_ENDPOINT
        imds.ecs_url                  # AWS_CONTAINER_CREDENTIALS_FULL_URI (+ imds.ecs_token as the
                                      #   AWS_CONTAINER_AUTHORIZATION_TOKEN when ecs_token was given)
        imds.count("/latest/meta-data/iam/security-credentials/collector-role")   # requests per path
        imds.credential_fetches       # successful credential answers (IMDS role path + ECS path)
        imds.mints                    # how many times credentials() was called
        imds.fail(2, status=500)      # the next 2 credential requests answer 500
        imds.expire_now()             # the next credential request mints fresh credentials

IMDSv2 as EC2 does it: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds in 1..21600
(else 400) and returns a token valid that long; every GET needs X-aws-ec2-metadata-token with a valid,
unexpired token (else 401). Served: meta-data/instance-id, meta-data/placement/region,
dynamic/instance-identity/document, meta-data/iam/security-credentials/ (the role name) and
.../security-credentials/<role> (Code, LastUpdated, Type AWS-HMAC, AccessKeyId, SecretAccessKey, Token,
Expiration). credentials() returns a dict with AccessKeyId, SecretAccessKey, SessionToken and
Expiration (datetime), as STS AssumeRole does; the fake caches it and reports as Expiration the earlier
of STS's expiration and mint time + cache_secs (0: mint on every request), then mints again.

    python3 fake_imds.py --moto-endpoint URL --access-key-id ID --secret-access-key S --role-arn ARN
runs it alone (needs boto3), printing "LISTENING <port>".
"""
from __future__ import annotations

import datetime
import http.server
import json
import secrets
import threading
import time

from fault_proxy import LoopbackHttpServer

TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TOKEN_TTL_SECS = 21600
CREDS_PREFIX = "/latest/meta-data/iam/security-credentials/"
ECS_PATH = "/v2/credentials/collector"


def iso_z(when: datetime.datetime) -> str:
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeImds:
    def __init__(self, credentials, role_name: str = "collector-role", region: str = "us-east-1",
                 instance_id: str = "i-0123456789abcdef0", cache_secs: float = 20.0,
                 ecs_token: str | None = None, host: str = "127.0.0.1"):
        self.role_name, self.region, self.instance_id = role_name, region, instance_id
        self.cache_secs, self.ecs_token = cache_secs, ecs_token
        self._credentials = credentials
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._counts: dict[str, int] = {}
        self._cached: dict | None = None
        self._cached_until = 0.0  # wall clock (time.time) of the reported Expiration
        self._fail_left, self._fail_status = 0, 500
        self.mints = 0
        self.credential_fetches = 0
        handler = type("FakeImdsHandler", (_ImdsHandler,), {"imds": self})
        self._server = LoopbackHttpServer(handler, host)
        self._server.start()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def ecs_url(self) -> str:
        return self._server.url + ECS_PATH

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._server.close()

    def count(self, path: str) -> int:
        with self._lock:
            return self._counts.get(path, 0)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def fail(self, times: int, status: int = 500) -> None:
        """The next `times` credential requests (IMDS role path or ECS path) answer `status`."""
        with self._lock:
            self._fail_left, self._fail_status = times, status

    def expire_now(self) -> None:
        with self._lock:
            self._cached = None

    # -- called by the handler ---------------------------------------------------------------------
    def _count(self, path: str) -> None:
        with self._lock:
            self._counts[path] = self._counts.get(path, 0) + 1

    def _issue_token(self, ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.monotonic() + ttl
        return token

    def _token_valid(self, token: str | None) -> bool:
        with self._lock:
            expiry = self._tokens.get(token or "")
        return expiry is not None and time.monotonic() < expiry

    def _take_failure(self) -> int | None:
        with self._lock:
            if self._fail_left <= 0:
                return None
            self._fail_left -= 1
            return self._fail_status

    def _current_credentials(self) -> dict:
        """{AccessKeyId, SecretAccessKey, Token, Expiration (ISO Z), LastUpdated (ISO Z)}."""
        with self._lock:
            if self._cached is not None and time.time() < self._cached_until:
                self.credential_fetches += 1
                return dict(self._cached)
        minted = self._credentials()  # outside the lock: an STS round trip
        now = datetime.datetime.now(datetime.timezone.utc)
        expiry = minted["Expiration"]
        if self.cache_secs > 0:
            expiry = min(expiry, now + datetime.timedelta(seconds=self.cache_secs))
        creds = {"AccessKeyId": minted["AccessKeyId"], "SecretAccessKey": minted["SecretAccessKey"],
                 "Token": minted["SessionToken"], "Expiration": iso_z(expiry), "LastUpdated": iso_z(now)}
        with self._lock:
            self.mints += 1
            self.credential_fetches += 1
            if self.cache_secs > 0:
                self._cached, self._cached_until = creds, expiry.timestamp()
        return dict(creds)

    def _document(self) -> dict:
        return {"accountId": "123456789012", "architecture": "x86_64", "availabilityZone": f"{self.region}a",
                "imageId": "ami-0123456789abcdef0", "instanceId": self.instance_id, "instanceType": "t3.micro",
                "pendingTime": "2026-01-01T00:00:00Z", "privateIp": "10.0.0.10", "region": self.region,
                "version": "2017-09-30"}


class _ImdsHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    imds: FakeImds

    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass

    def _send(self, status: int, body: str = "", content_type: str = "text/plain", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _credentials(self) -> dict | None:
        try:
            return self.imds._current_credentials()
        except Exception as e:  # noqa: BLE001 - any failure to mint is the test's to see, as a 500
            self._send(500, f"fake imds: minting credentials failed: {e!r}")
            return None

    def do_PUT(self):
        self._drain()
        self.imds._count(self.path)
        if self.path != "/latest/api/token":
            return self._send(405 if self.path.startswith("/latest/") else 404)
        if self.headers.get("X-Forwarded-For"):
            return self._send(403)  # as EC2: a token is never handed through a proxy
        try:
            ttl = int(self.headers.get(TOKEN_TTL_HEADER, ""))
        except ValueError:
            return self._send(400)
        if not 1 <= ttl <= MAX_TOKEN_TTL_SECS:
            return self._send(400)
        self._send(200, self.imds._issue_token(ttl), headers=[(TOKEN_TTL_HEADER, str(ttl))])

    def do_GET(self):
        imds, path = self.imds, self.path
        imds._count(path)
        if path == ECS_PATH:
            return self._ecs()
        if not imds._token_valid(self.headers.get(TOKEN_HEADER)):
            return self._send(401)
        if path == "/latest/meta-data/instance-id":
            return self._send(200, imds.instance_id)
        if path == "/latest/meta-data/placement/region":
            return self._send(200, imds.region)
        if path == "/latest/dynamic/instance-identity/document":
            return self._send(200, json.dumps(imds._document(), indent=2), "application/json")
        if path == CREDS_PREFIX:
            return self._send(200, imds.role_name)
        if path == CREDS_PREFIX + imds.role_name:
            status = imds._take_failure()
            if status is not None:
                return self._send(status)
            creds = self._credentials()
            if creds is None:
                return None
            body = {"Code": "Success", "LastUpdated": creds["LastUpdated"], "Type": "AWS-HMAC",
                    "AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
                    "Token": creds["Token"], "Expiration": creds["Expiration"]}
            return self._send(200, json.dumps(body, indent=2), "text/plain")
        self._send(404)

    def _ecs(self):
        imds = self.imds
        if imds.ecs_token is not None and self.headers.get("Authorization") != imds.ecs_token:
            return self._send(401, json.dumps({"code": "Unauthorized"}), "application/json")
        status = imds._take_failure()
        if status is not None:
            return self._send(status)
        creds = self._credentials()
        if creds is None:
            return None
        body = {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
                "Token": creds["Token"], "Expiration": creds["Expiration"],
                "RoleArn": f"arn:aws:iam::123456789012:role/{imds.role_name}"}
        self._send(200, json.dumps(body), "application/json")


def main() -> int:
    import argparse
    import signal

    import boto3

    parser = argparse.ArgumentParser(description="fake IMDSv2 + ECS credentials endpoint over moto STS")
    parser.add_argument("--moto-endpoint", required=True)
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--secret-access-key", required=True)
    parser.add_argument("--role-arn", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--cache-secs", type=float, default=20.0)
    parser.add_argument("--ecs-token")
    args = parser.parse_args()
    sts = boto3.client("sts", endpoint_url=args.moto_endpoint, region_name=args.region,
                       aws_access_key_id=args.access_key_id, aws_secret_access_key=args.secret_access_key)

    def assume():
        return sts.assume_role(RoleArn=args.role_arn, RoleSessionName="fake-imds", DurationSeconds=900)["Credentials"]

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with FakeImds(assume, role_name=args.role_arn.rsplit("/", 1)[-1], region=args.region,
                  cache_secs=args.cache_secs, ecs_token=args.ecs_token) as imds:
        print(f"LISTENING {imds.port}", flush=True)
        while not stop.wait(0.5):   # short: a signal taken by another thread does not end a long wait
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
