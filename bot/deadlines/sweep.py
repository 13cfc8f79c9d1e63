"""The one repeating job that keeps every clock honest: select due rows, claim, act, notify.

No job per ticket lives in memory: the database is the schedule. Each run selects the rows whose
``wake_at`` has come through the ``deadlines_wake`` index and claims them in one short
transaction (with a lease, so a crash mid-sweep loses nothing), then acts on each row in its own
transaction (breach, notices and the workflow's status request commit together, exactly once),
then delivers the pending notices: each is queued in the Telegram outbox in the transaction
that marks it sent, so a crash never queues one nudge twice. Telegram allows a group 20
messages a minute: the sweeper keeps a per-minute budget across runs and, when more than a few
notices are pending, sends them as one digest; whatever does not fit waits in the database for
the next run, so nothing is dropped.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from telegram.error import TelegramError

from bot.context import services_of
from bot.deadlines.clocks import ClockKeeper
from bot.deadlines.nudges import RowActor, Tally
from bot.notify import Notifier, UserBlocked, split_html
from bot.outbox.notifier import QueuedNotifier
from bot.services import Services
from bot.storage.deadlines import Audience, DeadlineStore, Notice

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)


@dataclass(slots=True)
class SweepResult:
    """What one run did: rows claimed, actions taken, messages sent."""

    claimed: int = 0
    outcome: Tally = field(default_factory=Tally)
    messages: int = 0
    failed_rows: int = 0


class Sweeper:
    """Runs the sweep; keeps the per-chat send budget between runs.

    Args:
        services: The bot's services (clock, calendar, workflow, texts).
        notifier: Where messages go (the Application's bot, or a test double).
        batch: At most this many rows claimed per run; the rest wait for the next.
        lease: How long a claimed row is withheld from other runs.
        per_minute: Messages one chat may get from the sweeper in any minute.
        individual_max: Up to this many pending notices go out one by one (with their
            buttons); more become one digest.
    """

    def __init__(
        self,
        services: Services,
        notifier: Notifier | QueuedNotifier,
        *,
        batch: int = 1000,
        lease: timedelta = timedelta(minutes=5),
        per_minute: int = 20,
        individual_max: int = 3,
    ) -> None:
        self.services = services
        self.notifier = notifier
        self.batch = batch
        self.lease = lease
        self.per_minute = per_minute
        self.individual_max = individual_max
        self.store = DeadlineStore(services.db)
        self.keeper = ClockKeeper(services)
        self.actor = RowActor(services, self.keeper)
        self._sent: dict[str, deque[datetime]] = {}

    # --- select, claim, act ----------------------------------------------------------------
    async def claim(self, now: datetime) -> tuple[str, list[int]]:
        """Claim the due rows in one transaction; returns the claim token and the row ids."""
        token = uuid.uuid4().hex
        async with self.services.db.transaction():
            ids = await self.store.claim(now, now + self.lease, token, self.batch)
        return token, ids

    async def run(self) -> SweepResult:
        """One sweep: act on every due row exactly once, then send what is owed."""
        now = self.services.clock()
        result = SweepResult()
        token, ids = await self.claim(now)
        result.claimed = len(ids)
        for deadline_id in ids:
            try:
                async with self.services.workflow.transaction():
                    row = await self.store.claimed(deadline_id, token)
                    if row is not None:
                        await self.actor.act(row, now, result.outcome)
            except Exception:
                # The row stays claimed until its lease ends, then is tried again.
                result.failed_rows += 1
                log.exception("deadline %s: action failed, retried after the lease", deadline_id)
        result.messages = await self.deliver(now)
        if ids:
            log.info("sweep: %s", result)
        return result

    # --- delivery ----------------------------------------------------------------------------
    def budget(self, key: str, now: datetime) -> int:
        """Messages ``key`` may still get in the minute ending at ``now``."""
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - WINDOW:
            sent.popleft()
        return self.per_minute - len(sent)

    def _spend(self, key: str, now: datetime, count: int) -> None:
        self._sent.setdefault(key, deque()).extend([now] * count)

    async def send_staff(self, html: str, now: datetime) -> None:
        """Send one message to the staff group outside the digest (the briefing, a report).

        It counts against the group's budget, so the next sweep's digest leaves room for it.
        """
        await self.notifier.send(self.services.settings.staff_chat_id, html)
        self._spend("staf", now, len(split_html(html)))

    async def deliver(self, now: datetime) -> int:
        """Send pending notices within the budget; returns the number of Telegram messages."""
        settings = self.services.settings
        sent = await self._deliver(Audience.STAFF, "staf", [settings.staff_chat_id], now)
        sent += await self._deliver(Audience.ADMIN, "admin", settings.admin_user_ids, now)
        sent += await self._deliver_users(now)
        return sent

    async def _deliver(
        self, audience: Audience, key: str, chats: Sequence[int], now: datetime
    ) -> int:
        pending = await self.store.pending_notices(audience)
        if not pending:
            return 0
        if not chats:  # e.g. no admins configured: nothing to send them, nothing to keep
            await self.store.mark_sent([n.id for n in pending], now, error="tanpa_penerima")
            return 0
        budget = self.budget(key, now)
        if budget <= 0:
            return 0
        if len(pending) <= self.individual_max:
            messages: list[tuple[list[Notice], str, Any]] = [
                ([n], n.html, n.buttons) for n in pending
            ]
        else:
            chosen, html = self._digest(pending, budget, now)
            messages = [(chosen, html, None)]
        count = 0
        for notices, html, buttons in messages:
            parts = len(split_html(html))
            if parts > self.budget(key, now):
                break
            ids = [n.id for n in notices]
            if isinstance(self.notifier, QueuedNotifier):
                await self._queue(chats, html, buttons, ids, now)
            else:
                try:
                    for chat in chats:
                        await self._send(chat, html, buttons)
                except TelegramError as exc:
                    log.warning(
                        "deadline notices to %s not sent yet (%s): retried next sweep", key, exc
                    )
                    break
                await self.store.mark_sent(ids, now)
            self._spend(key, now, parts)
            count += parts * len(chats)
        return count

    async def _queue(
        self, chats: Sequence[int], html: str, buttons: Any, ids: list[int], now: datetime
    ) -> None:
        """Queue a notice for every chat and mark it sent, in one transaction.

        A crash (or an error) before the commit leaves the notice pending and nothing queued;
        after it, the outbox delivers the message: a nudge is never queued twice.
        """
        assert isinstance(self.notifier, QueuedNotifier)
        async with self.services.db.transaction():
            for chat in chats:
                await self.notifier.send(chat, html, buttons)
            await self.store.mark_sent_in(ids, now)

    async def _send(self, chat: int, html: str, buttons: Any) -> None:
        try:
            await self.notifier.send(chat, html, buttons=buttons)
        except UserBlocked:
            log.warning("chat %s blocked the bot: deadline notice not delivered there", chat)

    def _digest(
        self, pending: list[Notice], budget: int, now: datetime
    ) -> tuple[list[Notice], str]:
        """One digest of as many pending notices as fit in ``budget`` messages."""
        take = len(pending)
        while True:
            chosen = pending[:take]
            html = self.services.texts.render(
                "tenggat_ringkasan", waktu=now, jumlah=len(chosen),
                daftar=[Markup(n.line) for n in chosen],
            )  # fmt: skip
            parts = len(split_html(html))
            if parts <= budget or take == 1:
                return chosen, html
            take = max(1, min(take - 1, take * budget // parts))

    async def _deliver_users(self, now: datetime) -> int:
        """Reminders to users: one private message each, never digested.

        When the user side is installed its ``remind_data`` sends the reminder, with the
        "Kirim data" button that completes step 8 and its own handling of a blocked user;
        otherwise the reminder rendered here goes out as it is.
        """
        user_side = self.services.user_notifier
        count = 0
        for notice in await self.store.pending_notices(Audience.USER):
            if notice.chat_id is None:
                await self.store.mark_sent([notice.id], now, error="tanpa_chat")
                continue
            if user_side is not None:
                ticket = await self.services.tickets.get_by_id(notice.ticket_id)
                assert ticket is not None
                async with self.services.db.transaction():  # queued and marked at once
                    queued = await user_side.remind_data(ticket.number)
                    error = None if queued else "diblokir"
                    await self.store.mark_sent_in([notice.id], now, error=error)
                if not queued:
                    log.warning("user %s blocked the bot: reminder not queued", notice.chat_id)
                    continue
            elif isinstance(self.notifier, QueuedNotifier):
                await self._queue([notice.chat_id], notice.html, None, [notice.id], now)
            else:
                try:
                    await self.notifier.send(notice.chat_id, notice.html)
                except UserBlocked:
                    log.warning("user %s blocked the bot: reminder not delivered", notice.chat_id)
                    await self.store.mark_sent([notice.id], now, error="diblokir")
                    continue
                except TelegramError as exc:
                    log.warning("reminder to %s not sent yet (%s)", notice.chat_id, exc)
                    continue
                await self.store.mark_sent([notice.id], now)
            count += 1
        return count


def sweeper_of(services: Services) -> Sweeper:
    sweeper = services.sweeper
    if sweeper is None:
        raise RuntimeError("the deadlines component is not registered")
    return sweeper


async def sweep_job(context: Any) -> SweepResult:
    """The JobQueue callback; also callable directly with any object that has ``bot_data``."""
    services: Services = services_of(context)
    return await sweeper_of(services).run()
