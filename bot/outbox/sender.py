"""The one task that delivers the Telegram outbox, lane by lane, within Telegram's limits.

Each chat is a lane with at most one message in flight, so a lane keeps its order and one
chat's backlog never delays another: private chats never wait behind the staff group. Each
round reads the head of every lane (most urgent class first, then oldest) under the database's
write lock, so it only ever sees committed rows, asks :mod:`bot.outbox.pacing` whether the lane
may send now, and claims what may go (``sending``) in that same short transaction.

A send ends in its own short transaction: ``sent`` with Telegram's message id, plus whatever
the kind records with it (the ticket's message map, a card's id). A kill between the claim and
that commit is the only way a message can go out twice: the row is found ``sending`` at start
and sent again.

A 429 pauses only its lane for ``retry_after``. The Application's bot has no rate limiter that
could pause everything (:class:`~bot.outbox.direct.DirectSendMeter` only counts direct sends).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.outbox.pacing import OverallBucket, Priority, is_group, lane_wait, retry_delay
from bot.outbox.queue import EDIT, FILE, TEXT, TelegramQueue
from bot.storage.telegram import MessageMap
from bot.storage.telegram_outbox import OutRow, TelegramOutboxStore

if TYPE_CHECKING:
    from bot.outbox.incidents import Incidents
    from bot.outbox.pacing import Limits

log = logging.getLogger(__name__)

OUTBOX_CALL = "outbox"
"""``rate_limit_args`` of the sender's own calls: the direct-send meter leaves them alone."""
IDLE_SECONDS = 1.0
"""Longest sleep between rounds when nothing is due (a new row wakes the sender at once)."""
STOP_SECONDS = 3.0
"""How long a stop waits for the sends in flight (a cancelled one is sent again at start)."""
MAX_ATTEMPTS = 8
"""Failed tries (network errors, Telegram refusing) before a message is given up."""
RETRY_BASE = timedelta(seconds=1)
"""First wait after a failed try; doubled each time up to ``OUTBOX_RETRY_MAX_SECONDS``."""
THEN = "lalu"
"""Payload key: a message (``chat_id``, ``html``, ``reply_to``) queued once the row is sent."""
IF_BLOCKED = "bila_diblokir"
"""Payload key: a message queued when the row's private chat refuses the bot (never started,
or blocked), e.g. telling the group how to start the bot."""
PRUNE_EVERY = timedelta(hours=1)
KEEP_SENT = timedelta(days=2)

SendFn = Callable[[OutRow], Awaitable["Message | None"]]
"""Sends one row; returns the message Telegram made (``None`` when nothing had to be sent)."""
SentFn = Callable[[OutRow, "Message | None"], Awaitable[None]]
"""Records what a kind needs once its row is sent, in the transaction that marks it sent."""
PickFn = Callable[[OutRow, datetime], Awaitable[OutRow]]
"""Chooses what a lane's head becomes (new cards announced together as one message)."""

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def outbox_args(bot: Bot) -> dict[str, Any]:
    """Marks the sender's calls for the direct-send meter (only a bot with a limiter takes it)."""
    return {"rate_limit_args": OUTBOX_CALL} if getattr(bot, "rate_limiter", None) else {}


def markup(rows: Any) -> InlineKeyboardMarkup | None:
    """The stored keyboard (rows of ``[label, data]``) as Telegram's markup."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds (read from the timedelta PTB keeps, without its deprecation
    warning about the attribute's future type)."""
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(exc.retry_after)  # type: ignore[arg-type]


@dataclass(slots=True)
class Kind:
    send: SendFn
    sent: SentFn | None = None


class Sender:
    """Delivers queued rows; components add their own kinds (cards, LKPP's files).

    Args:
        queue: The queue it drains (its store, clock and wake-up event).
        bot: The Application's bot.
        limits: Telegram's limits from the settings.
        incidents: Who is told when a message cannot be delivered or the group moved.
    """

    def __init__(
        self, queue: TelegramQueue, bot: Bot, limits: Limits, incidents: Incidents
    ) -> None:
        self.queue = queue
        self.bot = bot
        self.limits = limits
        self.incidents = incidents
        self.store: TelegramOutboxStore = queue.store
        self.messages = MessageMap(queue.services.db)
        self.kinds: dict[str, Kind] = {
            TEXT: Kind(self._send_text),
            FILE: Kind(self._send_file),
            EDIT: Kind(self._send_edit),
        }
        self.pickers: dict[str, PickFn] = {}
        self.before_round: list[Callable[[datetime], Awaitable[None]]] = []
        self._flying: dict[int, asyncio.Task[None]] = {}
        self._paused: dict[int, datetime] = {}
        self._last: dict[int, datetime] = {}
        self._bucket = OverallBucket(limits.overall_per_second)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._pruned: datetime | None = None

    def add_kind(self, name: str, send: SendFn, sent: SentFn | None = None) -> None:
        self.kinds[name] = Kind(send, sent)

    def add_text_kind(self, name: str, sent: SentFn) -> None:
        """A kind sent as text whose ``sent`` records the message (queued with ``kind=name``)."""
        self.add_kind(name, self._send_text, sent)

    # --- the task -----------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            recovered = await self.store.recover()
            if recovered:
                log.warning(
                    "%d Telegram messages were in flight at a crash: sent again", recovered
                )
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name="telegram-outbox")

    async def stop(self) -> None:
        """Stop taking rows, let the sends in flight finish (bounded), then end."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True  # ends the loop even if a cancellation were lost
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=STOP_SECONDS)
            if not done:
                log.error("Telegram outbox task did not stop in %s s", STOP_SECONDS)
        flying = list(self._flying.values())
        if flying:
            _, pending = await asyncio.wait(flying, timeout=STOP_SECONDS)
            for stuck in pending:
                stuck.cancel()
            if pending:
                await asyncio.wait(pending, timeout=STOP_SECONDS)

    async def run(self) -> None:
        """Round after round until stopped; a new row or a finished send wakes it early.

        The sleep is ``asyncio.timeout`` around the wake-up event, not ``asyncio.wait_for``:
        on Python 3.11, ``wait_for`` returns normally when the event fires in the same loop
        iteration as the task's cancellation (a send finishing while the bot stops), so the
        cancellation was lost and ``stop`` waited for this loop forever.
        """
        while not self._stopping:
            self.queue.woken.clear()
            try:
                wait = await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Telegram outbox round failed")
                wait = IDLE_SECONDS
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self.queue.woken.wait()

    async def drain(self, seconds: float = 30.0) -> None:
        """Wait until nothing is queued or in flight (tests, the benchmark, a clean shutdown)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            if not self._flying and not (await self.store.backlog()).waiting:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("Telegram outbox not drained")

    # --- one round ----------------------------------------------------------------------------
    async def round(self) -> float:
        """Claim and start every send that may go now; return seconds until the next look."""
        now = self.queue.clock()
        if self._pruned is None or now - self._pruned > PRUNE_EVERY:
            self._pruned = now
            await self.store.prune(now - KEEP_SENT)
        wait = IDLE_SECONDS
        async with self.queue.services.db.transaction():
            for prepare in self.before_round:
                await prepare(now)
            heads = [h for h in await self.store.lane_heads() if h.chat_id not in self._flying]
            heads.sort(key=lambda h: (h.priority, h.id))
            groups = [h.chat_id for h in heads if is_group(h.chat_id)]
            windows = await self.store.sent_since(groups, now - self.limits.group_window)
            for head in heads:
                if head.next_attempt_at > now:
                    wait = min(wait, (head.next_attempt_at - now).total_seconds())
                    continue
                recent = windows.get(head.chat_id) or []
                sent = [at for at, _ in recent] or (
                    [self._last[head.chat_id]] if head.chat_id in self._last else []
                )
                new_sent = [at for at, cls in recent if cls == Priority.NEW]
                lane = lane_wait(
                    head.chat_id, Priority(min(head.priority, Priority.NEW)), sent, now,
                    self.limits, self._paused.get(head.chat_id), new_sent,
                )  # fmt: skip
                if lane > timedelta(0):
                    wait = min(wait, lane.total_seconds())
                    continue
                overall = self._bucket.wait(now)
                if overall > timedelta(0):
                    wait = min(wait, overall.total_seconds())
                    break
                row = head
                picker = self.pickers.get(head.kind)
                if picker is not None:
                    row = await picker(head, now)
                await self.store.claim(row.id, now)
                self._bucket.spend(now)
                self._last[row.chat_id] = now
                self._flying[row.chat_id] = asyncio.create_task(
                    self._deliver(row), name=f"telegram-send-{row.id}"
                )
        return max(wait, 0.005)

    # --- one send -----------------------------------------------------------------------------
    async def _deliver(self, row: OutRow) -> None:
        try:
            await self._attempt(row)
        except Exception:
            log.exception("Telegram outbox row %s: bookkeeping failed", row.id)
        finally:
            self._flying.pop(row.chat_id, None)
            self.queue.wake()

    async def _attempt(self, row: OutRow) -> None:
        db = self.queue.services.db
        kind = self.kinds.get(row.kind)
        if kind is None:
            async with db.transaction():
                await self.store.fail(row.id, f"unknown kind {row.kind}")
            log.error("Telegram outbox row %s has an unknown kind %r", row.id, row.kind)
            return
        try:
            message = await kind.send(row)
        except RetryAfter as exc:
            until = self.queue.clock() + timedelta(seconds=retry_seconds(exc))
            self._paused[row.chat_id] = until
            log.warning("chat %s: flood control, lane paused until %s", row.chat_id, until)
            async with db.transaction():
                await self.store.retry(row.id, until, str(exc), count_attempt=False)
            return
        except ChatMigrated as exc:
            await self.incidents.migrated(row.chat_id, exc.new_chat_id)
            async with db.transaction():
                await self.store.retry(row.id, self.queue.clock(), str(exc), count_attempt=False)
            return
        except Forbidden as exc:
            await self._unreachable(row, exc)
            return
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                await self._unreachable(row, exc)
            else:
                await self._give_up(row, exc)
            return
        except TelegramError as exc:  # network errors, timeouts, Telegram's 5xx
            await self._later(row, exc)
            return
        except Exception as exc:  # a bug in a kind must not drop the message
            log.exception("Telegram outbox row %s (%s) failed", row.id, row.kind)
            await self._later(row, exc)
            return
        now = self.queue.clock()
        async with db.transaction():
            await self.store.mark_sent(row.id, message.message_id if message else None, now)
            remember = row.payload.get("remember")
            if message is not None and remember and row.ticket_id is not None:
                await self.messages.remember_in(
                    message.chat_id, message.message_id, row.ticket_id, remember, now
                )
            if kind.sent is not None:
                await kind.sent(row, message)
            await self._follow(row.payload.get(THEN))
        if is_group(row.chat_id):
            self.incidents.reachable(row.chat_id)

    async def _later(self, row: OutRow, exc: BaseException) -> None:
        if row.attempts >= MAX_ATTEMPTS:
            await self._give_up(row, exc)
            return
        settings = self.queue.services.settings
        delay = retry_delay(
            row.attempts,
            RETRY_BASE,
            timedelta(seconds=settings.outbox_retry_max_seconds),
        )
        log.warning("Telegram message %s to %s not sent (%s): retry in %s", row.id,
                    row.chat_id, exc, delay)  # fmt: skip
        async with self.queue.services.db.transaction():
            await self.store.retry(row.id, self.queue.clock() + delay, repr(exc))

    async def _give_up(self, row: OutRow, exc: BaseException) -> None:
        log.error("Telegram message %s to %s given up: %s", row.id, row.chat_id, exc)
        async with self.queue.services.db.transaction():
            await self.store.fail(row.id, repr(exc))
            await self.incidents.undeliverable(row, str(exc))

    async def _unreachable(self, row: OutRow, exc: TelegramError) -> None:
        """Forbidden or chat not found: a user blocked the bot, or the bot left a group."""
        if is_group(row.chat_id):
            await self.incidents.group_unreachable(row.chat_id, str(exc))
            await self._later(row, exc)
            return
        async with self.queue.services.db.transaction():
            await self.store.fail(row.id, repr(exc))
            dropped = await self.store.fail_lane(row.chat_id, "diblokir")
            await self._follow(row.payload.get(IF_BLOCKED))
        log.warning("chat %s blocked the bot: %d more messages dropped", row.chat_id, dropped)
        await self.incidents.user_blocked(row)

    async def _follow(self, follow: dict[str, Any] | None) -> None:
        """Queue the message a row asked for once it was sent (``THEN``) or refused
        (``IF_BLOCKED``), in the transaction that records the outcome."""
        if follow:
            await self.queue.text(
                int(follow["chat_id"]), follow["html"], reply_to=follow.get("reply_to")
            )

    # --- the built-in kinds ---------------------------------------------------------------------
    async def reply_target(self, row: OutRow) -> ReplyParameters | None:
        """Where the row replies: a message id, the ticket's card, or another row's message."""
        payload = row.payload
        target = payload.get("reply_to")
        if target is None and payload.get("reply_card") and row.ticket_id is not None:
            card = await self.messages.card(row.ticket_id)
            target = card[1] if card is not None and card[0] == row.chat_id else None
        if target is None and payload.get("reply_row"):
            other = await self.store.get(payload["reply_row"])
            target = other.message_id if other is not None else None
        return ReplyParameters(target, allow_sending_without_reply=True) if target else None

    async def _send_text(self, row: OutRow) -> Message:
        return await self.bot.send_message(
            row.chat_id,
            row.payload["html"],
            reply_markup=markup(row.payload.get("buttons")),
            reply_parameters=await self.reply_target(row),
            link_preview_options=_NO_PREVIEW,
            protect_content=True if row.payload.get("protect") else None,
            **outbox_args(self.bot),
        )

    async def _send_file(self, row: OutRow) -> Message | None:
        payload = row.payload
        reply = await self.reply_target(row)
        document: Any = payload.get("file_id")
        if document is None:
            content = await asyncio.to_thread(_read, payload.get("path"))
            if content is None:
                log.warning("file %s of row %s is gone: not sent", payload.get("path"), row.id)
                return None
            document = InputFile(content, filename=payload.get("filename"))
        senders: list[Callable[..., Awaitable[Message]]] = [
            self.bot.send_document,
            self.bot.send_photo,
        ]
        if payload.get("photo") and isinstance(document, str):
            senders.reverse()
        for index, send in enumerate(senders if isinstance(document, str) else senders[:1]):
            try:
                return await send(
                    row.chat_id, document, caption=payload.get("caption"),
                    reply_parameters=reply, **outbox_args(self.bot),
                )  # fmt: skip
            except BadRequest as exc:  # a photo's file id is no document, nor the reverse
                if index == len(senders) - 1 or "chat not found" in str(exc).lower():
                    raise
        return None

    async def _send_edit(self, row: OutRow) -> Message | None:
        """Edit a message in place: its text and keyboard, or (without ``html``) the keyboard.

        An edit that changes nothing, or of a message gone or too old to edit, is done: the
        message it meant to change no longer matters, and no admin needs to hear of it.
        """
        payload = row.payload
        where = {"chat_id": row.chat_id, "message_id": payload["message_id"]}
        buttons = markup(payload.get("buttons"))
        try:
            if "html" in payload:
                result = await self.bot.edit_message_text(
                    payload["html"], **where, reply_markup=buttons,
                    link_preview_options=_NO_PREVIEW, **outbox_args(self.bot),
                )  # fmt: skip
            else:
                result = await self.bot.edit_message_reply_markup(
                    **where, reply_markup=buttons, **outbox_args(self.bot)
                )
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return None
            if "message to edit not found" in reason or "can't be edited" in reason:
                log.info("Telegram edit %s of a message gone: %s", row.id, exc)
                return None
            raise
        return result if isinstance(result, Message) else None


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    file = Path(path)
    return file.read_bytes() if file.is_file() else None
