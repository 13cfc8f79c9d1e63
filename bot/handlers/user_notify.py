"""Tells the reporting user what concerns them whenever their ticket moves.

Installed as a workflow listener: it queues the user's messages in the Telegram outbox inside
the step's transaction, so a user is never told about a change that rolled back and never
misses one that committed, whatever happens to the process. A user who blocked the bot (403,
reported by the outbox sender) is recorded with
:meth:`MessageMap.mark_blocked` and a NOTE on the ticket, so staff see it on the card and reach
the user by email or phone instead; writing to the bot again unmarks them
(:func:`bot.handlers.user.on_any_private`).

Other components reach it as ``services.user_notifier`` (a :class:`UserNotifier`), e.g. the
deadline sweep's :meth:`UserNotifier.remind_data`.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.callbacks import Prefix, pack
from bot.conversations import additional_data
from bot.conversations.common import USER_KIND, drafts_of, label
from bot.domain.errors import DomainError
from bot.domain.sop import Action, Actor, State
from bot.domain.ticket import Attachment, Ticket
from bot.notify import Keyboard
from bot.outbox.pacing import Priority
from bot.outbox.queue import queue_of
from bot.services import Services
from bot.storage.telegram import MessageMap
from bot.workflow import Applied

log = logging.getLogger(__name__)


def solved_buttons(services: Services, number: str) -> Keyboard:
    return [
        [
            (label(services, "pengguna_tombol.masalah_selesai"), pack(Prefix.USER, "ok", number)),
            (label(services, "pengguna_tombol.belum_selesai"), pack(Prefix.USER, "belum", number)),
        ]
    ]


def rating_buttons(services: Services, number: str) -> Keyboard:
    return [
        [(label(services, "pengguna_tombol.nilai", n=n), pack(Prefix.USER, "nilai", number, n))
         for n in range(1, 6)]
    ]  # fmt: skip


class UserNotifier:
    """Queues for users the messages their ticket's steps call for.

    Args:
        services: The shared services.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self.queue = queue_of(services)
        self.messages = MessageMap(services.db)

    async def __call__(self, applied: Applied) -> None:
        """The workflow listener: the messages (or none) of one applied step."""
        handler = getattr(self, f"_on_{applied.step.action.name.lower()}", None)
        if handler is None:
            return
        await handler(applied)  # inside the step's transaction: messages commit with it

    # --- per action ------------------------------------------------------------------------
    async def _on_report(self, applied: Applied) -> None:
        ticket = applied.ticket
        level = self.services.priorities.level(ticket.priority)
        html = self.services.texts.render(
            "pengguna_tiket_dibuat", t=ticket, prioritas=level.name,
            lpse=self.services.settings.lpse_name,
        )  # fmt: skip
        await self._send(ticket, html)

    async def _on_take(self, applied: Applied) -> None:
        if applied.step.source is State.NEW:
            await self._send_msg(applied.ticket, "pengguna_kabar.diambil")

    async def _on_escalate(self, applied: Applied) -> None:
        await self._send_msg(applied.ticket, "pengguna_kabar.eskalasi")

    async def _on_forward_data(self, applied: Applied) -> None:
        await self._send_msg(applied.ticket, "pengguna_kabar.data_diteruskan")

    async def _on_user_cancels(self, applied: Applied) -> None:
        await self._send_msg(applied.ticket, "pengguna_kabar.dibatalkan")

    async def _on_reply_to_user(self, applied: Applied) -> None:
        ticket = applied.ticket
        html = self.services.texts.render(
            "pengguna_balasan", nomor=ticket.number, teks=applied.details.get("text", "")
        )
        await self._send(ticket, html)
        await self._send_files(ticket, await self._files(applied.event_id))

    async def _on_pass_request_to_user(self, applied: Applied) -> None:
        """Step 7: the request reaches the user, and what they send next is collected."""
        ticket = applied.ticket
        files = await self._files(applied.event_id)
        if not files:
            files = await self._files_of_last(ticket, Action.LKPP_REQUEST_DATA)
        await additional_data.start_collection(self.services, ticket.user_chat_id, ticket.number)
        html = self.services.texts.render(
            "pengguna_permintaan_data", nomor=ticket.number, teks=applied.details.get("text", "")
        )
        await self._send(ticket, html)
        await self._send_files(ticket, files)
        button = additional_data.send_button(self.services, ticket.number)
        await self._send(
            ticket, self.services.texts.msg("pengguna_data.kosong", nomor=ticket.number), button
        )

    async def _on_user_sends_data(self, applied: Applied) -> None:
        await self._send_msg(applied.ticket, "pengguna_data.terkirim")

    async def _on_solve_locally(self, applied: Applied) -> None:
        await self._solved(applied.ticket, applied.details.get("text"), lkpp=False)

    async def _on_pass_solution_to_user(self, applied: Applied) -> None:
        text = applied.details.get("text")
        if not text:
            assert applied.ticket.id is not None
            solved = await self.services.tickets.last_event(
                applied.ticket.id, [Action.LKPP_SOLVED]
            )
            text = solved.details.get("text") if solved else None
        await self._solved(applied.ticket, text, lkpp=True)
        files = await self._files(applied.event_id)
        await self._send_files(applied.ticket, files)

    async def _on_user_confirms(self, applied: Applied) -> None:
        ticket = applied.ticket
        html = self.services.texts.msg("pengguna_selesai.dikonfirmasi", nomor=ticket.number)
        await self._send(ticket, html, rating_buttons(self.services, ticket.number))

    async def _on_auto_close(self, applied: Applied) -> None:
        ticket = applied.ticket
        html = self.services.texts.msg("pengguna_selesai.ditutup_otomatis", nomor=ticket.number)
        await self._send(ticket, html, rating_buttons(self.services, ticket.number))

    async def _on_user_reopens(self, applied: Applied) -> None:
        await self._send_msg(applied.ticket, "pengguna_selesai.dibuka_kembali")

    async def _on_rate(self, applied: Applied) -> None:
        ticket = applied.ticket
        html = self.services.texts.msg(
            "pengguna_selesai.terima_kasih_nilai", nomor=ticket.number, nilai=ticket.rating
        )
        await self._send(ticket, html)

    # --- for other components ---------------------------------------------------------------
    async def remind_data(self, number: str) -> bool:
        """Queue a reminder that staff still wait for the data LKPP asked for (steps 7-8).

        Called inside the caller's transaction (the sweep's): the reminder commits with it.

        Returns:
            ``False`` if the user is known to have blocked the bot (nothing queued).
        """
        ticket = await self.services.workflow.get(number)
        assert ticket.id is not None
        if await self.messages.is_blocked(ticket.user_chat_id):
            return False
        asked = await self.services.tickets.last_event(ticket.id, [Action.PASS_REQUEST_TO_USER])
        html = self.services.texts.render(
            "pengguna_pengingat_data", nomor=number, sejak=asked.at if asked else None
        )
        await self._send(ticket, html, additional_data.send_button(self.services, number))
        return True

    # --- queueing ----------------------------------------------------------------------------
    async def _solved(self, ticket: Ticket, text: str | None, lkpp: bool) -> None:
        html = self.services.texts.render(
            "pengguna_solusi", nomor=ticket.number, teks=text or "", lkpp=lkpp
        )
        await self._send(ticket, html, solved_buttons(self.services, ticket.number))

    async def _send_msg(self, ticket: Ticket, key: str) -> None:
        await self._send(ticket, self.services.texts.msg(key, nomor=ticket.number))

    async def _send(self, ticket: Ticket, html: str, buttons: Keyboard | None = None) -> None:
        # Queued only inside the step's transaction (the queue's store raises outside one).
        await self.queue.text(
            ticket.user_chat_id, html, buttons, Priority.ACTION,
            ticket_id=ticket.id, remember=USER_KIND,
        )  # fmt: skip

    async def _files(self, event_id: int) -> list[Attachment]:
        return await drafts_of(self.services).event_attachments(event_id)

    async def _files_of_last(self, ticket: Ticket, action: Action) -> list[Attachment]:
        assert ticket.id is not None
        event = await self.services.tickets.last_event(ticket.id, [action])
        return [] if event is None else await self._files(event.id)

    async def _send_files(self, ticket: Ticket, files: list[Attachment]) -> None:
        """Each file by its Telegram file id, or uploaded from storage (LKPP's email files)."""
        for attachment in files:
            if not attachment.telegram_file_id and not attachment.storage_path:
                log.warning(
                    "attachment %s of %s has no content", attachment.file_name, ticket.number
                )
                continue
            await self.queue.file(
                ticket.user_chat_id, file_id=attachment.telegram_file_id or None,
                path=None if attachment.telegram_file_id else attachment.storage_path,
                filename=attachment.file_name,
                photo=(attachment.mime_type or "").startswith("image/"),
                ticket_id=ticket.id, remember=USER_KIND,
            )  # fmt: skip

    async def on_blocked(self, chat_id: int, ticket_id: int | None) -> None:
        """The outbox found the user blocked the bot: record it, NOTE it on the ticket."""
        log.warning("chat %s blocked the bot", chat_id)
        await self.messages.mark_blocked(chat_id, self.services.clock())
        if ticket_id is None:
            return
        ticket = await self.services.tickets.get_by_id(ticket_id)
        if ticket is None:
            return
        text = self.services.texts.plain_msg(
            "pengguna_kabar.blokir_catatan",
            aksi=self.services.texts.plain_msg(f"status.{ticket.state.value}"),
        )
        try:
            await self.services.workflow.apply(
                ticket.number, Action.NOTE, Actor.SYSTEM, details={"text": text, "diblokir": True}
            )
        except DomainError:
            log.exception("could not note the block on %s", ticket.number)


def install(application: Any, services: Services) -> UserNotifier:
    """Create the notifier, make it a workflow listener and publish it in ``services``."""
    notifier = UserNotifier(services)
    services.workflow.add_listener(notifier)
    services.user_notifier = notifier
    if services.incidents is not None:
        services.incidents.on_user_blocked.append(notifier.on_blocked)
    return notifier
