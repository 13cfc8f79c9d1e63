"""Pytest fixtures for the local mail servers of :mod:`tests.support.mailservers`.

Registered as a plugin from ``tests/conftest.py``; test modules may also import the fixtures
explicitly (``from tests.support.mail_fixtures import smtp_server, imap_server``).

Both fixtures are function-scoped: every test gets an empty mailbox, an SMTP server without
rejection rules, and its own ports, so tests cannot leak state into one another.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from tests.support.mailservers import ImapTestServer, SmtpTestServer, imap_backend_from_env

__all__ = ["imap_server", "smtp_server"]


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A capturing SMTP server on 127.0.0.1 (AUTH PLAIN/LOGIN offered, not required).

    Credentials: ``smtp_server.user`` / ``smtp_server.password``. See
    :class:`~tests.support.mailservers.SmtpTestServer` for ``reject``, ``stop``/``restart``
    (outage) and ``wait_for``.
    """
    # aiosmtpd 1.4 itself sets the deprecated Session.login_data on every successful AUTH.
    warnings.filterwarnings(
        "ignore", message=r"Session\.login_data is deprecated", category=DeprecationWarning
    )
    server = SmtpTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_server() -> Iterator[ImapTestServer]:
    """A real IMAP server with user ``lpse`` and an empty INBOX.

    Dovecot when installed, else pymap; ``MAIL_TEST_IMAP=pymap`` (or ``dovecot``) forces one.
    """
    server = ImapTestServer(imap_backend_from_env())
    server.start()
    try:
        yield server
    finally:
        server.stop()
