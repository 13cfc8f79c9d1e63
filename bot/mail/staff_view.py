"""The Telegram side of the mail bridge: what staff see of LKPP's mail, and their buttons.

This module only renders and sends: what a button decides (SOP steps, mail state) is done by
:mod:`bot.mail.replies`, which knows nothing of Telegram.

Everything here runs after the database committed, and what it posts is driven by the
database, not by memory: a reply or a quarantined email is posted when its ``posted_at`` is
empty (:meth:`StaffView.flush`), so a crash or a Telegram outage delays a notice but never loses
it.

Buttons (``bot.callbacks`` prefixes):

* ``m:k:<reply id>:<class>`` confirms or corrects the class of an LKPP reply and applies its
  step (4, 6, 12/14, 13);
* ``m:f:<reply id>`` passes LKPP's data request (step 7) or solution (step 13) with LKPP's files
  to the user;
* ``q:a:<email id>`` asks which ticket a quarantined email belongs to (staff reply with the
  number); ``q:x:<email id>`` discards it.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from telegram import Bot, ForceReply, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    ApplicationHandlerStop,
)

from bot.callbacks import Prefix, pack, unpack
from bot.context import BotContext, by_of
from bot.domain.errors import DomainError
from bot.domain.sop import LkppReplyClass
from bot.domain.ticket import normalise_number
from bot.guards import anonymous, in_staff_chat, refuse_anonymous
from bot.mail.parsing import parse_message
from bot.mail.replies import MailReplies, Outcome, can_forward
from bot.mail.staff_outbox import FILE_KIND, REPLY_KIND, MailKinds
from bot.notify import Keyboard
from bot.outbox.edits import edit_message
from bot.outbox.notifier import QueuedNotifier
from bot.outbox.pacing import Priority
from bot.outbox.queue import queue_of
from bot.stale_buttons import answer_stale
from bot.storage.mail import NOISE, QUARANTINED, InboxRow, MailStore, OutboxRow, ReplyRow
from bot.storage.mail_telegram import MailTelegramStore
from bot.storage.telegram import MessageMap

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MAIL_PREFIX, QUARANTINE_PREFIX = Prefix.MAIL, Prefix.QUARANTINE
#: The kind under which reply notices are remembered in the message map.
NOTICE_KIND = "surel_lkpp"
#: Longest part of an email shown in the group (Telegram splits longer messages anyway).
SHOWN_CHARS = 3000
_CODES = {
    "g": LkppReplyClass.GUIDE,
    "d": LkppReplyClass.DATA_REQUEST,
    "p": LkppReplyClass.PROGRESS,
    "s": LkppReplyClass.SOLVED,
}


def _short(text: str, limit: int = SHOWN_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _rows(buttons: Keyboard) -> list[list[list[str]]]:
    return [[[label, data] for label, data in row] for row in buttons]


class StaffView:
    """Posts mail notices to the staff group and handles their buttons.

    Args:
        services: The bot's services.
        bot: The Application's bot (tests may pass one talking to a local Bot API server).
    """

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self.queue = queue_of(services)
        self.notifier = QueuedNotifier(self.queue)
        self.shown = MailTelegramStore(services.db)
        self.store = MailStore(services.db)
        self.messages = MessageMap(services.db)
        self.replies = MailReplies(services)

    @property
    def texts(self) -> Any:
        return self.services.texts

    def install(self) -> None:
        """Let the outbox send the mail rows; the handlers are added by :mod:`bot.registration`."""
        sender = self.services.sender
        if sender is not None:
            MailKinds(self.services, self.bot).add_to(sender)

    # --- posting ---------------------------------------------------------------------------
    async def flush(self) -> int:
        """Post every reply, quarantined email and bounce staff have not seen; return count."""
        posted = 0
        now = self.services.clock
        for reply in await self.store.unposted_replies():
            give_up = self.store.mark_reply_posted(reply.id, None, None, now())
            if await self._guard(self.post_reply(reply), give_up, f"reply {reply.id}"):
                posted += 1
        for row in await self.store.unposted_inbox():
            give_up = self.store.mark_inbox_posted(row.id, now())
            if await self._guard(self.post_inbox(row), give_up, f"email {row.id}"):
                posted += 1
        return posted

    async def _guard(
        self, work: Coroutine[Any, Any, None], give_up: Coroutine[Any, Any, None], what: str
    ) -> bool:
        """Run ``work``; a refusal by Telegram is final (``give_up``), other errors retry."""
        try:
            await work
        except (BadRequest, Forbidden):
            log.exception("Telegram refused the notice for %s; not retried", what)
            await give_up
            return False
        except Exception:
            log.exception("posting %s failed; retried on the next pass", what)
            give_up.close()
            return False
        give_up.close()
        return True

    async def _card_reply_to(self, ticket_id: int | None) -> int | None:
        if ticket_id is None:
            return None
        card = await self.messages.card(ticket_id)
        if card is None or card[0] != self.services.settings.staff_chat_id:
            return None
        return card[1]

    def reply_html(self, reply: ReplyRow, number: str, files: int) -> str:
        cls = LkppReplyClass(reply.confirmed_class or reply.proposed_class)
        return self.texts.render(
            "surel_balasan",
            nomor=number,
            dari=reply.from_addr,
            subjek=reply.subject,
            diterima=reply.received_at,
            teks=_short(reply.reply_text or reply.full_text) or "-",
            lampiran=files,
            by_tag=reply.by_tag
            and reply.confirmed_class is not None
            and not reply.confirmed_by_name,
            dikonfirmasi=reply.confirmed_class is not None,
            kelas=self.texts.plain_msg(f"surel_kelas.{cls.value}"),
            oleh=reply.confirmed_by_name,
            kata=", ".join(reply.matched[:5]),
            gagal=reply.action_error,
            diteruskan=reply.forwarded_at is not None,
        )

    def reply_buttons(self, reply: ReplyRow) -> Keyboard:
        if reply.confirmed_class is None:
            label = self.texts.plain_msg
            row = [
                (label(f"surel_tombol.{cls.value}"), pack(MAIL_PREFIX, "k", reply.id, code))
                for code, cls in _CODES.items()
            ]
            return [row[:2], row[2:]]
        if can_forward(reply):
            return [[(self.texts.plain_msg("surel_tombol.teruskan"),
                      pack(MAIL_PREFIX, "f", reply.id))]]  # fmt: skip
        return []

    async def post_reply(self, reply: ReplyRow) -> None:
        """Queue an LKPP reply under its ticket's card, then LKPP's files, marked posted at once.

        The reader never waits for Telegram: the outbox delivers them, records the notice's
        message id (for its buttons) and each file's Telegram id once sent.
        """
        ticket = await self.services.tickets.get_by_id(reply.ticket_id)
        number = ticket.number if ticket else str(reply.ticket_id)
        files = await self.store.files(reply.id)
        html = self.reply_html(reply, number, len(files))
        async with self.services.db.transaction():
            first = await self.queue.add(
                self.queue.staff_chat, REPLY_KIND,
                {"html": html, "buttons": _rows(self.reply_buttons(reply)), "reply": reply.id,
                 "reply_card": True, "remember": NOTICE_KIND},
                Priority.EDIT, ticket_id=reply.ticket_id,
            )  # fmt: skip
            for file in files:
                if file.telegram_file_id:
                    continue
                await self.queue.add(
                    self.queue.staff_chat, FILE_KIND,
                    {"file": file.id, "caption": number, "reply_row": first,
                     "remember": NOTICE_KIND},
                    Priority.EDIT, ticket_id=reply.ticket_id,
                )  # fmt: skip
            await self.shown.mark_reply_queued(reply.id, self.services.clock())

    async def post_inbox(self, row: InboxRow) -> None:
        """Queue a quarantined email (with ``q:`` buttons) or a bounce of our own mail."""
        number = None
        if row.ticket_id is not None:
            ticket = await self.services.tickets.get_by_id(row.ticket_id)
            number = ticket.number if ticket else None
        html, buttons = None, None
        if row.state == NOISE:
            html = self.texts.render("surel_pantulan", nomor=number, alasan=row.reason or "-",
                                     dari=row.from_addr, subjek=row.subject)  # fmt: skip
        elif row.state == QUARANTINED:
            html, buttons = self.quarantine_html(row), self.quarantine_buttons(row)
        async with self.services.db.transaction():
            if html is not None:
                await self.queue.staff(
                    html, buttons, Priority.EDIT, ticket_id=row.ticket_id,
                    reply_card=row.ticket_id is not None,
                )  # fmt: skip
            await self.shown.mark_inbox_queued(row.id, self.services.clock())

    def quarantine_html(self, row: InboxRow) -> str:
        reason = row.reason or "-"
        key = f"surel_karantina.{reason}"
        parsed = parse_message(row.raw, max_bytes=self.services.settings.mail_max_message_bytes)
        return self.texts.render(
            "surel_karantina",
            id=row.id,
            alasan=self.texts.plain_msg(key) if self.texts.has(key) else reason,
            dari=row.from_addr,
            subjek=row.subject,
            diterima=row.received_at,
            masalah=", ".join(row.problems),
            teks=_short(parsed.reply_text or parsed.text, 1500) or "-",
        )

    def quarantine_buttons(self, row: InboxRow) -> Keyboard:
        label = self.texts.plain_msg
        return [[(label("surel_tombol.lampirkan"), pack(QUARANTINE_PREFIX, "a", row.id)),
                 (label("surel_tombol.buang"), pack(QUARANTINE_PREFIX, "x", row.id))]]  # fmt: skip

    # --- outbox alerts (OutboxAlerts) ------------------------------------------------------
    async def outbox_overdue(self, row: OutboxRow, number: str, now: datetime) -> None:
        html = self.texts.render(
            "surel_antrean", nomor=number, jenis=self.texts.plain_msg(f"surel_jenis.{row.kind}"),
            sejak=row.created_at, lama=now - row.created_at, percobaan=row.attempts,
            galat=row.last_error,
        )  # fmt: skip
        await self.notifier.staff(html, ticket_id=row.ticket_id, reply_card=True,
                                  priority=Priority.ALERT)  # fmt: skip

    async def outbox_rejected(self, row: OutboxRow, number: str) -> None:
        html = self.texts.render(
            "surel_ditolak", nomor=number, jenis=self.texts.plain_msg(f"surel_jenis.{row.kind}"),
            galat=row.last_error or "-",
        )  # fmt: skip
        async with self.services.db.transaction():  # the group and the admins, or none
            await self.notifier.staff(html, ticket_id=row.ticket_id, reply_card=True,
                                      priority=Priority.ALERT)  # fmt: skip
            await self.notifier.admins(html)

    # --- buttons ---------------------------------------------------------------------------
    def _from_staff(self, update: Update) -> bool:
        return in_staff_chat(update, self.services)

    async def on_mail_button(self, update: Update, context: BotContext) -> None:
        query = update.callback_query
        if query is None:
            return
        if not self._from_staff(update):  # mail buttons exist only in the staff group
            await answer_stale(update, context)
            return
        _, parts = unpack(query.data or "")
        try:
            verb, reply_id = parts[0], int(parts[1])
            reply = await self.store.reply(reply_id)
        except (IndexError, ValueError):
            reply = None
        if reply is None:
            await answer_stale(update, context)
            return
        by = by_of(update)
        try:
            if verb == "k" and len(parts) > 2 and parts[2] in _CODES:
                cls = _CODES[parts[2]]
                outcome = await self.replies.confirm(reply, cls, by)
                kelas = self.texts.plain_msg(f"surel_kelas.{cls.value}")
                text = self.texts.msg("surel_staf.kelas_dikonfirmasi", kelas=kelas,
                                      oleh=by.name or "-")  # fmt: skip
            elif verb == "f":
                outcome = await self.replies.forward(reply, by)
                text = self.texts.msg("surel_staf.diteruskan", oleh=by.name or "-")
            else:
                await query.answer()
                return
        except DomainError as exc:
            await query.answer(Markup(self.texts.error(exc)).unescape()[:200], show_alert=True)
            return
        if outcome is Outcome.ALREADY_HANDLED:
            text = self.texts.msg("surel_staf.sudah_diproses", id=reply.id)
        await query.answer(Markup(text).unescape()[:200])
        await self._refresh(reply.id)

    async def _refresh(self, reply_id: int) -> None:
        """Redraw a reply notice after a button changed it."""
        reply = await self.store.reply(reply_id)
        if reply is None or reply.staff_message_id is None or reply.staff_chat_id is None:
            return
        ticket = await self.services.tickets.get_by_id(reply.ticket_id)
        number = ticket.number if ticket else str(reply.ticket_id)
        files = await self.store.files(reply.id)
        try:  # queued in the group (it counts in its budget); in a private chat made now
            await edit_message(
                self.services, self.bot, reply.staff_chat_id, reply.staff_message_id,
                self.reply_html(reply, number, len(files)), self.reply_buttons(reply),
            )  # fmt: skip
        except BadRequest:
            log.warning("could not redraw notice of reply %s", reply_id, exc_info=True)

    async def on_quarantine_button(self, update: Update, context: BotContext) -> None:
        query = update.callback_query
        if query is None:
            return
        if not self._from_staff(update):
            await answer_stale(update, context)
            return
        _, parts = unpack(query.data or "")
        try:
            verb, inbox_id = parts[0], int(parts[1])
        except (IndexError, ValueError):
            await answer_stale(update, context)
            return
        row = await self.store.inbox(inbox_id)
        if row is None or row.state != QUARANTINED:
            await query.answer(self.texts.plain_msg("surel_staf.sudah_diproses", id=inbox_id))
            return
        by = by_of(update)
        if verb == "x":
            if await self.replies.discard(inbox_id, by) is Outcome.ALREADY_HANDLED:
                await query.answer(self.texts.plain_msg("surel_staf.sudah_diproses", id=inbox_id))
                return
            text = self.texts.msg("surel_staf.dibuang", id=inbox_id, oleh=by.name or "-")
            await query.answer()
            await self.notifier.staff(text, reply_to=query.message.message_id
                                      if query.message else None)  # fmt: skip
            return
        if verb == "a":
            await query.answer()
            prompt = await self.bot.send_message(
                self.services.settings.staff_chat_id,
                self.texts.msg("surel_staf.tanya_nomor", id=inbox_id),
                reply_markup=ForceReply(selective=False),
            )
            await self.store.set_prompt(inbox_id, prompt.chat_id, prompt.message_id)

    async def on_number_reply(self, update: Update, context: BotContext) -> None:
        """A staff reply to our "which ticket?" question attaches the quarantined email."""
        message = update.effective_message
        if message is None or message.reply_to_message is None:
            return
        inbox_id = await self.store.inbox_by_prompt(
            message.chat_id, message.reply_to_message.message_id
        )
        if inbox_id is None:
            return  # not our question: the staff-reply handler takes it
        if anonymous(update):
            await refuse_anonymous(update, self.services)
        text = message.text or ""
        number = normalise_number(text)
        if number is None:
            await self.notifier.staff(self.texts.msg("surel_staf.nomor_salah", teks=text[:50]),
                                      reply_to=message.message_id)  # fmt: skip
            raise ApplicationHandlerStop
        by = by_of(update)
        try:
            outcome = await self.replies.attach(inbox_id, number, by)
        except DomainError as exc:
            answer = self.texts.error(exc)
        else:
            answer = (
                self.texts.msg("surel_staf.dilampirkan", id=inbox_id, nomor=number,
                               oleh=by.name or "-")
                if outcome is Outcome.DONE
                else self.texts.msg("surel_staf.sudah_diproses", id=inbox_id)
            )  # fmt: skip
        await self.notifier.staff(answer, reply_to=message.message_id)
        await self.flush()
        raise ApplicationHandlerStop
