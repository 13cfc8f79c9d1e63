"""The ticket card: one message per ticket in the staff group, edited in place as it moves.

The group should show each ticket's current state, not a stream of stale copies, so the card is
posted once (after the REPORT commits) and every later step edits it. Steps that staff did not
just do themselves (a user's message, the user's additional data, LKPP's mail, the bot's own
steps) also get a short notice under the card, so the group hears about them. Every message
posted about a ticket is remembered in :class:`~bot.storage.telegram.MessageMap`, so a staff
reply to any of them reaches the ticket's user.

Cards only render and send: which staff steps a card offers is the SOP's
(:func:`bot.domain.sop.allowed_actions`), and a step the bot takes by itself (step 9 when the
LPSE forwards users' data automatically) is the workflow's (:meth:`Workflow.automatic_step`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import Bot, LinkPreviewOptions, Message
from telegram.error import BadRequest

from bot.callbacks import TicketVerb, ticket_action
from bot.domain.sop import Action, Actor, State, allowed_actions, reply_takes_first
from bot.domain.ticket import Attachment, Ticket
from bot.notify import LIMIT, Keyboard, Notifier, keyboard
from bot.outbox.notifier import QueuedNotifier
from bot.outbox.pacing import Priority
from bot.outbox.queue import queue_of
from bot.outbox.sender import outbox_args
from bot.storage.drafts import DraftStore
from bot.storage.telegram import CARD, MessageMap
from bot.storage.telegram_outbox import OutRow
from bot.text import telegram_length
from bot.workflow import Applied

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

NOTICE = "pemberitahuan"
ATTACHMENT = "lampiran"
PROMPT = "balas"
SOLVE_PROMPT = "minta_catatan_selesai"
"""A "reply with the solution note" prompt: kept in the database so a restart keeps it."""
OLD_CARD = "kartu_lama"

DESCRIPTION_ON_CARD = 3000
"""Characters of the description the card shows; a longer one follows in full under it."""

#: Steps that get no notice: the card itself announces a report; the mail bridge posts LKPP's
#: email under the card and shows there how it was classified (with its own "Teruskan" button).
SILENT: frozenset[Action] = frozenset(
    {
        Action.REPORT,
        Action.LKPP_REPLY_RECEIVED,
        Action.LKPP_GUIDE,
        Action.LKPP_REQUEST_DATA,
        Action.LKPP_PROGRESS,
        Action.LKPP_SOLVED,
    }
)

#: Card buttons, in this order, for the staff actions the SOP allows in the ticket's state.
CARD_VERBS: dict[Action, TicketVerb] = {
    Action.TAKE: TicketVerb.TAKE,
    Action.REPLY_TO_USER: TicketVerb.REPLY,
    Action.SOLVE_LOCALLY: TicketVerb.SOLVE,
    Action.CANNOT_HANDLE: TicketVerb.CANNOT_HANDLE,
    Action.ESCALATE: TicketVerb.SEND_ESCALATION,
    Action.CANCEL_ESCALATION: TicketVerb.CANCEL_ESCALATION,
    Action.PASS_REQUEST_TO_USER: TicketVerb.PASS_REQUEST,
    Action.FORWARD_DATA: TicketVerb.FORWARD_DATA,
    Action.PASS_SOLUTION_TO_USER: TicketVerb.PASS_SOLUTION,
    Action.SET_PRIORITY: TicketVerb.PRIORITY,
}
#: Notice buttons: what staff typically do next after someone else's step.
NOTICE_VERBS: dict[Action, TicketVerb] = {Action.USER_SENDS_DATA: TicketVerb.FORWARD_DATA}

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def cards_of(services: Services) -> Cards:
    """The running :class:`Cards` (other components call ``refresh`` after recording a block)."""
    if services.cards is None:
        raise RuntimeError("the staff side is not registered")
    return services.cards


def event_text(details: dict[str, Any]) -> str | None:
    """The one detail that says most about a timeline line (the text, a reason, a level)."""
    for key in ("text", "reason", "priority", "rating", "judul", "kelas"):
        if details.get(key) not in (None, ""):
            return str(details[key])
    return None


def rows_of(buttons: list[tuple[str, str]], width: int = 2) -> list[list[tuple[str, str]]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


class Cards:
    """Renders, posts and edits ticket cards and the notices under them.

    Args:
        services: The shared services (texts, settings, workflow, database).
        bot: The Application's bot, rate-limited and with ``parse_mode=HTML``.
    """

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self.queue = queue_of(services)
        self.notifier = QueuedNotifier(self.queue)
        # The answer to a command just typed goes out at once (counted in the group's budget).
        self.direct = Notifier(bot, services.settings)
        self.messages = MessageMap(services.db)
        self.files = DraftStore(services.db, services.clock)  # attachments by event id
        # What each card shows now, so an unchanged card is not edited again: every edit
        # spends one of the staff group's 20 messages a minute. Lost on restart, which only
        # costs one "message is not modified" answer.
        self._shown: dict[int, tuple[int, int, str, str]] = {}

    @property
    def staff_chat(self) -> int:
        return self.services.settings.staff_chat_id

    # --- rendering -----------------------------------------------------------------------
    def label(self, verb: TicketVerb | str) -> str:
        """A button label (plain text: Telegram does not parse HTML in labels)."""
        return self.services.texts.plain_msg(f"staf_tombol.{verb}")

    def priority_name(self, key: str) -> str:
        """The level's display name; an unknown key (table edited since) is shown as is."""
        level = self.services.priorities.levels.get(key)
        return level.name if level is not None else key

    def status(self, state: State) -> str:
        return self.services.texts.plain_msg(f"status.{state.value}")

    async def deadline_text(self, ticket: Ticket) -> str | None:
        """The next running deadline, when the deadlines component is installed."""
        try:
            from bot.deadlines.clocks import next_deadline
        except ImportError:
            return None
        assert ticket.id is not None
        try:
            found = await next_deadline(self.services, ticket.id)
        except Exception:  # the card matters more than its deadline line
            log.exception("next deadline of %s unavailable", ticket.number)
            return None
        if found is None:
            return None
        texts = self.services.texts
        key = f"tenggat_jam_singkat.{found[0].value}"  # the deadlines component's clock names
        name = texts.plain_msg(key) if texts.has(key) else found[0].value
        return texts.plain_msg("staf_lampiran.tenggat", jam=name, waktu=texts.datetime(found[1]))

    def card_buttons(self, ticket: Ticket) -> Keyboard:
        """Buttons for the staff steps the SOP allows in the ticket's state, plus Detail."""
        allowed = set(allowed_actions(ticket.state, Actor.STAFF))
        if reply_takes_first(ticket.facts):
            allowed.add(Action.REPLY_TO_USER)
        verbs = [
            verb
            for action, verb in CARD_VERBS.items()
            if action in allowed and not (action is Action.TAKE and ticket.assignee_id)
        ]
        verbs.append(TicketVerb.DETAIL)
        buttons = [(self.label(v), ticket_action(v, ticket.number)) for v in verbs]
        extra = self.services.card_buttons
        return rows_of(buttons + (extra(ticket) if extra else []))

    async def similar(self, ticket: Ticket) -> list[Any]:
        """Similar entries and solved tickets, when the knowledge base is installed."""
        find = self.services.similar_for_card
        if find is None:
            return []
        try:
            return await find(ticket)
        except Exception:  # the card matters more than its suggestions
            log.exception("similar entries of %s unavailable", ticket.number)
            return []

    async def render(self, ticket: Ticket) -> tuple[str, Keyboard]:
        """The card's HTML (always within Telegram's limit, so it can be edited) and buttons."""
        blocked = await self.messages.is_blocked(ticket.user_chat_id)
        deadline = await self.deadline_text(ticket)
        similar = await self.similar(ticket)
        html = ""
        for room in (DESCRIPTION_ON_CARD, 1500, 500):
            html = self.services.texts.render(
                "staf_kartu",
                t=ticket,
                status=self.status(ticket.state),
                diblokir=blocked,
                prioritas=self.priority_name(ticket.priority),
                tenggat=deadline,
                uraian=ticket.description[:room],
                terpotong=len(ticket.description) > room,
                mirip=similar,
            )
            if telegram_length(html) <= LIMIT:  # as Telegram counts: an emoji is 2
                break
        return html, self.card_buttons(ticket)

    async def detail_html(self, ticket: Ticket) -> str:
        """The ``/tiket`` view: fields, attachment list and the timeline with SOP step numbers."""
        texts = self.services.texts
        assert ticket.id is not None
        events = await self.services.tickets.events(ticket.id)
        history = [
            {
                "at": event.at,
                "langkah": event.sop_step,
                "aksi": texts.plain_msg(f"aksi.{event.action.value}"),
                "pelaku": event.actor_name or texts.plain_msg(f"pelaku.{event.actor.value}"),
                "teks": event_text(event.details),
            }
            for event in events
        ]
        return texts.render(
            "staf_tiket",
            t=ticket,
            status=self.status(ticket.state),
            diblokir=await self.messages.is_blocked(ticket.user_chat_id),
            prioritas=self.priority_name(ticket.priority),
            riwayat=history,
        )

    async def send_detail(self, ticket: Ticket) -> None:
        """Details and full timeline (split if long), then the ticket's files under them."""
        html = await self.detail_html(ticket)
        async with self.services.db.transaction():
            first = await self.queue.staff(html, ticket_id=ticket.id, remember=NOTICE)
            for attachment in ticket.attachments:
                await self.queue_attachment(ticket, attachment, Priority.ACTION, first)

    async def remember(self, message: Message, ticket: Ticket, kind: str) -> None:
        """Map a directly sent ``message`` (a ForceReply prompt) to the ticket."""
        assert ticket.id is not None
        await self.messages.remember(
            message.chat_id, message.message_id, ticket.id, kind, self.services.clock()
        )

    # --- queueing (inside the step's transaction) -------------------------------------------
    async def queue_attachment(
        self,
        ticket: Ticket,
        attachment: Attachment,
        priority: Priority,
        under: int | None = None,
    ) -> None:
        """Queue a stored Telegram file under the card (or under row ``under``)."""
        if not attachment.telegram_file_id:
            return
        caption = self.services.texts.msg(
            "staf_lampiran.keterangan", nomor=ticket.number, nama=attachment.file_name
        )
        await self.queue.file(
            self.staff_chat, file_id=attachment.telegram_file_id,
            photo=(attachment.mime_type or "").startswith("image/"), caption=caption,
            priority=priority, ticket_id=ticket.id, remember=ATTACHMENT,
            reply_card=under is None, reply_row=under,
        )  # fmt: skip

    async def queue_new(self, ticket: Ticket) -> None:
        """Queue the card of a new report, its attachments, and a long description in full."""
        assert ticket.id is not None
        await self.queue.card(ticket.id, new=True)
        for attachment in ticket.attachments:
            await self.queue_attachment(ticket, attachment, Priority.NEW)
        if len(ticket.description) > DESCRIPTION_ON_CARD:
            html = self.services.texts.render("staf_uraian", t=ticket)
            await self.queue.staff(
                html, None, Priority.NEW, ticket_id=ticket.id, remember=NOTICE,
                reply_card=True,
            )  # fmt: skip

    async def post_missing(self) -> int:
        """Queue the card of every open ticket that has none (e.g. tickets from before the
        outbox, or a card Telegram refused for good); a card posted meanwhile is not repeated.
        """
        posted = 0
        for ticket in await self.services.tickets.open_tickets():
            assert ticket.id is not None
            if await self.messages.card(ticket.id) is None:
                full = await self.services.tickets.get_by_id(ticket.id)
                if full is not None and not await self.queue.store.has_queued_card(full.id):
                    async with self.services.db.transaction():
                        await self.queue_new(full)
                    posted += 1
        return posted

    async def refresh(self, ticket: Ticket) -> None:
        """Queue an edit of the card to the ticket's current state (pending edits collapse)."""
        assert ticket.id is not None
        async with self.services.db.transaction():
            await self.queue.card(ticket.id, new=False)

    async def refresh_number(self, number: str) -> None:
        """Refresh by ticket number, for components that hold only the number."""
        await self.refresh(await self.services.workflow.get(number))

    async def card_message_id(self, ticket: Ticket) -> int | None:
        """The card's id in the staff group, to post notices and drafts as replies to it."""
        assert ticket.id is not None
        where = await self.messages.card(ticket.id)
        return None if where is None or where[0] != self.staff_chat else where[1]

    async def queue_notice(self, applied: Applied) -> None:
        """A short notice under the card about a step staff did not just do here."""
        texts = self.services.texts
        ticket, step, details = applied.ticket, applied.step, applied.details
        new_files = await self.files.event_attachments(applied.event_id)
        priority = details.get("priority") if step.action is Action.SET_PRIORITY else None
        html = texts.render(
            "staf_pemberitahuan",
            nomor=ticket.number,
            aksi=texts.plain_msg(f"aksi.{step.action.value}"),
            nama=applied.by.name or texts.plain_msg(f"pelaku.{step.actor.value}"),
            langkah=step.sop_step,
            status=self.status(ticket.state),
            teks=details.get("text"),
            diedit=bool(details.get("diedit")),
            alasan=details.get("reason"),
            nilai=details.get("rating"),
            prioritas=self.priority_name(str(priority)) if priority else None,
            lampiran=len(new_files),
        )
        buttons: Keyboard | None = None
        verb = NOTICE_VERBS.get(step.action)
        if verb is not None and not self._bot_does_next(step.action):
            buttons = [[(self.label(verb), ticket_action(verb, ticket.number))]]
        first = await self.queue.staff(
            html, buttons, Priority.EDIT, ticket_id=ticket.id, remember=NOTICE,
            reply_card=True,
        )  # fmt: skip
        for attachment in new_files:
            await self.queue_attachment(ticket, attachment, Priority.EDIT, first)

    # --- the card kind of the outbox ---------------------------------------------------------
    async def send_card(self, row: OutRow) -> Message | None:
        """Post the ticket's card, or edit it to the current state (the sender calls this).

        A queued new card whose ticket already has one (posted when a staff member acted on
        it) is not posted again; an edit of a card that is gone posts a new one.
        """
        assert row.ticket_id is not None
        ticket = await self.services.tickets.get_by_id(row.ticket_id)
        if ticket is None:
            return None
        where = await self.messages.card(row.ticket_id)
        if where is not None and where[0] != row.chat_id:
            where = None  # the card is in the group's old chat: post one in the new chat
        if where is not None and row.payload.get("new"):
            return None
        html, buttons = await self.render(ticket)
        if where is None:
            return await self._post_card(row.chat_id, ticket, html, buttons)
        shown = (where[0], where[1], html, repr(buttons))
        if self._shown.get(row.ticket_id) == shown:
            return None
        try:
            await self.bot.edit_message_text(
                html, chat_id=where[0], message_id=where[1], reply_markup=keyboard(buttons),
                link_preview_options=_NO_PREVIEW, **outbox_args(self.bot),
            )  # fmt: skip
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                self._shown[row.ticket_id] = shown
                return None
            if "not found" in reason or "can't be edited" in reason:
                log.info("card of %s is gone (%s): posting a new one", ticket.number, exc)
                await self.messages.remember(  # no longer the card, still the ticket's
                    where[0], where[1], row.ticket_id, OLD_CARD, self.services.clock()
                )
                return await self._post_card(row.chat_id, ticket, html, buttons)
            raise
        self._shown[row.ticket_id] = shown
        return None

    async def _post_card(
        self, chat_id: int, ticket: Ticket, html: str, buttons: Keyboard
    ) -> Message:
        message = await self.bot.send_message(
            chat_id, html, reply_markup=keyboard(buttons), link_preview_options=_NO_PREVIEW,
            **outbox_args(self.bot),
        )  # fmt: skip
        assert ticket.id is not None
        self._shown[ticket.id] = (message.chat_id, message.message_id, html, repr(buttons))
        return message

    async def card_sent(self, row: OutRow, message: Message | None) -> None:
        """Map a posted card to its ticket, in the transaction that marks the row sent."""
        if message is not None and row.ticket_id is not None:
            await self.messages.remember_in(
                message.chat_id, message.message_id, row.ticket_id, CARD,
                self.services.clock(),
            )  # fmt: skip

    def _bot_does_next(self, action: Action) -> bool:
        """The step after ``action`` is the bot's own (no button for staff to press)."""
        return self.services.workflow.automatic_step(action) is not None

    # --- the workflow listener ---------------------------------------------------------------
    async def on_step(self, applied: Applied) -> None:
        """Inside every step's transaction: queue the card (or its edit) and the notice.

        A step the caller confirms itself (a staff command's "Tiket diambil") gets no notice
        saying the same.
        """
        ticket, action = applied.ticket, applied.step.action
        assert ticket.id is not None
        if action is Action.REPORT:
            await self.queue_new(ticket)
            return
        await self.queue.card(ticket.id, new=False)
        if action not in SILENT and not applied.confirmed_by_caller:
            await self.queue_notice(applied)
