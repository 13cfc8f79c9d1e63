"""The Telegram side of the mail bridge: what staff see of LKPP's mail, and their buttons.

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
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.callbacks import pack, unpack
from bot.domain.errors import DomainError
from bot.domain.sop import Action, Actor, LkppReplyClass
from bot.domain.ticket import normalise_number
from bot.guards import anonymous, refuse_anonymous
from bot.mail.ingest import Ingestor
from bot.mail.parsing import parse_message
from bot.mail.staff_outbox import FILE_KIND, REPLY_KIND, SENDER_KEY, MailKinds
from bot.notify import Keyboard
from bot.outbox.edits import edit_message
from bot.outbox.notifier import QueuedNotifier
from bot.outbox.pacing import Priority
from bot.outbox.queue import queue_of
from bot.stale_buttons import answer_stale
from bot.storage.mail import NOISE, QUARANTINED, InboxRow, MailStore, OutboxRow, ReplyRow
from bot.storage.mail_telegram import MailTelegramStore
from bot.storage.telegram import MessageMap
from bot.workflow import By

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.services import Services

log = logging.getLogger(__name__)

MAIL_PREFIX, QUARANTINE_PREFIX = "m", "q"
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
_CODE_OF = {cls: code for code, cls in _CODES.items()}
_PASS = {
    LkppReplyClass.DATA_REQUEST: Action.PASS_REQUEST_TO_USER,
    LkppReplyClass.SOLVED: Action.PASS_SOLUTION_TO_USER,
}


def _short(text: str, limit: int = SHOWN_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _rows(buttons: Keyboard) -> list[list[list[str]]]:
    return [[[label, data] for label, data in row] for row in buttons]


def _by(update: Update) -> By:
    user = update.effective_user
    return By(user.id, user.full_name) if user else By()


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
        self.ingestor = Ingestor(services)

    @property
    def texts(self) -> Any:
        return self.services.texts

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the ``m:``/``q:`` button handlers and the reply-with-number handler."""
        sender = self.services.extras.get(SENDER_KEY)
        if sender is not None:
            MailKinds(self.services, self.bot).add_to(sender)
        application.add_handler(
            CallbackQueryHandler(self.on_mail_button, pattern=rf"^{MAIL_PREFIX}:")
        )
        application.add_handler(
            CallbackQueryHandler(self.on_quarantine_button, pattern=rf"^{QUARANTINE_PREFIX}:")
        )
        # Group -1: before the staff-reply handler, which would take the answer for a ticket.
        application.add_handler(
            MessageHandler(
                filters.Chat(self.services.settings.staff_chat_id) & filters.REPLY & filters.TEXT,
                self.on_number_reply,
            ),
            group=-1,
        )

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
        cls = LkppReplyClass(reply.confirmed_class)
        if cls in _PASS and reply.forwarded_at is None:
            return [[(self.texts.plain_msg("surel_tombol.teruskan"),
                      pack(MAIL_PREFIX, "f", reply.id))]]  # fmt: skip
        return []

    async def post_reply(self, reply: ReplyRow) -> None:
        """Queue an LKPP reply under its ticket's card, then LKPP's files, marked posted at once.

        The reader never waits for Telegram: the outbox delivers them, records the notice's
        message id (for its buttons) and each file's Telegram id once sent.
        """
        ticket = await self.services.workflow.store.get_by_id(reply.ticket_id)
        number = ticket.number if ticket else str(reply.ticket_id)
        files = await self.store.files(reply.id)
        html = self.reply_html(reply, number, len(files))
        async with self.services.db.transaction() as conn:
            first = await self.queue.add(
                conn, self.queue.staff_chat, REPLY_KIND,
                {"html": html, "buttons": _rows(self.reply_buttons(reply)), "reply": reply.id,
                 "reply_card": True, "remember": NOTICE_KIND},
                Priority.EDIT, ticket_id=reply.ticket_id,
            )  # fmt: skip
            for file in files:
                if file.telegram_file_id:
                    continue
                await self.queue.add(
                    conn, self.queue.staff_chat, FILE_KIND,
                    {"file": file.id, "caption": number, "reply_row": first,
                     "remember": NOTICE_KIND},
                    Priority.EDIT, ticket_id=reply.ticket_id,
                )  # fmt: skip
            await self.shown.mark_reply_queued(conn, reply.id, self.services.clock())

    async def post_inbox(self, row: InboxRow) -> None:
        """Queue a quarantined email (with ``q:`` buttons) or a bounce of our own mail."""
        number = None
        if row.ticket_id is not None:
            ticket = await self.services.workflow.store.get_by_id(row.ticket_id)
            number = ticket.number if ticket else None
        html, buttons = None, None
        if row.state == NOISE:
            html = self.texts.render("surel_pantulan", nomor=number, alasan=row.reason or "-",
                                     dari=row.from_addr, subjek=row.subject)  # fmt: skip
        elif row.state == QUARANTINED:
            html, buttons = self.quarantine_html(row), self.quarantine_buttons(row)
        async with self.services.db.transaction() as conn:
            if html is not None:
                await self.queue.staff(
                    conn, html, buttons, Priority.EDIT, ticket_id=row.ticket_id,
                    reply_card=row.ticket_id is not None,
                )  # fmt: skip
            await self.shown.mark_inbox_queued(conn, row.id, self.services.clock())

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
        async with self.services.db.transaction() as conn:
            await self.notifier.staff(html, ticket_id=row.ticket_id, reply_card=True,
                                      priority=Priority.ALERT, conn=conn)  # fmt: skip
            await self.notifier.admins(html, conn=conn)

    # --- buttons ---------------------------------------------------------------------------
    def _from_staff(self, update: Update) -> bool:
        chat = update.effective_chat
        return chat is not None and chat.id == self.services.settings.staff_chat_id

    async def on_mail_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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
        try:
            if verb == "k" and len(parts) > 2 and parts[2] in _CODES:
                text = await self.confirm(reply, _CODES[parts[2]], _by(update))
            elif verb == "f":
                text = await self.forward(reply, _by(update))
            else:
                await query.answer()
                return
        except DomainError as exc:
            await query.answer(Markup(self.texts.error(exc)).unescape()[:200], show_alert=True)
            return
        await query.answer(Markup(text).unescape()[:200])
        await self._refresh(reply.id)

    async def confirm(self, reply: ReplyRow, cls: LkppReplyClass, by: By) -> str:
        """Staff confirm or correct the class: apply its step and record who decided."""
        workflow = self.services.workflow
        ticket = await workflow.store.get_by_id(reply.ticket_id)
        assert ticket is not None
        async with workflow.transaction() as conn:
            current = await self.store.reply(reply.id)
            if current is None or current.confirmed_class is not None:
                return self.texts.msg("surel_staf.sudah_diproses", id=reply.id)
            assert cls.action is not None and ticket.id is not None
            files = [f.as_attachment(ticket.id) for f in await self.store.files(reply.id)]
            await workflow.apply_in(
                conn, ticket.number, cls.action, Actor.LKPP, by,
                details={"message_id": reply.message_id, "dikonfirmasi_staf": True,
                         "text": reply.reply_text},
                attachments=files if cls in _PASS else None,
            )  # fmt: skip
            await self.store.confirm(conn, reply.id, cls.value, by.id, by.name,
                                     self.services.clock())  # fmt: skip
        kelas = self.texts.plain_msg(f"surel_kelas.{cls.value}")
        return self.texts.msg("surel_staf.kelas_dikonfirmasi", kelas=kelas, oleh=by.name or "-")

    async def forward(self, reply: ReplyRow, by: By) -> str:
        """Pass LKPP's request (step 7) or solution (step 13) and files to the user."""
        workflow = self.services.workflow
        ticket = await workflow.store.get_by_id(reply.ticket_id)
        assert ticket is not None and ticket.id is not None
        files = await self.store.files(reply.id)
        attachments = [f.as_attachment(ticket.id) for f in files]
        async with workflow.transaction() as conn:
            current = await self.store.reply(reply.id)
            if current is None or current.forwarded_at is not None or not current.confirmed_class:
                return self.texts.msg("surel_staf.sudah_diproses", id=reply.id)
            action = _PASS.get(LkppReplyClass(current.confirmed_class))
            if action is None:
                return self.texts.msg("surel_staf.sudah_diproses", id=reply.id)
            await workflow.apply_in(
                conn, ticket.number, action, Actor.STAFF, by,
                details={"text": current.reply_text or current.full_text or "-",
                         "message_id": current.message_id},
                attachments=attachments,
            )  # fmt: skip
            await self.store.mark_forwarded(conn, reply.id, self.services.clock())
        return self.texts.msg("surel_staf.diteruskan", oleh=by.name or "-")

    async def _refresh(self, reply_id: int) -> None:
        """Redraw a reply notice after a button changed it."""
        reply = await self.store.reply(reply_id)
        if reply is None or reply.staff_message_id is None or reply.staff_chat_id is None:
            return
        ticket = await self.services.workflow.store.get_by_id(reply.ticket_id)
        number = ticket.number if ticket else str(reply.ticket_id)
        files = await self.store.files(reply.id)
        try:  # queued in the group (it counts in its budget); in a private chat made now
            await edit_message(
                self.services, self.bot, reply.staff_chat_id, reply.staff_message_id,
                self.reply_html(reply, number, len(files)), self.reply_buttons(reply),
            )  # fmt: skip
        except BadRequest:
            log.warning("could not redraw notice of reply %s", reply_id, exc_info=True)

    async def on_quarantine_button(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
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
        by = _by(update)
        if verb == "x":
            await self.store.discard(inbox_id, self.services.clock())
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

    async def on_number_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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
        try:
            await self.ingestor.attach(inbox_id, number, _by(update))
        except LookupError:
            answer = self.texts.msg("surel_staf.sudah_diproses", id=inbox_id)
        except DomainError as exc:
            answer = self.texts.error(exc)
        else:
            answer = self.texts.msg("surel_staf.dilampirkan", id=inbox_id, nomor=number,
                                    oleh=_by(update).name or "-")  # fmt: skip
        await self.notifier.staff(answer, reply_to=message.message_id)
        await self.flush()
        raise ApplicationHandlerStop
