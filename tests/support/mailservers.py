"""Real, local mail servers for tests: an SMTP sink (aiosmtpd) and an IMAP server (Dovecot).

The bot talks to the LPSE mailbox only through SMTP and IMAP, so its mail bridge is tested
against real protocol servers rather than mocks: a mock would happily accept a FETCH that sets
``\\Seen`` by accident, or a client that never authenticates.

* :class:`SmtpTestServer` wraps :class:`aiosmtpd.controller.Controller` (its own thread and
  event loop). It captures every message, offers AUTH PLAIN/LOGIN without TLS, can reject a
  recipient with 550 (permanent) or 451 (temporary), and can be stopped and restarted on the
  same port to simulate an outage.
* :class:`ImapTestServer` starts Dovecot as a subprocess with a throwaway configuration (no
  SSL, one passwd-file user, maildir in a temporary directory). Where Dovecot is not
  installed, or when ``MAIL_TEST_IMAP=pymap``, it starts pymap's in-memory ``dict`` backend
  instead. Its helper methods use the stdlib :mod:`imaplib`, deliberately not the client under
  test (aioimaplib), so a bug in the bot's client cannot hide itself.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import email
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = [
    "CapturedMessage",
    "ImapTestServer",
    "SmtpTestServer",
    "dovecot_binary",
    "dovecot_version",
    "free_port",
    "imap_backend_from_env",
]

LOCALHOST = "127.0.0.1"
#: Env var forcing the IMAP backend: ``dovecot`` or ``pymap`` (default: Dovecot if installed).
IMAP_BACKEND_ENV = "MAIL_TEST_IMAP"


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_for_port(host: str, port: int, timeout: float, banner: bytes | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5) as sock:
                if banner is None:
                    return True
                sock.settimeout(1.0)
                if sock.recv(256).startswith(banner):
                    return True
        except OSError:
            pass
        time.sleep(0.03)
    return False


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapturedMessage:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    auth_user: str | None

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", "")).strip()


@dataclass(slots=True)
class _Rejection:
    code: int
    text: str


_DEFAULT_TEXT = {
    550: "5.1.1 Recipient address rejected: User unknown",
    451: "4.3.0 Temporary lookup failure, try again later",
    452: "4.2.2 Mailbox full",
    554: "5.7.1 Relay access denied",
}


class _Handler:
    def __init__(self, owner: SmtpTestServer) -> None:
        self.owner = owner

    async def handle_RCPT(  # aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        rejection = self.owner._rejection_for(address)
        if rejection is not None:
            return f"{rejection.code} {rejection.text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        rejection = self.owner._data_rejection()
        if rejection is not None:
            return f"{rejection.code} {rejection.text}"
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        parsed = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        auth = session.auth_data if session.authenticated else None
        captured = CapturedMessage(
            mail_from=str(envelope.mail_from or ""),
            rcpt_tos=list(envelope.rcpt_tos),
            raw=bytes(raw),
            message=parsed,
            auth_user=auth if isinstance(auth, str) else None,
        )
        self.owner._capture(captured)
        return "250 2.0.0 Ok: queued"


class SmtpTestServer:
    """A capturing SMTP server on 127.0.0.1 for one test.

    Attributes:
        host: Always ``127.0.0.1``.
        port: Chosen free at construction and kept across :meth:`restart`.
        user: The AUTH user name that is accepted.
        password: Its password.
        messages: Every accepted message, in order (thread-safe to read).
        auth_failures: How many AUTH attempts were refused.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        user: str = "lpse@batangkab.go.id",
        password: str = "rahasia-smtp",  # a test credential
        auth_required: bool = False,
    ) -> None:
        self.host = LOCALHOST
        self.port = port or free_port()
        self.user = user
        self.password = password
        self.auth_required = auth_required
        self.messages: list[CapturedMessage] = []
        self.auth_failures = 0
        self._lock = threading.Condition()
        self._rejections: dict[str | None, _Rejection] = {}
        self._data_rejections: list[_Rejection] = []
        self._controller: Controller | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen (again) on :attr:`port`. Returns once the server answers."""
        if self._controller is not None:
            return
        controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="smtp.test.invalid",  # avoids a slow getfqdn() per connection
            authenticator=self._authenticate,
            auth_require_tls=False,
            auth_required=self.auth_required,
            ready_timeout=10.0,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: new connections are refused (an outage). Idempotent."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def restart(self) -> None:
        """End an outage: listen again on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> SmtpTestServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- behaviour ---------------------------------------------------------------------------

    def reject(self, recipient: str | None, code: int = 550, text: str | None = None) -> None:
        """Answer RCPT TO for ``recipient`` (any recipient when ``None``) with ``code``.

        Use 550 for a permanent failure (the bot must not retry and must tell staff) and 451
        for a temporary one (the bot must retry later).
        """
        key = recipient.lower() if recipient else None
        with self._lock:
            self._rejections[key] = _Rejection(code, text or _DEFAULT_TEXT.get(code, "Rejected"))

    def reject_data(self, code: int = 451, text: str | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` DATA commands with ``code`` (after RCPT was accepted)."""
        with self._lock:
            rejection = _Rejection(code, text or _DEFAULT_TEXT.get(code, "Rejected"))
            self._data_rejections.extend([rejection] * times)

    def accept_all(self) -> None:
        """Forget every rejection rule."""
        with self._lock:
            self._rejections.clear()
            self._data_rejections.clear()

    def clear(self) -> None:
        """Forget captured messages."""
        with self._lock:
            self.messages.clear()

    def wait_for(self, count: int = 1, seconds: float = 5.0) -> list[CapturedMessage]:
        """Block until ``count`` messages were captured; returns them all.

        Raises:
            TimeoutError: Fewer arrived in time.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.messages) >= count, seconds):
                raise TimeoutError(f"{len(self.messages)} of {count} messages after {seconds}s")
            return list(self.messages)

    async def wait_for_async(self, count: int = 1, seconds: float = 5.0) -> list[CapturedMessage]:
        """:meth:`wait_for` for async tests, without blocking the event loop.

        Raises:
            TimeoutError: Fewer arrived in time.
        """
        deadline = time.monotonic() + seconds
        while True:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.messages)} of {count} messages after {seconds}s")
            await asyncio.sleep(0.02)

    # -- internals (called from the server thread) ---------------------------------------------

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8", "replace") == self.user
            and auth_data.password.decode("utf-8", "replace") == self.password
        ):
            return AuthResult(success=True, auth_data=self.user)
        with self._lock:
            self.auth_failures += 1
        return AuthResult(success=False, handled=False)

    def _rejection_for(self, address: str) -> _Rejection | None:
        with self._lock:
            return self._rejections.get(address.lower()) or self._rejections.get(None)

    def _data_rejection(self) -> _Rejection | None:
        with self._lock:
            return self._data_rejections.pop(0) if self._data_rejections else None

    def _capture(self, message: CapturedMessage) -> None:
        with self._lock:
            self.messages.append(message)
            self._lock.notify_all()


# --- IMAP -------------------------------------------------------------------------------------


def dovecot_binary() -> str | None:
    """Path of the ``dovecot`` binary (PATH, then /usr/sbin), or ``None``."""
    found = shutil.which("dovecot")
    if found:
        return found
    fallback = Path("/usr/sbin/dovecot")
    return str(fallback) if fallback.is_file() and os.access(fallback, os.X_OK) else None


@cache
def dovecot_version(binary: str) -> tuple[int, int]:
    """``(major, minor)`` of the installed Dovecot: 2.4 renamed many settings."""
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    match = re.match(r"(\d+)\.(\d+)", result.stdout.strip())
    if match is None:
        raise RuntimeError(f"cannot read dovecot version: {result.stdout!r} {result.stderr!r}")
    return int(match.group(1)), int(match.group(2))


def imap_backend_from_env() -> str:
    """``dovecot`` or ``pymap``: :data:`IMAP_BACKEND_ENV` if set, else Dovecot when installed."""
    wanted = os.environ.get(IMAP_BACKEND_ENV, "").strip().lower()
    if wanted in {"dovecot", "pymap"}:
        return wanted
    if wanted:
        raise ValueError(f"{IMAP_BACKEND_ENV} must be 'dovecot' or 'pymap', not {wanted!r}")
    return "dovecot" if dovecot_binary() else "pymap"


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass(slots=True)
class _Accounts:
    """Which system users Dovecot runs as. Dovecot refuses root for login and mail processes."""

    login_user: str
    internal_user: str
    internal_group: str
    mail_uid: int
    mail_gid: int


def _accounts() -> _Accounts:
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return _Accounts(me.pw_name, me.pw_name, _group_name(me.pw_gid), me.pw_uid, me.pw_gid)
    nobody = pwd.getpwnam("nobody")
    login = "dovenull" if _user_exists("dovenull") else "nobody"
    internal = "dovecot" if _user_exists("dovecot") else "nobody"
    internal_gid = pwd.getpwnam(internal).pw_gid
    return _Accounts(login, internal, _group_name(internal_gid), nobody.pw_uid, nobody.pw_gid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _dovecot_config(root: Path, port: int, accounts: _Accounts, version: tuple[int, int]) -> str:
    mail = root / "mail"
    common = f"""\
protocols = imap
listen = {LOCALHOST}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
auth_mechanisms = plain login
default_internal_user = {accounts.internal_user}
default_internal_group = {accounts.internal_group}
default_login_user = {accounts.login_user}
first_valid_uid = {min(accounts.mail_uid, 500)}
first_valid_gid = 0
shutdown_clients = yes
auth_failure_delay = 0
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    if os.geteuid() != 0:
        common += """\
service auth-worker {
  user = $default_internal_user
}
"""
    if version >= (2, 4):
        return f"""\
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
{common}auth_allow_cleartext = yes
mail_driver = maildir
mail_path = {mail}/%{{user}}
mail_home = {mail}/%{{user}}
passdb passwd-file {{
  passwd_file_path = {root}/users
}}
userdb static {{
  fields {{
    uid = {accounts.mail_uid}
    gid = {accounts.mail_gid}
    home = {mail}/%{{user}}
  }}
}}
"""
    return f"""\
{common}disable_plaintext_auth = no
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={accounts.mail_uid} gid={accounts.mail_gid} home={mail}/%u
}}
"""


class ImapTestServer:
    """A real IMAP server with one user, for one test.

    Attributes:
        backend: ``"dovecot"`` or ``"pymap"``.
        host: ``127.0.0.1``.
        port: A free port chosen at start.
        user: The only user (``lpse``).
        password: Its password.
    """

    def __init__(
        self,
        backend: str | None = None,
        *,
        user: str = "lpse",
        password: str = "rahasia-imap",  # a test credential
    ) -> None:
        self.backend = backend or imap_backend_from_env()
        if self.backend not in {"dovecot", "pymap"}:
            raise ValueError(f"unknown IMAP backend {self.backend!r}")
        self.host = LOCALHOST
        self.port = 0
        self.user = user
        self.password = password
        self.root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._helper: imaplib.IMAP4 | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Start the server and return once it greets clients.

        Raises:
            RuntimeError: The server exited or did not answer; the message holds its log.
        """
        if self._process is not None:
            return
        # Not pytest's tmp_path: Dovecot's unprivileged processes must traverse the directory,
        # and tmp_path's parents are private to the test user.
        self.root = Path(tempfile.mkdtemp(prefix=f"imap-{self.backend}-"))
        self.root.chmod(0o755)
        self.port = free_port()
        command = self._prepare_dovecot() if self.backend == "dovecot" else self._prepare_pymap()
        log = (self.root / "server.out").open("wb")
        self._process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so teardown reaches its children
        )
        log.close()
        _RUNNING.add(self)
        if not _wait_for_port(self.host, self.port, timeout, banner=b"* OK"):
            output = self.log()
            self.stop()
            raise RuntimeError(f"{self.backend} did not start on port {self.port}:\n{output}")

    def _prepare_dovecot(self) -> list[str]:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed; use MAIL_TEST_IMAP=pymap")
        assert self.root is not None
        accounts = _accounts()
        mail = self.root / "mail"
        mail.mkdir()
        if os.geteuid() == 0:
            os.chown(mail, accounts.mail_uid, accounts.mail_gid)
        users = self.root / "users"
        users.write_text(f"{self.user}:{{PLAIN}}{self.password}\n", encoding="utf-8")
        users.chmod(0o644)  # read by the unprivileged auth process; a test-only password
        config = self.root / "dovecot.conf"
        text = _dovecot_config(self.root, self.port, accounts, dovecot_version(binary))
        config.write_text(text, encoding="utf-8")
        return [binary, "-F", "-c", str(config)]

    def _prepare_pymap(self) -> list[str]:
        # pymap has no ``__main__``: call its console entry point through this interpreter, so
        # the venv's pymap is used even when ``pymap`` is not on PATH.
        return [
            sys.executable,
            "-c",
            "from pymap.main import main; main()",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--no-tls",
            "dict",
            "--demo-user",
            self.user,
            "--demo-password",
            self.password,
        ]

    def stop(self) -> None:
        """Terminate the server and its children, and delete its files. Idempotent."""
        self._drop_helper()
        _RUNNING.discard(self)
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            # Dovecot may wait for its children; nothing on disk is worth waiting for.
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)
            # The whole group: Dovecot's auth, log and imap children may outlive the master.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        """The server's own output and (Dovecot) log file, for failure messages."""
        if self.root is None:
            return ""
        parts = []
        for name in ("server.out", "dovecot.log"):
            path = self.root / name
            if path.exists():
                parts.append(path.read_text(encoding="utf-8", errors="replace"))
        return "\n".join(parts)

    def __enter__(self) -> ImapTestServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers (stdlib imaplib, independent of the client under test) ------------------------

    def connect(self) -> imaplib.IMAP4:
        """A new logged-in :class:`imaplib.IMAP4`; the caller logs out."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    @contextlib.contextmanager
    def _session(self) -> Iterator[imaplib.IMAP4]:
        """The helpers' own connection, kept between calls (pymap's LOGIN costs ~0.1 s).

        Any error drops it, so the next helper call starts from a fresh login.
        """
        if self._helper is None:
            self._helper = self.connect()
        try:
            yield self._helper
        except BaseException:
            self._drop_helper()
            raise

    def _drop_helper(self) -> None:
        client, self._helper = self._helper, None
        if client is not None:
            _logout(client)

    def append(
        self, raw: bytes, mailbox: str = "INBOX", flags: tuple[str, ...] | list[str] = ()
    ) -> int | None:
        """Deliver ``raw`` into ``mailbox`` as if it had just arrived; returns its UID.

        Args:
            raw: The message bytes (CRLF or LF line ends).
            mailbox: Target mailbox; must exist (see :meth:`create_mailbox`).
            flags: e.g. ``("\\\\Seen",)``.

        Returns:
            The UID from the server's APPENDUID answer, or ``None`` if it gave none.
        """
        flag_text = f"({' '.join(flags)})" if flags else None
        with self._session() as client:
            status, data = client.append(_quote(mailbox), flag_text, None, raw)
        if status != "OK":
            raise RuntimeError(f"APPEND to {mailbox} failed: {data!r}")
        match = re.search(rb"APPENDUID \d+ (\d+)", b" ".join(_as_bytes(item) for item in data))
        return int(match.group(1)) if match else None

    def create_mailbox(self, name: str) -> None:
        """Create ``name`` (e.g. the bot's ``Diproses``/``Karantina`` folders)."""
        with self._session() as client:
            status, data = client.create(_quote(name))
        if status != "OK":
            raise RuntimeError(f"CREATE {name} failed: {data!r}")

    def mailboxes(self) -> list[str]:
        """Names of every mailbox."""
        with self._session() as client:
            status, data = client.list()
        names = []
        for line in data if status == "OK" else []:
            match = re.search(rb'\) "?[^" ]*"? (.+)$', _as_bytes(line))
            if match:
                names.append(match.group(1).decode().strip('"'))
        return names

    def flags(self, mailbox: str = "INBOX") -> dict[int, set[str]]:
        """``{uid: flags}`` of every message, read-only (EXAMINE) so nothing changes.

        ``\\Recent`` is left out: it belongs to a session, not to the message.
        """
        result: dict[int, set[str]] = {}
        for header, _ in self._fetch(mailbox, "(UID FLAGS)"):
            uid = re.search(rb"UID (\d+)", header)
            flags = re.search(rb"FLAGS \(([^)]*)\)", header)
            if uid and flags:
                names = {flag.decode() for flag in flags.group(1).split()}
                result[int(uid.group(1))] = names - {"\\Recent"}
        return result

    def messages(self, mailbox: str = "INBOX") -> dict[int, bytes]:
        """``{uid: raw bytes}`` of every message, fetched with BODY.PEEK (``\\Seen`` untouched)."""
        result: dict[int, bytes] = {}
        for header, body in self._fetch(mailbox, "(UID BODY.PEEK[])"):
            uid = re.search(rb"UID (\d+)", header)
            if uid and body is not None:
                result[int(uid.group(1))] = body
        return result

    def _fetch(self, mailbox: str, items: str) -> list[tuple[bytes, bytes | None]]:
        with self._session() as client:
            # EXAMINE on every call: read-only (no flag changes) and a fresh view of the box.
            status, data = client.select(_quote(mailbox), readonly=True)
            if status != "OK":
                raise RuntimeError(f"EXAMINE {mailbox} failed: {data!r}")
            if int(_as_bytes(data[0]) or b"0") == 0:
                return []
            status, data = client.uid("FETCH", "1:*", items)
        out: list[tuple[bytes, bytes | None]] = []
        for item in data:
            if isinstance(item, tuple):
                out.append((item[0], item[1]))
            elif isinstance(item, bytes) and item not in (b")",):
                out.append((item, None))
        return out


#: Servers started and not yet stopped, so an interrupted test run does not leave them behind.
_RUNNING: weakref.WeakSet[ImapTestServer] = weakref.WeakSet()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        server.stop()


def _quote(mailbox: str) -> str:
    return mailbox if re.fullmatch(r"[A-Za-z0-9._/-]+", mailbox) else f'"{mailbox}"'


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, tuple):
        return b" ".join(_as_bytes(item) for item in value)
    return str(value).encode() if value is not None else b""


def _logout(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):
        client.logout()
