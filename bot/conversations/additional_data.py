"""SOP step 8: collecting what the user sends in answer to LKPP's request for more data.

Staff pass LKPP's request on (step 7, ``PASS_REQUEST_TO_USER``); from then on, every text,
photo and document the user sends in private chat is added to a pending answer (``user_drafts``,
kind ``data``) until the user presses "Kirim data", which applies ``USER_SENDS_DATA`` with the
texts and files together, so staff forward one complete answer to LKPP (step 9).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update

from bot.callbacks import Prefix, pack
from bot.context import by_of
from bot.conversations.common import (
    Context,
    FileTooLarge,
    NotAFile,
    answer,
    attachment_from,
    drafts_of,
    label,
    megabytes,
)
from bot.domain.errors import IllegalTransition, TicketNotFound
from bot.domain.sop import Action, Actor, State
from bot.notify import Keyboard
from bot.services import Services
from bot.storage.drafts import DATA, attachment_from_json, attachment_to_json

log = logging.getLogger(__name__)

SEND_VERB = "data"


def send_button(services: Services, number: str) -> Keyboard:
    return [
        [(label(services, "pengguna_tombol.kirim_data"), pack(Prefix.USER, SEND_VERB, number))]
    ]


async def start_collection(services: Services, chat_id: int, number: str) -> None:
    """Open (or restart) the pending answer for ``number``: step 7 has reached the user.

    Inside the caller's transaction when there is one (the step that passes LKPP's request on).
    """
    data = {"number": number, "texts": [], "files": []}
    async with services.db.joined():
        await drafts_of(services).put_in(chat_id, DATA, data)


async def pending(services: Services, chat_id: int) -> dict[str, Any] | None:
    return await drafts_of(services).get(chat_id, DATA)


async def collect(update: Update, context: Context, draft: dict[str, Any]) -> None:
    """Add one message of the user's to the pending answer and say what is collected."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    services = context.services
    texts = services.texts
    number = draft["number"]
    if message.text:
        draft["texts"].append(message.text)
    else:
        try:
            attachment = attachment_from(message)
        except FileTooLarge as exc:
            msg = texts.msg(
                "pengguna_lapor.lampiran_terlalu_besar", nama=exc.name, ukuran=megabytes(exc.size)
            )
            await answer(update, context, msg, send_button(services, number))
            return
        except NotAFile:
            msg = texts.msg("pengguna_umum.jenis_tidak_didukung")
            await answer(update, context, msg, send_button(services, number))
            return
        draft["files"].append(attachment_to_json(attachment))
        if message.caption:
            draft["texts"].append(message.caption)
    await drafts_of(services).put(chat.id, DATA, draft)
    msg = texts.msg(
        "pengguna_data.diterima",
        nomor=number,
        pesan=len(draft["texts"]),
        lampiran=len(draft["files"]),
    )
    await answer(update, context, msg, send_button(services, number))


async def submit(update: Update, context: Context, number: str) -> str:
    """ "Kirim data": apply USER_SENDS_DATA once; returns the text for the button's answer."""
    chat = update.effective_chat
    assert chat is not None
    services = context.services
    texts = services.texts
    drafts = drafts_of(services)
    draft = await drafts.get(chat.id, DATA)
    if draft is None or draft["number"] != number:
        return texts.plain_msg("pengguna_data.sudah_dikirim", nomor=number)
    if not draft["texts"] and not draft["files"]:
        return texts.plain_msg("pengguna_data.kosong", nomor=number)
    ticket = await services.tickets.get(number)
    if ticket is None or ticket.user_chat_id != chat.id:
        await drafts.delete(chat.id, DATA)
        return texts.plain_msg("pengguna_umum.tiket_tidak_ditemukan", nomor=number)
    text = "\n\n".join(draft["texts"]) or texts.plain_msg("pengguna_data.tanpa_teks")
    by = by_of(update)
    try:
        await services.workflow.apply(
            number,
            Action.USER_SENDS_DATA,
            Actor.USER,
            by,
            details={"text": text},
            attachments=[attachment_from_json(f) for f in draft["files"]],
        )
    except (IllegalTransition, TicketNotFound) as exc:
        log.info("additional data for %s not applied: %s", number, exc)
        await drafts.delete(chat.id, DATA)
        status = texts.plain_msg(f"status.{ticket.state.value}")
        if ticket.state is State.USER_DATA_RECEIVED:
            return texts.plain_msg("pengguna_data.sudah_dikirim", nomor=number)
        return texts.plain_msg("pengguna_umum.tidak_berlaku", nomor=number, status=status)
    await drafts.delete(chat.id, DATA)
    return ""
