"""Opening an IMAP session: TLS or STARTTLS, login, select. One place for reader and probe.

The inbox reader (:mod:`bot.mail.inbox`) and the health check (:mod:`bot.health`) must agree on
how the bot reaches the LPSE mailbox, or ``/kesehatan`` could say OK for a connection the reader
cannot make. Both call :func:`open_session`.
"""

from __future__ import annotations

import asyncio
import contextlib

import aioimaplib

from bot.config import MailSecurity, Settings
from bot.mail.tls import tls_context

LOGOUT_SECONDS = 5.0
"""How long a polite LOGOUT may take before the connection is simply left."""


class ImapError(Exception):
    """The server answered NO/BAD, or something we cannot read.

    Attributes:
        command: The IMAP command that was refused (``LOGIN``, ``SELECT``, …), so callers can
            tell a wrong password from a missing folder without parsing the message.
    """

    def __init__(self, message: str, command: str = "") -> None:
        super().__init__(message)
        self.command = command


def check(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    """``response`` if the server said OK; :class:`ImapError` naming ``what`` otherwise."""
    if response.result != "OK":
        raise ImapError(f"{what}: {response.result} {response.lines!r}"[:500], what)
    return response


async def logout(client: aioimaplib.IMAP4) -> None:
    """LOGOUT if the server still answers; a dead connection is not an error here."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.logout(), LOGOUT_SECONDS)


async def starttls(client: aioimaplib.IMAP4, settings: Settings) -> None:
    """STARTTLS by hand: aioimaplib has no helper for it."""
    protocol = client.protocol
    assert protocol is not None
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    check(await protocol.execute(command), "STARTTLS")
    loop = asyncio.get_running_loop()
    transport = await loop.start_tls(
        protocol.transport, protocol, tls_context(settings.imap_ca_file),
        server_hostname=settings.imap_host,
    )  # fmt: skip
    protocol.transport = transport
    await protocol.capability()


async def open_session(
    settings: Settings, seconds: float, *, create: str | None = None
) -> aioimaplib.IMAP4:
    """Connect as ``IMAP_SECURITY`` says, log in and select ``IMAP_MAILBOX``.

    Args:
        settings: Server, security, CA file, account and mailbox.
        seconds: How long each IMAP command may take.
        create: A folder to create before selecting (the reader's processed folder); a NO
            because it already exists is fine. The health probe passes nothing: a check
            changes nothing on the server.

    Raises:
        ImapError: The server refused STARTTLS, LOGIN or SELECT (see ``command``).
        OSError: No connection, or the TLS handshake failed (``ssl.SSLError``).
        TimeoutError: The server did not answer within ``seconds``.
    """
    if settings.imap_security is MailSecurity.TLS:
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
            settings.imap_host, settings.imap_port,
            ssl_context=tls_context(settings.imap_ca_file), timeout=seconds,
        )  # fmt: skip
    else:
        client = aioimaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=seconds)
    try:
        await client.wait_hello_from_server()
        if settings.imap_security is MailSecurity.STARTTLS:
            await starttls(client, settings)
        check(
            await client.login(settings.imap_username, settings.imap_password.get_secret_value()),
            "LOGIN",
        )
        if create:
            await client.create(create)
        check(await client.select(settings.imap_mailbox), "SELECT")
    except BaseException:
        await logout(client)
        raise
    return client
