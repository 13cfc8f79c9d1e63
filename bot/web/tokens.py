"""Signed one-time login links and session tokens: pure functions, no I/O.

A link token is ``<user id>.<expiry, Unix seconds>.<nonce>.<signature>``, the signature an
HMAC-SHA256 over the first three parts with ``WEB_SECRET``. The signature makes a forged or
edited link fail before the database is asked; the nonce, stored when the link was issued, makes
it single-use. Built on the standard library's ``hmac`` and ``secrets``: the whole scheme is
these few lines, and ``hmac.compare_digest`` keeps the comparison constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

_PURPOSE = b"dasbor-tautan-v1"


class BadToken(ValueError):
    """The token is malformed or its signature does not match (a forged or damaged link)."""


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a correctly signed link says."""

    user_id: int
    expires_at: datetime
    nonce: str


def _signature(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, _PURPOSE + b"|" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_link(secret: bytes, user_id: int, expires_at: datetime, nonce: str | None = None) -> str:
    """A link token for ``user_id`` valid until ``expires_at`` (a fresh nonce unless given)."""
    nonce = nonce or secrets.token_urlsafe(18)
    payload = f"{user_id}.{int(expires_at.timestamp())}.{nonce}"
    return f"{payload}.{_signature(secret, payload)}"


def read_link(secret: bytes, token: str) -> LinkClaim:
    """Check the signature and split the token; expiry and single use are the caller's.

    Raises:
        BadToken: Not a token this secret signed.
    """
    parts = token.strip().split(".")
    if len(parts) != 4 or len(token) > 200:
        raise BadToken("malformed")
    user, expires, nonce, signature = parts
    if not hmac.compare_digest(_signature(secret, f"{user}.{expires}.{nonce}"), signature):
        raise BadToken("signature")
    try:
        return LinkClaim(int(user), datetime.fromtimestamp(int(expires), UTC), nonce)
    except (ValueError, OverflowError, OSError):
        raise BadToken("malformed") from None


def new_session_token() -> str:
    """The cookie value of a new session: 256 random bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()
