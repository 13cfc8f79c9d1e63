"""Probes of everything the bot depends on: one line each for ``check`` and ``/kesehatan``.

A probe returns a :class:`ProbeResult` that names a catalog message
(``staf_kesehatan.rincian.*`` in ``locales/id/staf.toml``) and its values instead of finished
text, so the operator's terminal and the staff group give the same reason in the same words.
Probes run concurrently under one deadline (:func:`run_probes`): a mail server that never
answers costs the report one "timeout" line, not the whole reply.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiosmtplib
from markupsafe import Markup
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot.clock import utc_now
from bot.config import MailSecurity, Settings
from bot.mail.imap_connect import ImapError, logout, open_session
from bot.mail.tls import tls_context
from bot.storage.backlog import mail_backlog
from bot.storage.datadir import StorageUnusable
from bot.storage.db import Database
from bot.storage.migrations import MIGRATIONS
from bot.storage.telegram_outbox import TelegramBacklog, TelegramOutboxStore
from bot.text import Texts

PROBE_TIMEOUT = 15.0
"""Seconds ``python -m bot check`` waits for the slowest probe."""
LATEST_VERSION = MIGRATIONS[-1].version if MIGRATIONS else 0
STALE_SWEEPS = 3
"""The deadline sweep is late once this many intervals passed without one finishing."""
MIN_STALE = timedelta(minutes=1)
TELEGRAM_STUCK = timedelta(minutes=5)
"""The Telegram outbox is stuck once its oldest message waits this long (the staff group's
budget drains any burst of the SOP's messages well within it)."""
"""…but never sooner than this: a sweep that sends a digest may take a while."""

Probe = Callable[[], Awaitable["ProbeResult"]]

#: Cancelled probes that are still cleaning up (a polite IMAP LOGOUT): kept referenced so the
#: event loop does not drop them half-way, and so the report never waits for them.
_ABANDONED: set[asyncio.Future[ProbeResult]] = set()


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One line of the report.

    Attributes:
        name: What was checked: ``telegram``, ``smtp``, ``imap``, ``database``,
            ``scheduler``, ``outbox`` or ``inbox`` (also the catalog key of its label).
        ok: ``True`` working, ``False`` broken, ``None`` not checkable here (the scheduler
            from the command line, where the bot is not running).
        key: The message under ``staf_kesehatan.rincian`` that says why.
        values: The message's variables.
    """

    name: str
    ok: bool | None
    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def detail(self, texts: Texts) -> str:
        """The reason as HTML (user text escaped), for the staff group."""
        return texts.msg(f"staf_kesehatan.rincian.{self.key}", **self.values)

    def line(self, texts: Texts) -> str:
        """The reason as one plain line for ``python -m bot check``."""
        status = {True: "OK  ", False: "FAIL", None: "n/a "}[self.ok]
        return f"{status} {self.name}: {Markup(self.detail(texts)).unescape()}"


def failure(name: str, exc: BaseException, seconds: float) -> ProbeResult:
    """The result for a probe that raised, sorted into reasons a person can act on."""
    values = {"pesan": str(exc) or type(exc).__name__, "jenis": type(exc).__name__}
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        key = "tls"
    elif isinstance(exc, TimeoutError | TimedOut):
        key = "timeout"
    elif isinstance(exc, InvalidToken):
        key = "token"
    elif isinstance(exc, aiosmtplib.SMTPAuthenticationError) or (
        isinstance(exc, ImapError) and exc.command == "LOGIN"
    ):
        key = "login"
    elif isinstance(exc, OSError) or (
        isinstance(exc, NetworkError) and type(exc) is NetworkError  # not BadRequest & co.
    ):
        key = "koneksi"
    else:
        key = "galat"
    return ProbeResult(name, False, key, {**values, "detik": seconds})


# --- the probes ----------------------------------------------------------------------------------
async def probe_database(db: Database, *, integrity: bool = False) -> ProbeResult:
    """Schema version against the bot's migrations, ticket count, optionally ``quick_check``.

    Args:
        db: An open database.
        integrity: Also run ``PRAGMA quick_check``. It reads every page, so only the command
            line asks for it; in the running bot it would hold the one shared connection.
    """
    version = await db.version()
    values: dict[str, Any] = {"berkas": db.path, "versi": version, "terbaru": LATEST_VERSION}
    if version < LATEST_VERSION:
        return ProbeResult("database", False, "database_usang", values)
    if version > LATEST_VERSION:
        return ProbeResult("database", False, "database_baru", values)
    values["tiket"] = await db.fetchval("SELECT COUNT(*) FROM tickets")
    values["integritas"] = integrity
    if integrity:
        verdict = await db.fetchval("PRAGMA quick_check")
        if verdict != "ok":
            return ProbeResult("database", False, "database_rusak", {**values, "pesan": verdict})
    return ProbeResult("database", True, "database_ok", values)


async def probe_telegram(bot: Bot, staff_chat_id: int) -> ProbeResult:
    """``getMe``, and ``getChat`` of the staff group: the bot is known and still in the group.

    ``staff_chat_id`` is the id in use (stored in the database after a group upgrade).
    """
    me = await bot.get_me()
    chat = await bot.get_chat(staff_chat_id)
    return ProbeResult(
        "telegram", True, "telegram_ok", {"nama": me.username, "grup": chat.title, "id": chat.id}
    )


async def telegram_backlog(db: Database) -> TelegramBacklog:
    """Telegram messages not yet delivered: how many, the oldest's queue time, failed ones."""
    return await TelegramOutboxStore(db).backlog()


async def staff_chat_in_use(db: Database, configured: int) -> int:
    """The staff chat id the bot uses: the stored one after a group upgrade, else the setting."""
    stored = await TelegramOutboxStore(db).staff_chat()
    return configured if stored is None else stored


async def probe_telegram_outbox(
    db: Database, now: datetime, alert_after: timedelta
) -> ProbeResult:
    """Messages waiting for Telegram: broken once the oldest waits longer than ``alert_after``."""
    if await db.version() < LATEST_VERSION:
        return ProbeResult("telegram_keluar", False, "belum_migrate")
    backlog = await telegram_backlog(db)
    return backlog_result(
        "telegram_keluar", "telegram_antrean", backlog.waiting, backlog.oldest, backlog.failed,
        now, alert_after,
    )  # fmt: skip


def backlog_result(
    name: str,
    key: str,
    waiting: int,
    oldest: datetime | None,
    failed: int,
    now: datetime,
    alert_after: timedelta,
) -> ProbeResult:
    """A queue's line: empty, waiting (with the oldest's age), or stuck past ``alert_after``."""
    if not waiting or oldest is None:
        return ProbeResult(name, True, f"{key}_kosong", {"gagal": failed})
    age = max(now - oldest, timedelta(0))
    values = {"menunggu": waiting, "umur": age, "gagal": failed, "batas": alert_after}
    if age > alert_after:
        return ProbeResult(name, False, f"{key}_macet", values)
    return ProbeResult(name, True, f"{key}_ok", values)


async def probe_smtp(settings: Settings, seconds: float = PROBE_TIMEOUT) -> ProbeResult:
    """Connect (TLS/STARTTLS as configured), log in if an account is set, NOOP."""
    secure = settings.smtp_security is not MailSecurity.NONE
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_security is MailSecurity.TLS,
        start_tls=settings.smtp_security is MailSecurity.STARTTLS,
        tls_context=tls_context(settings.smtp_ca_file) if secure else None,
        timeout=seconds,
    )
    await client.connect()
    try:
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            await client.login(settings.smtp_username, password)
        await client.noop()
    finally:
        client.close()
    server = f"{settings.smtp_host}:{settings.smtp_port}"
    return ProbeResult("smtp", True, "smtp_ok",
                       {"server": server, "login": bool(settings.smtp_username)})  # fmt: skip


async def probe_imap(settings: Settings, seconds: float = PROBE_TIMEOUT) -> ProbeResult:
    """Open a session exactly as the inbox reader does, then log out; nothing is created."""
    server = f"{settings.imap_host}:{settings.imap_port}"
    folder = settings.imap_mailbox
    try:
        client = await open_session(settings, seconds)
    except ImapError as exc:
        if exc.command != "SELECT":
            raise
        return ProbeResult("imap", False, "folder", {"folder": folder, "pesan": str(exc)})
    try:
        idle = client.has_capability("IDLE")
    finally:
        await logout(client)
    return ProbeResult("imap", True, "imap_ok", {"server": server, "folder": folder, "idle": idle})


async def probe_outbox(db: Database, now: datetime, alert_after: timedelta) -> ProbeResult:
    """Emails waiting to go out: broken once the oldest waits longer than staff are alerted.

    Permanently refused emails are counted but do not fail the check: staff were told when
    it happened, and the row stays refused forever.
    """
    if await db.version() < LATEST_VERSION:
        return ProbeResult("outbox", False, "belum_migrate")
    backlog = await mail_backlog(db)
    return backlog_result(
        "outbox", "antrean", backlog.waiting, backlog.oldest_waiting, backlog.failed, now,
        alert_after,
    )  # fmt: skip


async def probe_quarantine(db: Database) -> ProbeResult:
    """Inbound mail held for staff; informative, never a failure of the bot."""
    if await db.version() < LATEST_VERSION:
        return ProbeResult("inbox", False, "belum_migrate")
    count = (await mail_backlog(db)).quarantined
    return ProbeResult("inbox", True, "karantina" if count else "karantina_kosong",
                       {"jumlah": count})  # fmt: skip


def sender_auth_result(settings: Settings) -> ProbeResult:
    """Whether LKPP's emails must pass the LPSE server's sender authentication.

    Off (``MAIL_TRUSTED_AUTHSERV_ID`` unset) is not a failure, since the bot still works, but
    the line says plainly that a forged "LKPP" email is then judged by its From address alone.
    """
    trusted = settings.mail_trusted_authserv_id
    if not trusted:
        return ProbeResult("pengirim", None, "autentikasi_mati")
    return ProbeResult("pengirim", True, "autentikasi_ok", {"server": trusted})


def scheduler_result(
    *,
    running: bool,
    scheduled: bool,
    last_sweep: datetime | None,
    started: datetime | None,
    now: datetime,
    interval: timedelta,
) -> ProbeResult:
    """Is the JobQueue alive and the deadline sweep finishing on time?

    Args:
        running: The JobQueue's scheduler runs.
        scheduled: The repeating sweep job exists and is enabled.
        last_sweep: When a scheduled sweep last finished; ``None`` if none yet.
        started: When the bot started (the first sweep may still be on its way).
        now: The bot's clock.
        interval: ``SWEEP_INTERVAL_SECONDS``.
    """
    if not running:
        return ProbeResult("scheduler", False, "penjadwal_mati")
    if not scheduled:
        return ProbeResult("scheduler", False, "penjadwal_tanpa_tugas")
    stale = max(interval * STALE_SWEEPS, MIN_STALE)
    if last_sweep is None:
        since = max(now - (started or now), timedelta(0))
        key = "penjadwal_menunggu" if since <= stale else "penjadwal_belum"
        return ProbeResult("scheduler", since <= stale, key, {"lalu": since})
    ago = max(now - last_sweep, timedelta(0))
    values = {"lalu": ago, "interval": interval}
    if ago > stale:
        return ProbeResult("scheduler", False, "penjadwal_terlambat", values)
    return ProbeResult("scheduler", True, "penjadwal_ok", values)


# --- running them --------------------------------------------------------------------------------
async def _guarded(name: str, probe: Probe, seconds: float) -> ProbeResult:
    try:
        return await probe()
    except Exception as exc:  # a probe must report, never crash the check
        return failure(name, exc, seconds)


async def run_probes(probes: Mapping[str, Probe], seconds: float) -> list[ProbeResult]:
    """Run every probe at once; one still busy after ``seconds`` reports a timeout.

    Late probes are cancelled but not awaited, so their clean-up (a LOGOUT to a server that
    stopped answering) never delays the report.

    Returns:
        One result per probe, in the order of ``probes``.
    """
    tasks = {name: asyncio.ensure_future(_guarded(name, p, seconds)) for name, p in probes.items()}
    done, pending = await asyncio.wait(tasks.values(), timeout=seconds)
    for task in pending:
        task.cancel()
        _ABANDONED.add(task)
        task.add_done_callback(_ABANDONED.discard)
    return [
        task.result() if task in done else failure(name, TimeoutError(), seconds)
        for name, task in tasks.items()
    ]


async def check_setup(settings: Settings, seconds: float = PROBE_TIMEOUT) -> list[ProbeResult]:
    """``python -m bot check``: every probe from a process of its own, the bot not running.

    The scheduler lives in the running bot only, so its line says where to look instead.
    """

    async def telegram() -> ProbeResult:
        bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.telegram_base_url,
            base_file_url=settings.telegram_base_file_url,
        )
        try:  # the id in use after a group upgrade, when the database can tell
            chat = await staff_chat_in_use(db, settings.staff_chat_id)
        except Exception:
            chat = settings.staff_chat_id
        async with bot:
            return await probe_telegram(bot, chat)

    alert_after = timedelta(minutes=settings.outbox_alert_minutes)
    servers: dict[str, Probe] = {
        "telegram": telegram,
        "smtp": lambda: probe_smtp(settings, seconds),
        "imap": lambda: probe_imap(settings, seconds),
    }
    db = Database(settings.db_path)
    try:
        await db.open()
    except StorageUnusable as exc:  # the servers are still worth checking
        results = await run_probes(servers, seconds)
        results += [
            ProbeResult("database", False, exc.key, exc.values),
            ProbeResult("outbox", None, "tanpa_database"),
            ProbeResult("inbox", None, "tanpa_database"),
            ProbeResult("telegram_keluar", None, "tanpa_database"),
        ]
    else:
        try:
            results = await run_probes(
                {
                    **servers,
                    "database": lambda: probe_database(db, integrity=True),
                    "outbox": lambda: probe_outbox(db, utc_now(), alert_after),
                    "inbox": lambda: probe_quarantine(db),
                    "telegram_keluar": lambda: probe_telegram_outbox(
                        db, utc_now(), TELEGRAM_STUCK
                    ),
                },
                seconds,
            )
        finally:
            await db.close()
    results.insert(4, ProbeResult("scheduler", None, "penjadwal_cli"))
    results.append(sender_auth_result(settings))
    return results
