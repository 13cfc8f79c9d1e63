"""The ticket card: one message per ticket in the staff group, edited in place as it moves.

The group should show each ticket's current state, not a stream of stale copies, so the card is
posted once (after the REPORT commits) and every later step edits it. Steps that staff did not
just do themselves (a user's message, the user's additional data, LKPP's mail, the bot's own
steps) also get a short notice under the card, so the group hears about them. Every message
posted about a ticket is remembered in :class:`~bot.storage.telegram.MessageMap`, so a staff
reply to any of them reaches the ticket's user.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.error import BadRequest

from bot.callbacks import TicketVerb, ticket_action
from bot.domain.errors import IllegalTransition
from bot.domain.sop import Action, Actor, State, allowed_actions
from bot.domain.ticket import Attachment, Ticket
from bot.notify import LIMIT, Keyboard, Notifier, keyboard
from bot.storage.drafts import DraftStore
from bot.storage.telegram import CARD, MessageMap
from bot.text import telegram_length
from bot.workflow import Applied

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

CARDS_KEY = "staf_kartu"
"""Where the :class:`Cards` instance lives in ``Services.extras``."""
NOTICE = "pemberitahuan"
ATTACHMENT = "lampiran"
PROMPT = "balas"
SOLVE_PROMPT = "minta_catatan_selesai"
"""A "reply with the solution note" prompt: kept in the database so a restart keeps it."""
OLD_CARD = "kartu_lama"
SIMILAR_KEY = "kartu_mirip"
"""``Services.extras``: ``async (ticket) -> list`` of similar entries/solved tickets for the card
(the knowledge base's); each item has ``kind``, ``title``, ``ref`` and ``id``."""
EXTRA_BUTTONS_KEY = "kartu_tombol_lain"
"""``Services.extras``: ``(ticket) -> [(label, data)]``, buttons other components add to cards."""

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
_confirmed_here: ContextVar[bool] = ContextVar("staf_confirmed_here", default=False)


@contextmanager
def confirmed_by_handler() -> Iterator[None]:
    """Steps applied inside this block get no notice: the handler confirms them itself.

    After-commit hooks run inside :meth:`Workflow.apply`, in the caller's context, so a staff
    command that answers "Tiket diambil" does not also produce a notice saying the same.
    """
    token = _confirmed_here.set(True)
    try:
        yield
    finally:
        _confirmed_here.reset(token)


def cards_of(services: Services) -> Cards:
    """The running :class:`Cards` (other components call ``refresh`` after recording a block)."""
    return services.extras[CARDS_KEY]


def reply_takes_first(ticket: Ticket) -> bool:
    """Whether answering the user must take the ticket first (nobody holds it yet).

    The SOP lets staff answer only a ticket someone holds; a staff member who answers a new
    report is the one taking it, so the reply chains TAKE and REPLY_TO_USER in one transaction.
    """
    staff_can = allowed_actions(ticket.state, Actor.STAFF)
    return (
        ticket.assignee_id is None
        and Action.TAKE in staff_can
        and Action.REPLY_TO_USER not in staff_can
    )


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
        self.notifier = Notifier(bot, services.settings)
        self.messages = MessageMap(services.db)
        self.files = DraftStore(services.db, services.clock)  # attachments by event id
        self._locks: dict[int, asyncio.Lock] = {}
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
        if reply_takes_first(ticket):
            allowed.add(Action.REPLY_TO_USER)
        verbs = [
            verb
            for action, verb in CARD_VERBS.items()
            if action in allowed and not (action is Action.TAKE and ticket.assignee_id)
        ]
        verbs.append(TicketVerb.DETAIL)
        buttons = [(self.label(v), ticket_action(v, ticket.number)) for v in verbs]
        extra = self.services.extras.get(EXTRA_BUTTONS_KEY)
        return rows_of(buttons + (extra(ticket) if extra else []))

    async def similar(self, ticket: Ticket) -> list[Any]:
        """Similar entries and solved tickets, when the knowledge base is installed."""
        find = self.services.extras.get(SIMILAR_KEY)
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
        events = await self.services.workflow.store.events(ticket.id)
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
        message = await self.notifier.staff(await self.detail_html(ticket))
        for attachment in ticket.attachments:
            await self.post_attachment(ticket, attachment, message.message_id)

    # --- posting -------------------------------------------------------------------------
    def _lock(self, ticket_id: int) -> asyncio.Lock:
        return self._locks.setdefault(ticket_id, asyncio.Lock())

    async def remember(self, message: Message, ticket: Ticket, kind: str) -> None:
        """Map ``message`` to the ticket so a staff reply to it reaches the ticket's user."""
        assert ticket.id is not None
        await self.messages.remember(
            message.chat_id, message.message_id, ticket.id, kind, self.services.clock()
        )

    async def _post_card(self, ticket: Ticket) -> Message:
        html, buttons = await self.render(ticket)
        message = await self.notifier.staff(html, buttons)
        await self.remember(message, ticket, CARD)
        assert ticket.id is not None
        self._shown[ticket.id] = (message.chat_id, message.message_id, html, repr(buttons))
        return message

    async def post_new(self, ticket: Ticket) -> None:
        """Post the card of a new report, its attachments, and a long description in full."""
        assert ticket.id is not None
        async with self._lock(ticket.id):
            if await self.messages.card(ticket.id) is not None:
                return
            card = await self._post_card(ticket)
        for attachment in ticket.attachments:
            await self.post_attachment(ticket, attachment, card.message_id)
        if len(ticket.description) > DESCRIPTION_ON_CARD:
            html = self.services.texts.render("staf_uraian", t=ticket)
            message = await self.notifier.staff(html, reply_to=card.message_id)
            await self.remember(message, ticket, NOTICE)

    async def post_missing(self) -> int:
        """Post the card of every open ticket that has none (Telegram was down at its report).

        Runs at start-up, so a report whose card failed to post is not invisible to staff.
        """
        posted = 0
        for ticket in await self.services.workflow.store.open_tickets():
            assert ticket.id is not None
            if await self.messages.card(ticket.id) is None:
                full = await self.services.workflow.store.get_by_id(ticket.id)
                if full is not None:
                    await self.post_new(full)
                    posted += 1
        return posted

    async def refresh(self, ticket: Ticket) -> None:
        """Edit the card to the ticket's current state; post a new one if it is gone."""
        assert ticket.id is not None
        async with self._lock(ticket.id):
            where = await self.messages.card(ticket.id)
            if where is None:
                await self._post_card(ticket)
                return
            html, buttons = await self.render(ticket)
            shown = (where[0], where[1], html, repr(buttons))
            if self._shown.get(ticket.id) == shown:
                return
            try:
                await self.bot.edit_message_text(
                    html,
                    chat_id=where[0],
                    message_id=where[1],
                    reply_markup=keyboard(buttons),
                    link_preview_options=_NO_PREVIEW,
                )
                self._shown[ticket.id] = shown
            except BadRequest as exc:
                reason = str(exc).lower()
                if "not modified" in reason:
                    self._shown[ticket.id] = shown
                    return
                if "not found" in reason or "can't be edited" in reason:
                    log.info("card of %s is gone (%s): posting a new one", ticket.number, exc)
                    await self.messages.remember(  # no longer the card, still the ticket's
                        where[0], where[1], ticket.id, OLD_CARD, self.services.clock()
                    )
                    await self._post_card(ticket)
                    return
                raise

    async def refresh_number(self, number: str) -> None:
        """Refresh by ticket number, for components that hold only the number."""
        await self.refresh(await self.services.workflow.get(number))

    async def card_message_id(self, ticket: Ticket) -> int | None:
        """The card's id in the staff group, to post notices and drafts as replies to it."""
        assert ticket.id is not None
        where = await self.messages.card(ticket.id)
        return None if where is None or where[0] != self.staff_chat else where[1]

    async def post_attachment(
        self, ticket: Ticket, attachment: Attachment, reply_to: int | None
    ) -> Message | None:
        """Send a stored Telegram file under the card; files without a Telegram id are listed."""
        if not attachment.telegram_file_id:
            return None
        caption = self.services.texts.msg(
            "staf_lampiran.keterangan", nomor=ticket.number, nama=attachment.file_name
        )
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        photo_first = (attachment.mime_type or "").startswith("image/")
        senders = (
            [self.bot.send_photo, self.bot.send_document]
            if photo_first
            else [self.bot.send_document, self.bot.send_photo]
        )
        for index, send in enumerate(senders):
            try:
                message = await send(
                    self.staff_chat,
                    attachment.telegram_file_id,
                    caption=caption,
                    reply_parameters=reply,
                )
            except BadRequest:
                if index == len(senders) - 1:
                    raise
                continue  # a photo's file id cannot be sent as a document, nor the reverse
            await self.remember(message, ticket, ATTACHMENT)
            return message
        return None

    async def post_notice(self, applied: Applied) -> None:
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
        if verb is not None and not self._auto_forwards(step.action):
            buttons = [[(self.label(verb), ticket_action(verb, ticket.number))]]
        card = await self.card_message_id(ticket)
        message = await self.notifier.staff(html, buttons, reply_to=card)
        await self.remember(message, ticket, NOTICE)
        for attachment in new_files:
            await self.post_attachment(ticket, attachment, message.message_id)

    def _auto_forwards(self, action: Action) -> bool:
        return action is Action.USER_SENDS_DATA and self.services.settings.auto_forward_user_data

    # --- the after-commit hook -------------------------------------------------------------
    async def on_commit(self, applied: Applied) -> None:
        """Runs after every committed step (registered with ``Workflow.add_after_commit``)."""
        action = applied.step.action
        if action is Action.REPORT:
            await self.post_new(applied.ticket)
            return
        await self.refresh(applied.ticket)
        if action not in SILENT and not _confirmed_here.get():
            await self.post_notice(applied)
        if self._auto_forwards(action):
            await self._forward_automatically(applied.ticket.number)

    async def _forward_automatically(self, number: str) -> None:
        """SOP step 9 by the bot itself, when the LPSE turned on ``AUTO_FORWARD_USER_DATA``."""
        try:
            await self.services.workflow.apply(number, Action.FORWARD_DATA, Actor.SYSTEM)
        except IllegalTransition as exc:  # staff were faster: nothing left to do
            log.info("automatic forward of %s not needed: %s", number, exc)
