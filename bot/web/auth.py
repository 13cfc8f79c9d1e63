"""Who may see the dashboard: one-time links from ``/dasbor``, sessions, staff membership.

* A link is issued only to a staff-group member or an admin, bound to that Telegram user,
  valid ``LINK_MINUTES``, single use (:mod:`bot.web.tokens` signs it, the database spends it).
* A session lasts ``WEB_SESSION_HOURS``. Every request checks that its owner is still staff:
  ``getChatMember`` on the staff group, cached ``WEB_MEMBERSHIP_CACHE_MINUTES``, so someone
  removed from the group is locked out at their next request after the cache runs out, without a
  Telegram call per page.
* Bad links from one address are counted: after ``THROTTLE_FAILURES`` in ``THROTTLE_WINDOW``
  that address is refused without looking at its links until the window has passed.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NoReturn

from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.config import Settings
from bot.storage.web_sessions import WebSession, WebSessionStore
from bot.web.tokens import BadToken, new_session_token, read_link, sign_link, token_hash

log = logging.getLogger(__name__)

LINK_MINUTES = 10
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=10)
_MEMBER = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
)

#: ``getChatMember`` on the staff group: the member's status, ``is_member`` for restricted ones.
MemberLookup = Callable[[int], Awaitable[tuple[str, bool]]]


class Refusal(StrEnum):
    """Why a link opened no session; each has its own Indonesian page."""

    FORGED = "palsu"
    EXPIRED = "kedaluwarsa"
    USED = "terpakai"
    NOT_STAFF = "bukan_staf"
    THROTTLED = "terlalu_sering"


class LinkRefused(Exception):
    def __init__(self, reason: Refusal, retry_after: int = 0) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.retry_after = retry_after


class Throttle:
    """Counts bad links per address over a sliding window."""

    def __init__(
        self, failures: int = THROTTLE_FAILURES, window: timedelta = THROTTLE_WINDOW
    ) -> None:
        self.failures = failures
        self.window = window
        self._seen: dict[str, deque[datetime]] = {}

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        times = self._seen.setdefault(address, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._seen[address]
            return deque()
        return times

    def retry_after(self, address: str, now: datetime) -> int:
        """Seconds until ``address`` may try again; 0 when it may now."""
        times = self._recent(address, now)
        if len(times) < self.failures:
            return 0
        return max(1, int((times[0] + self.window - now).total_seconds()) + 1)

    def failed(self, address: str, now: datetime) -> None:
        self._recent(address, now)
        self._seen.setdefault(address, deque()).append(now)


@dataclass(slots=True)
class _Known:
    member: bool
    checked_at: datetime


class Membership:
    """Is this Telegram user staff now? Admins always are; others by the staff group, cached."""

    def __init__(self, settings: Settings, lookup: MemberLookup) -> None:
        self.admins = frozenset(settings.admin_user_ids)
        self.ttl = timedelta(minutes=settings.web_membership_cache_minutes)
        self.lookup = lookup
        self._cache: dict[int, _Known] = {}

    def forget(self, user_id: int) -> None:
        self._cache.pop(user_id, None)

    async def is_staff(self, user_id: int, now: datetime) -> bool:
        if user_id in self.admins:
            return True
        known = self._cache.get(user_id)
        if known is not None and now - known.checked_at < self.ttl:
            return known.member
        try:
            status, is_member = await self.lookup(user_id)
        except TelegramError as exc:
            # Telegram unreachable: keep the last answer (fail closed without one) and ask again
            # at the next request.
            log.warning("staff membership of %s unknown: %s", user_id, exc)
            return known.member if known is not None else False
        member = status in _MEMBER or (status == ChatMemberStatus.RESTRICTED and is_member)
        self._cache[user_id] = _Known(member, now)
        return member


@dataclass(frozen=True, slots=True)
class Opened:
    """A session just opened: the cookie value goes to the browser, nowhere else."""

    token: str
    user_name: str
    expires_at: datetime


class Gate:
    """Issues links, turns them into sessions, and answers "who is this request?"."""

    def __init__(
        self,
        settings: Settings,
        store: WebSessionStore,
        membership: Membership,
        throttle: Throttle | None = None,
    ) -> None:
        assert settings.web_secret is not None
        self.secret = settings.web_secret.get_secret_value().encode()
        self.session_length = timedelta(hours=settings.web_session_hours)
        self.base_url = settings.web_base_url
        self.store = store
        self.membership = membership
        self.throttle = throttle or Throttle()

    async def issue(self, user_id: int, user_name: str, now: datetime) -> str:
        """A new one-time login URL for the user (recorded, so it can be spent once)."""
        expires = now + timedelta(minutes=LINK_MINUTES)
        token = sign_link(self.secret, user_id, expires)
        nonce = token.split(".")[2]
        await self.store.add_link(nonce, user_id, user_name, now, expires)
        return f"{self.base_url}/masuk?t={token}"

    def check_throttle(self, address: str, now: datetime) -> None:
        wait = self.throttle.retry_after(address, now)
        if wait:
            raise LinkRefused(Refusal.THROTTLED, wait)

    async def inspect(self, token: str, address: str, now: datetime) -> None:
        """Whether the link would open a session now, without spending it (the GET page).

        Raises:
            LinkRefused: Forged, expired, used, or the owner is no longer staff.
        """
        self.check_throttle(address, now)
        try:
            claim = read_link(self.secret, token)
        except BadToken:
            self._fail(address, now, Refusal.FORGED)
        state = await self.store.link_state(claim.nonce, claim.user_id)
        if state is None:
            self._fail(address, now, Refusal.FORGED)
        if state[0] is not None:
            self._fail(address, now, Refusal.USED)
        if claim.expires_at <= now:
            self._fail(address, now, Refusal.EXPIRED)

    async def redeem(self, token: str, address: str, user_agent: str, now: datetime) -> Opened:
        """Spend the link and open a session.

        Raises:
            LinkRefused: As :meth:`inspect`; the link is spent only when a session opens.
        """
        await self.inspect(token, address, now)
        claim = read_link(self.secret, token)
        if not await self.membership.is_staff(claim.user_id, now):
            raise LinkRefused(Refusal.NOT_STAFF)
        session = new_session_token()
        expires = now + self.session_length
        name = await self.store.redeem(
            claim.nonce, claim.user_id, now, address, token_hash(session), expires, user_agent
        )
        if name is None:  # spent by a concurrent request between inspect and here
            self._fail(address, now, Refusal.USED)
        log.info("dashboard session opened for user %s from %s", claim.user_id, address)
        return Opened(session, name, expires)

    def _fail(self, address: str, now: datetime, reason: Refusal) -> NoReturn:
        self.throttle.failed(address, now)
        log.warning("dashboard link refused (%s) from %s", reason.value, address)
        raise LinkRefused(reason)

    async def session(self, token: str | None, now: datetime) -> WebSession | None:
        """The live session of this cookie whose owner is still staff; ``None`` otherwise."""
        if not token or len(token) > 100:
            return None
        found = await self.store.session(token_hash(token), now)
        if found is None:
            return None
        if not await self.membership.is_staff(found.user_id, now):
            await self.store.end_for_user(found.user_id, now)
            log.info("dashboard sessions of %s ended: no longer staff", found.user_id)
            return None
        return found

    async def logout(self, token: str, now: datetime) -> None:
        await self.store.end(token_hash(token), now)
