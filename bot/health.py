"""Probes of everything the bot depends on: one line each for ``check`` and ``/kesehatan``."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aioimaplib
import aiosmtplib
from telegram import Bot
from telegram.error import TelegramError

from bot.config import MailSecurity, Settings
from bot.storage.db import Database
from bot.storage.migrations import MIGRATIONS

PROBE_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class ProbeResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def tls_context(ca_file: object) -> ssl.SSLContext:
    """Default verification, also trusting ``ca_file`` (an LPSE mail server with its own CA)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=str(ca_file))
    return context


async def probe_database(settings: Settings) -> ProbeResult:
    db = Database(settings.db_path)
    await db.open()
    try:
        version = await db.version()
        latest = MIGRATIONS[-1].version if MIGRATIONS else 0
        if version < latest:
            return ProbeResult("database", False, f"{settings.db_path} versi {version}, "
                               f"perlu migrate ke {latest}")  # fmt: skip
        count = await db.fetchval("SELECT COUNT(*) FROM tickets")
        return ProbeResult("database", True, f"{settings.db_path} versi {version}, {count} tiket")
    finally:
        await db.close()


async def probe_telegram(settings: Settings) -> ProbeResult:
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
    )
    try:
        async with bot:
            me = await bot.get_me()
            chat = await bot.get_chat(settings.staff_chat_id)
        return ProbeResult("telegram", True, f"@{me.username}, grup staf „{chat.title}”")
    except TelegramError as exc:
        return ProbeResult("telegram", False, str(exc))


async def probe_smtp(settings: Settings) -> ProbeResult:
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_security is MailSecurity.TLS,
        start_tls=settings.smtp_security is MailSecurity.STARTTLS,
        tls_context=tls_context(settings.smtp_ca_file)
        if settings.smtp_security is not MailSecurity.NONE
        else None,
        timeout=PROBE_TIMEOUT,
    )
    await client.connect()
    try:
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            await client.login(settings.smtp_username, password)
        await client.noop()
    finally:
        client.close()
    return ProbeResult("smtp", True, f"{settings.smtp_host}:{settings.smtp_port}")


async def probe_imap(settings: Settings) -> ProbeResult:
    if settings.imap_security is MailSecurity.TLS:
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
            settings.imap_host, settings.imap_port,
            ssl_context=tls_context(settings.imap_ca_file), timeout=PROBE_TIMEOUT,
        )  # fmt: skip
    else:
        client = aioimaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=PROBE_TIMEOUT)
    await client.wait_hello_from_server()
    if settings.imap_security is MailSecurity.STARTTLS:
        await client.starttls(tls_context(settings.imap_ca_file))
    try:
        response = await client.login(
            settings.imap_username, settings.imap_password.get_secret_value()
        )
        if response.result != "OK":
            return ProbeResult("imap", False, "login ditolak")
        response = await client.select(settings.imap_mailbox)
        if response.result != "OK":
            return ProbeResult("imap", False, f"folder {settings.imap_mailbox} tidak ada")
        idle = client.has_capability("IDLE")
    finally:
        await client.logout()
    return ProbeResult(
        "imap", True, f"{settings.imap_host}:{settings.imap_port} {settings.imap_mailbox}"
        f"{' (IDLE)' if idle else ''}",
    )  # fmt: skip


async def _guarded(name: str, probe: Callable[[], Awaitable[ProbeResult]]) -> ProbeResult:
    try:
        return await asyncio.wait_for(probe(), PROBE_TIMEOUT + 5)
    except TimeoutError:
        return ProbeResult(name, False, "tidak menjawab (timeout)")
    except Exception as exc:  # a probe must report, never crash the check
        return ProbeResult(name, False, f"{type(exc).__name__}: {exc}")


async def run_probes(settings: Settings) -> list[ProbeResult]:
    probes: list[tuple[str, Callable[[], Awaitable[ProbeResult]]]] = [
        ("database", lambda: probe_database(settings)),
        ("telegram", lambda: probe_telegram(settings)),
        ("smtp", lambda: probe_smtp(settings)),
        ("imap", lambda: probe_imap(settings)),
    ]
    return list(await asyncio.gather(*(_guarded(name, probe) for name, probe in probes)))
