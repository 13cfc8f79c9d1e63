"""New tickets announced together when they arrive faster than the staff group may receive.

The staff group takes 20 messages a minute; on a tender's last day hundreds of reports may come
in minutes. Instead of one card each, the sender asks :meth:`Announcer.pick` what a lane's next
new-ticket card becomes: with several tickets not yet announced, one message lists them all,
each with an "Ambil" button, and each ticket's own card follows as the budget allows (or at
once when a staff member acts on it: the card edit that follows posts the card).
New-ticket messages are spread over the minute (:func:`bot.outbox.pacing.lane_wait`), so
reports that come in a burst wait a few seconds and share one announcement; a ticket left
unannounced for :data:`ANNOUNCE_AFTER` (staff kept the group busy) moves ahead of everything
else, so every new ticket is visible to staff within a minute of its report.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.callbacks import TicketVerb, ticket_action
from bot.notify import LIMIT
from bot.outbox.pacing import Priority
from bot.outbox.queue import CARD, TEXT
from bot.storage.telegram_outbox import OutRow

if TYPE_CHECKING:
    from bot.domain.ticket import Ticket
    from bot.handlers.cards import Cards

ANNOUNCE_MAX = 24
"""Tickets one announcement lists (two "Ambil" buttons a row)."""
ANNOUNCE_AFTER = timedelta(seconds=15)
"""A new ticket still unannounced after this moves ahead of everything else in the group."""
TITLE_CHARS = 60


class Announcer:
    """Chooses between posting a new ticket's card and announcing several tickets at once."""

    def __init__(self, cards: Cards) -> None:
        self.cards = cards
        self.queue = cards.queue

    async def before_round(self, now: datetime) -> None:
        """Move long-unannounced tickets ahead of card edits (the one-minute visibility)."""
        await self.queue.store.promote_unannounced(
            CARD, now - ANNOUNCE_AFTER, int(Priority.URGENT)
        )

    async def pick(self, head: OutRow, now: datetime) -> OutRow:
        """What the lane sends instead of ``head`` (a card row): itself, or an announcement."""
        if not head.payload.get("new"):
            return head
        fresh = await self.queue.store.unannounced(head.chat_id, CARD, ANNOUNCE_MAX)
        if len(fresh) <= 1:
            return fresh[0] if fresh else head  # a lone new ticket: its card announces it
        tickets: list[Ticket] = []
        for row in fresh:
            assert row.ticket_id is not None
            ticket = await self.cards.services.tickets.get_by_id(row.ticket_id)
            if ticket is not None:
                tickets.append(ticket)
        html, buttons = self.render(tickets)
        while len(html) > LIMIT and len(tickets) > 1:
            tickets = tickets[: len(tickets) - 1]
            html, buttons = self.render(tickets)
        announced = [r.id for r in fresh if r.ticket_id in {t.id for t in tickets}]
        row_id = await self.queue.add(
            head.chat_id, TEXT, {"html": html, "buttons": buttons}, Priority.NEW
        )
        await self.queue.store.mark_announced(announced, now, int(Priority.NEW))
        announcement = await self.queue.store.get(row_id)
        assert announcement is not None
        return announcement

    def render(self, tickets: list[Ticket]) -> tuple[str, list[list[list[str]]]]:
        texts = self.cards.services.texts
        lines = [
            texts.msg(
                "antrean_telegram.tiket_baru_baris",
                nomor=t.number,
                judul=t.title[:TITLE_CHARS],
                pelapor=t.contact.name,
            )
            for t in tickets
        ]
        html = "\n".join([texts.msg("antrean_telegram.tiket_baru", jumlah=len(tickets)), *lines])
        labels = [
            [
                texts.plain_msg("antrean_telegram.tombol_ambil", nomor=t.number),
                ticket_action(TicketVerb.TAKE, t.number),
            ]
            for t in tickets
        ]
        return html, [labels[i : i + 2] for i in range(0, len(labels), 2)]
