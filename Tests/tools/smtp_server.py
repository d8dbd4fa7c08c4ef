#!/usr/bin/env python3
"""A real SMTP submission server for HWC3D's tests, built on aiosmtpd.

Usage:
    python3 smtp_server.py --port 0 --maildir DIR --user U --password P [--tls-cert auto]

It offers STARTTLS with a self-signed certificate made on the fly for
127.0.0.1/localhost, refuses every mail command before STARTTLS, accepts
AUTH PLAIN/LOGIN only over TLS and only for U/P, and (when --user is given)
refuses mail from unauthenticated sessions, like a real submission port.

Every accepted message is written to DIR as NAME.eml (the DATA bytes exactly
as received) with NAME.json beside it ({"mail_from", "rcpt_tos", "auth_user",
"tls", "received_at"}). The .json is written first and the .eml is renamed into
place last, so a test that polls for *.eml never sees a half-written message.

Protocol with the harness: exactly one line "READY <port>" on stdout once the
server accepts connections; everything else goes to stderr. It exits cleanly on
SIGTERM/SIGINT, when stdin (if it is a pipe or socket) reaches EOF, or when its
parent process dies, so a crashed test run does not leave it behind.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time

# aiosmtpd 1.4 itself sets its deprecated Session.login_data on every AUTH and logs
# a warning about it on "mail.log"; that is noise in test logs, not anything to act on.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage()
)

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:  # pragma: no cover - environment problem, say how to fix it
    sys.stderr.write(
        "smtp_server.py: aiosmtpd is missing; run scripts/ensure-deps.sh test "
        "(or python3 -m pip install aiosmtpd)\n"
    )
    sys.exit(2)


def log(msg: str) -> None:
    # stdout is reserved for the single READY line the harness parses.
    sys.stderr.write(f"smtp_server: {msg}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------
# Certificate
# --------------------------------------------------------------------------

def _cert_with_cryptography(cert_path: str, key_path: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    # EC P-256: generated in milliseconds, unlike RSA, and every TLS stack takes it.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Back-dated a little so clock skew between processes cannot make it "not yet valid".
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def _cert_with_openssl(cert_path: str, key_path: str) -> None:
    # Fallback when the cryptography package is not importable; -addext needs OpenSSL >= 1.1.1.
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", key_path, "-out", cert_path, "-days", "2",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def make_self_signed(directory: str, backend: str) -> tuple[str, str]:
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    if backend in ("auto", "cryptography"):
        try:
            _cert_with_cryptography(cert_path, key_path)
            return cert_path, key_path
        except ImportError:
            if backend == "cryptography":
                raise
            log("cryptography not importable; generating the certificate with openssl")
    _cert_with_openssl(cert_path, key_path)
    return cert_path, key_path


# --------------------------------------------------------------------------
# SMTP handler and authenticator
# --------------------------------------------------------------------------

class MaildirHandler:
    """Writes each message as NAME.eml + NAME.json into the mail directory."""

    def __init__(self, maildir: str) -> None:
        self.maildir = maildir
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            seq = next(self._counter)
        stem = f"{time.time_ns()}-{os.getpid()}-{seq:06d}"
        raw = envelope.original_content
        if raw is None:  # only with decode_data=True, which we do not use
            raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        auth = session.auth_data
        if isinstance(auth, LoginPassword):
            auth = auth.login
        if isinstance(auth, bytes):
            auth = auth.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": auth,
            "tls": session.ssl is not None,
            "received_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        }
        json_tmp = os.path.join(self.maildir, f".{stem}.json.tmp")
        eml_tmp = os.path.join(self.maildir, f".{stem}.eml.tmp")
        with open(json_tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        os.replace(json_tmp, os.path.join(self.maildir, f"{stem}.json"))
        with open(eml_tmp, "wb") as f:
            f.write(raw)
        # The .eml appears last and atomically: its presence means the pair is complete.
        os.replace(eml_tmp, os.path.join(self.maildir, f"{stem}.eml"))
        log(f"stored {stem}.eml from {envelope.mail_from} to {envelope.rcpt_tos} (auth={auth})")
        return "250 Message accepted for delivery"


def make_authenticator(user: str, password: str):
    want_user = user.encode()
    want_pass = password.encode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        # aiosmtpd hands PLAIN and LOGIN credentials over as LoginPassword(bytes, bytes).
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == want_user and auth_data.password == want_pass
        if not ok:
            log(f"AUTH {mechanism} rejected for {auth_data.login!r}")
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=user)

    return authenticator


# --------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------

def free_port() -> int:
    # aiosmtpd's Controller must know its port up front (it connects to itself
    # to confirm start-up), so port 0 is resolved here.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stdin_is_watchable() -> bool:
    # Only a pipe or socket says something when the harness dies. /dev/null (or a
    # closed stdin) would read EOF at once and stop the server before any test ran.
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def watch_stdin(stop: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read1(4096):
            pass
    except (OSError, ValueError):
        pass
    log("stdin closed; shutting down")
    stop.set()


def watch_parent(stop: threading.Event, parent: int) -> None:
    # When the parent dies we are re-parented; catches a harness killed with -9
    # that had given us /dev/null as stdin.
    while not stop.wait(1.0):
        if os.getppid() != parent:
            log("parent process exited; shutting down")
            stop.set()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port, 0 picks a free one (default 0)")
    p.add_argument("--maildir", required=True, help="directory for received .eml/.json files (created)")
    p.add_argument("--user", help="AUTH user; when given, mail requires AUTH")
    p.add_argument("--password", help="AUTH password (required with --user)")
    p.add_argument("--tls-cert", default="auto", help="'auto' (self-signed, default) or a PEM certificate path")
    p.add_argument("--tls-key", help="PEM key path when --tls-cert is a path")
    p.add_argument("--cert-out", help="also copy the certificate PEM here (lets a client pin it)")
    p.add_argument("--cert-backend", choices=("auto", "cryptography", "openssl"), default="auto",
                   help=argparse.SUPPRESS)
    p.add_argument("--no-stdin-watch", action="store_true", help="do not exit when stdin closes")
    args = p.parse_args(argv)
    if (args.user is None) != (args.password is None):
        p.error("--user and --password go together")
    if args.tls_cert != "auto" and not args.tls_key:
        p.error("--tls-key is required when --tls-cert is a path")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.makedirs(args.maildir, exist_ok=True)
    parent = os.getppid()

    certdir = tempfile.mkdtemp(prefix="hwc3d-smtp-")
    controller = None
    try:
        if args.tls_cert == "auto":
            cert_path, key_path = make_self_signed(certdir, args.cert_backend)
        else:
            cert_path, key_path = args.tls_cert, args.tls_key
        if args.cert_out:
            shutil.copyfile(cert_path, args.cert_out)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert_path, key_path)

        smtp_kwargs = dict(
            tls_context=tls,
            require_starttls=True,
            auth_require_tls=True,
            enable_SMTPUTF8=True,
            ident="HWC3D test SMTP",
        )
        if args.user is not None:
            smtp_kwargs.update(
                authenticator=make_authenticator(args.user, args.password),
                auth_required=True,
            )

        handler = MaildirHandler(args.maildir)
        last_error: Exception | None = None
        # A port picked by free_port() can be taken by someone else before we bind it; retry.
        for _ in range(5 if args.port == 0 else 1):
            port = args.port or free_port()
            controller = Controller(handler, hostname=args.host, port=port, ready_timeout=10, **smtp_kwargs)
            try:
                controller.start()
                break
            except Exception as exc:  # noqa: BLE001 - aiosmtpd raises several kinds here
                last_error = exc
                controller = None
        if controller is None:
            log(f"could not start: {last_error}")
            return 1

        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: stop.set())
        if not args.no_stdin_watch and stdin_is_watchable():
            threading.Thread(target=watch_stdin, args=(stop,), daemon=True).start()
        threading.Thread(target=watch_parent, args=(stop, parent), daemon=True).start()

        log(f"listening on {args.host}:{port}, maildir {args.maildir}")
        sys.stdout.write(f"READY {port}\n")
        sys.stdout.flush()

        # A timed wait keeps the main thread responsive to signals.
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        if controller is not None:
            try:
                controller.stop()
            except Exception as exc:  # noqa: BLE001 - shutting down anyway
                log(f"stop: {exc}")
        shutil.rmtree(certdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
