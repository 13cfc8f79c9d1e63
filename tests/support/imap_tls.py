"""An IMAP server that offers STARTTLS (pymap with a throwaway CA), for the connect tests.

The suite's :class:`~tests.support.mailservers.ImapTestServer` runs without TLS; the reader and
the health probe share one STARTTLS code path (:mod:`bot.mail.imap_connect`), and this server
lets a test cross it for real: certificate check against ``IMAP_CA_FILE`` included.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.mailservers import LOCALHOST, free_port

HAS_OPENSSL = shutil.which("openssl") is not None


def make_certs(folder: Path) -> Path:
    """A CA (``ca.pem``) and a server certificate for 127.0.0.1 it signed; returns ``folder``."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=LPSE Test CA")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext")  # fmt: skip
    return folder


@dataclass(frozen=True, slots=True)
class StartTlsServer:
    """Where the server listens, its one account, and the CA that signed its certificate."""

    host: str
    port: int
    user: str
    password: str
    ca_file: Path


def _greets(port: int) -> bool:
    try:
        with socket.create_connection((LOCALHOST, port), timeout=0.5) as sock:
            sock.settimeout(1.0)
            return sock.recv(256).startswith(b"* OK")
    except OSError:
        return False


@contextmanager
def starttls_imap(certs: Path, timeout: float = 15.0) -> Iterator[StartTlsServer]:
    """Run pymap (in-memory, user ``lpse``) offering STARTTLS with ``certs/server.pem``."""
    port = free_port()
    password = "rahasia-tls"  # a test credential
    command = [
        sys.executable, "-c", "from pymap.main import main; main()",
        "--host", LOCALHOST, "--port", str(port),
        "--cert", str(certs / "server.pem"), "--key", str(certs / "server.key"),
        "dict", "--demo-user", "lpse", "--demo-password", password,
    ]  # fmt: skip
    log = certs / f"pymap-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _greets(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pymap did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield StartTlsServer(LOCALHOST, port, "lpse", password, certs / "ca.pem")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
