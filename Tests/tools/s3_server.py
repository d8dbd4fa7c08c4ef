#!/usr/bin/env python3
"""A real S3-compatible server for HWC3D's storage tests: moto's server, with authentication switched on.

Usage:
    python3 s3_server.py --port 0 [--access-key-id ID --secret-access-key SECRET]

moto stores objects, multipart uploads and buckets the way S3 does. Out of the box it accepts any credentials
and never checks a signature; these tests need a server that refuses, so:

* moto's own IAM authentication is switched on (INITIAL_NO_AUTH_ACTION_COUNT=0) with one IAM user holding the
  given access key and an allow-all policy. moto then recomputes the SigV4 signature of every header-signed
  request with botocore and answers InvalidAccessKeyId / SignatureDoesNotMatch as S3 does.
* moto has no check at all for presigned (query-signed) URLs, and ignores the `response-content-*` parameters
  that S3 honours on a GET. This script adds both, and nothing else: the signature of a presigned request is
  recomputed with botocore's S3SigV4QueryAuth (AWS's own SDK code, not ours), an expired one is refused, and a
  valid one is handed to moto signed by botocore in header form; the response then gets the requested
  Content-Disposition / Content-Type / Cache-Control / … overrides.

Protocol with the harness (as smtp_server.py): one line "READY <port>" on stdout once the server accepts
connections; logs go to stderr. It exits on SIGTERM/SIGINT, when stdin (if a pipe or socket) reaches EOF, or
when its parent process dies.
"""

from __future__ import annotations

import argparse
import datetime
import hmac
import json
import os
import signal
import stat
import sys
import threading
import time
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

# Must be set before moto is imported: moto reads it once.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402
from werkzeug.wrappers import Request  # noqa: E402

from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def log(message: str) -> None:
    sys.stderr.write(f"s3_server: {message}\n")
    sys.stderr.flush()


def add_user(access_key_id: str, secret: str) -> None:
    backend = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.create_user(region_name="us-east-1", user_name="hwc3d-tests")
    backend.put_user_policy("hwc3d-tests", "allow-all", ALLOW_ALL)
    key = backend.create_access_key("hwc3d-tests")
    # moto makes random keys; the tests need known ones.
    backend.access_keys.pop(key.physical_resource_id, None)
    key.access_key_id = access_key_id
    key.secret_access_key = secret
    backend.access_keys[access_key_id] = key


def s3_error(start_response, status: str, code: str, message: str):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


class PresignedURLGate:
    """Checks presigned GET/HEAD URLs before moto sees them (moto would not)."""

    def __init__(self, app, access_key_id: str, secret: str):
        self.app = app
        self.credentials = Credentials(access_key_id, secret)

    def __call__(self, environ, start_response):
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = dict(query)
        if "X-Amz-Signature" not in params:
            return self.app(environ, start_response)

        scope = params.get("X-Amz-Credential", "").split("/")
        if len(scope) != 5 or scope[0] != self.credentials.access_key:
            return s3_error(start_response, "403 Forbidden", "InvalidAccessKeyId",
                            "The AWS Access Key Id you provided does not exist in our records.")
        try:
            signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
            expires = int(params["X-Amz-Expires"])
        except (KeyError, ValueError):
            return s3_error(start_response, "400 Bad Request", "AuthorizationQueryParametersError",
                            "X-Amz-Date and X-Amz-Expires are required.")

        host = environ["HTTP_HOST"]
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
        raw_path = raw_path.split("?", 1)[0]
        operation = [(k, v) for k, v in query if not k.startswith("X-Amz-")]
        url = f"http://{host}{raw_path}" + ("?" + urlencode(operation, quote_via=quote) if operation else "")

        # add_auth() would stamp the current time; the request's own time is what was signed.
        request = AWSRequest(method=environ["REQUEST_METHOD"], url=url, headers={"host": host})
        request.context["timestamp"] = params["X-Amz-Date"]
        auth = S3SigV4QueryAuth(self.credentials, "s3", scope[2], expires=expires)
        auth._modify_request_before_signing(request)
        expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
            return s3_error(start_response, "403 Forbidden", "SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature you provided.")
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        if now > signed_at + datetime.timedelta(seconds=expires):
            return s3_error(start_response, "403 Forbidden", "AccessDenied", "Request has expired")

        # Valid: hand it to moto as the same request signed in header form, which moto's own check accepts.
        # moto checks against the URL as werkzeug rebuilds it (which un-escapes some characters), so that is
        # the URL signed here.
        environ = dict(environ)
        environ["QUERY_STRING"] = urlsplit(url).query
        for name in ("RAW_URI", "REQUEST_URI"):
            if name in environ:
                environ[name] = raw_path + ("?" + environ["QUERY_STRING"] if environ["QUERY_STRING"] else "")
        forwarded = AWSRequest(method=environ["REQUEST_METHOD"], url=Request(environ).url, headers={"host": host})
        S3SigV4Auth(self.credentials, "s3", scope[2]).add_auth(forwarded)
        for name, value in forwarded.headers.items():
            if name.lower() != "host":
                environ["HTTP_" + name.upper().replace("-", "_")] = value

        overrides = {RESPONSE_OVERRIDES[k]: v for k, v in operation if k in RESPONSE_OVERRIDES}

        def overriding_start_response(status, headers, exc_info=None):
            if overrides and status.startswith(("200", "206")):
                kept = [(n, v) for n, v in headers if n not in overrides and n.lower() not in {o.lower() for o in overrides}]
                headers = kept + list(overrides.items())
            return start_response(status, headers, exc_info)

        return self.app(environ, overriding_start_response)


def stdin_is_watchable() -> bool:
    # Only a pipe or socket: a terminal or /dev/null would read EOF (or block) and say nothing about the parent.
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--access-key-id", default="AKIAHWC3DTESTS000001")
    p.add_argument("--secret-access-key", default="hwc3d-tests-secret-access-key-0123456789")
    args = p.parse_args()

    add_user(args.access_key_id, args.secret_access_key)
    app = PresignedURLGate(DomainDispatcherApplication(create_backend_app), args.access_key_id, args.secret_access_key)
    server = make_server(args.host, args.port, app, threaded=True)
    stop = threading.Event()

    def shutdown(*_):
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, shutdown)
    if stdin_is_watchable():
        def watch_stdin():
            while sys.stdin.buffer.read1(4096):
                pass
            stop.set()
        threading.Thread(target=watch_stdin, daemon=True).start()
    parent = os.getppid()

    def watch_parent():
        while not stop.is_set():
            if os.getppid() != parent:
                stop.set()
            time.sleep(1)
    threading.Thread(target=watch_parent, daemon=True).start()

    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write(f"READY {server.server_port}\n")
    sys.stdout.flush()
    log(f"listening on {args.host}:{server.server_port}")
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
