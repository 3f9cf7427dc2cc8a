"""Runs moto's server on loopback for the S3 integration tests (a child process of s3_support.MotoS3).

    python3 moto_launcher.py --host 127.0.0.1 --port 0 [--no-raw-uri-fix]

Prints "LISTENING <port>" on stdout once the socket accepts connections, then serves until SIGTERM or
SIGINT (exit 0), or until its parent process is gone. IAM enforcement is off at start; s3_support turns
it on with POST /moto-api/reset-auth once the bucket, users and role exist.

Why the launcher patches moto (moto 5.2.1, werkzeug 3.1): with IAM enforcement on, moto checks a SigV4
signature by rebuilding the canonical request from BaseResponse.uri, which is werkzeug's request.url.
werkzeug builds that URL from the *decoded* PATH_INFO and then uri_to_iri() decodes it again, so the
path moto signs is not the path the client sent: a key "raw/exchange=binance/..." travels (and is
signed, as S3 requires) as "raw/exchange%3Dbinance/..." but moto signs "raw/exchange=binance/..." and
answers a false SignatureDoesNotMatch. Every key this project writes contains '=' (Hive partitions).
The werkzeug dev server keeps the request target exactly as received in environ["RAW_URI"] and moto
already reads it for the S3 key (BaseResponse.raw_path); the patch below makes BaseResponse.uri use it
too, so the signature check sees the bytes the client signed. Nothing else reads BaseResponse.uri in
server mode (S3's querystring comes from request.args). --no-raw-uri-fix leaves moto as shipped, for
the test that shows the bug. This lives in tests/ only: the collector must keep signing as AWS does.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading


def install_raw_uri_fix() -> None:
    from urllib.parse import urlsplit, urlunsplit

    from moto.core.responses import BaseResponse

    original_setup_class = BaseResponse.setup_class

    def setup_class(self, request, full_url, headers, *args, **kwargs):
        original_setup_class(self, request, full_url, headers, *args, **kwargs)
        raw_uri = getattr(request, "environ", {}).get("RAW_URI")
        if raw_uri:
            raw = urlsplit(raw_uri)  # origin-form "/path?query", or absolute-form through a proxy
            url = urlsplit(full_url)
            self.uri = urlunsplit((url.scheme, url.netloc, raw.path, raw.query, ""))

    BaseResponse.setup_class = setup_class


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a port chosen by the kernel")
    parser.add_argument("--no-raw-uri-fix", action="store_true",
                        help="leave moto's URL handling as shipped (keys with '=' fail under IAM)")
    args = parser.parse_args()

    from moto.server import ThreadedMotoServer

    if not args.no_raw_uri_fix:
        install_raw_uri_fix()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"LISTENING {port}", flush=True)
    parent = os.getppid()
    while not stop.wait(0.5):
        if os.getppid() != parent:
            break  # the test process died without stopping us: do not outlive it
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
