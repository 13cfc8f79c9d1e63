"""``/lapor``: the report a user builds step by step before it becomes a ticket.

Every answer is written to the draft (``user_drafts``, kind ``lapor``) at once, and the draft
names its current step; the ConversationHandler's state (persisted by
:mod:`bot.conversations.persistence`) is that same step name. Every state shares one set of
handlers that read the step from the draft, so a button from an older question, a photo where
text is expected or a command in the middle all get an answer that says where the report
stands, and the user always has a way forward: answer, "Lanjutkan", or /batal.
"""

from __future__ import annotations

import logging
from typing import Any

import aiosqlite
from telegram import Update, User
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import pack, unpack
from bot.conversations import kb_suggest
from bot.conversations.anytime import show_help, show_tickets
from bot.conversations.common import (
    Context,
    FileTooLarge,
    NotAFile,
    answer,
    attachment_from,
    drafts_of,
    drop_keyboard,
    label,
    megabytes,
    services_of,
)
from bot.domain.errors import DomainError, InvalidInput
from bot.domain.text_input import normalise, visible_length
from bot.domain.ticket import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    MIN_TITLE_VISIBLE,
    Contact,
    TicketType,
    UserRole,
    validate_email,
    validate_package_code,
    validate_phone,
)
from bot.notify import Keyboard, split_html
from bot.services import Services
from bot.storage.drafts import REPORT, attachment_from_json, attachment_to_json
from bot.text import echo
from bot.workflow import By, NewTicket

log = logging.getLogger(__name__)

NAME = "lapor"
"""The ConversationHandler's name: its key in the persistence table."""
PREFIX = "u"
VERB = "l"
MAX_ATTACHMENTS = 10
MAX_ERROR_CODE = 300
MAX_APPLICATION = 100
MAX_CONTACT_NAME = 100

ORDER = (
    "jenis", "peran", "aplikasi", "kode_paket", "kode_error", "judul", "deskripsi",
    kb_suggest.STEP, "urgensi", "dampak", "lampiran", "nama", "email", "telepon", "ringkasan",
)  # fmt: skip
CHOICES = frozenset({"jenis", "peran", "aplikasi", "urgensi", "dampak"})
TEXTS = frozenset(
    {"aplikasi_lain", "kode_paket", "kode_error", "judul", "deskripsi", "nama", "email", "telepon"}
)
OPTIONAL = frozenset({"kode_paket", "kode_error", "telepon"})
APPLICATIONS = ("spse", "sirup", "ekatalog", "sikap", "lainnya")
EDITABLE = (
    "jenis", "peran", "aplikasi", "kode_paket", "kode_error", "judul", "deskripsi", "prioritas",
    "lampiran", "nama", "email", "telepon",
)  # fmt: skip
STEPS = (*ORDER, "aplikasi_lain", "ubah")
SESSION = "sesi"
"""Pseudo-step of the "Lanjutkan / Batalkan" buttons, valid whatever the current step."""
EDIT_NOTED = "edit_diberitahu"
"""Draft flag: the user was told that editing a sent message does not change the report."""


def data(step: str, arg: object) -> str:
    return pack(PREFIX, VERB, step, arg)


def _options(services: Services, step: str) -> list[tuple[str, str]]:
    """(stored value, label) of a choice step, in button order."""
    if step == "jenis":
        return [(t.value, t.value) for t in TicketType]
    if step == "peran":
        return [(r.value, r.value) for r in UserRole]
    if step == "aplikasi":
        return [(k, label(services, f"pengguna_aplikasi.{k}")) for k in APPLICATIONS]
    if step == "urgensi":
        return [(u, u) for u in services.priorities.urgencies]
    if step == "dampak":
        return [(i, i) for i in services.priorities.impacts]
    raise KeyError(step)


def _next(draft: dict[str, Any], step: str) -> str:
    """The step after ``step`` was answered (an edit returns to the summary)."""
    if step == "aplikasi" and draft.get("aplikasi") is None:
        return "aplikasi_lain"
    if step == "urgensi":
        return "dampak"
    if draft.pop("ubah", False):
        return "ringkasan"
    if step == "aplikasi_lain":
        step = "aplikasi"
    return ORDER[ORDER.index(step) + 1]


def priority_of(services: Services, draft: dict[str, Any]) -> str:
    return services.priorities.classify(draft["urgensi"], draft["dampak"]).key


def step_name(services: Services, step: str) -> str:
    return services.texts.plain_msg(f"pengguna_kolom.{step}")


async def prompt(update: Update, context: Context, draft: dict[str, Any]) -> str:
    """Ask the question of the draft's current step; returns the step (the new state)."""
    services = services_of(context)
    step = draft["step"]
    texts = services.texts
    buttons: list[list[tuple[str, str]]] = []
    if step == kb_suggest.STEP:  # "Mungkin ini membantu": its own module
        return await kb_suggest.prompt(update, context, draft, _advance)
    if step == "ringkasan":
        level = services.priorities.level(priority_of(services, draft))
        html = texts.render("pengguna_ringkasan", d=draft, prioritas=level.name)
        buttons = [
            [
                (label(services, "pengguna_tombol.kirim"), data(step, "kirim")),
                (label(services, "pengguna_tombol.ubah"), data(step, "ubah")),
                (label(services, "pengguna_tombol.batal"), data(step, "batal")),
            ]
        ]
        await _send_summary(update, context, html, buttons)
        return step
    if step == "ubah":
        fields = [(step_name(services, f), data(step, f)) for f in EDITABLE]
        buttons = [fields[i : i + 2] for i in range(0, len(fields), 2)]
        buttons.append([(label(services, "pengguna_tombol.kembali"), data(step, "kembali"))])
        await answer(update, context, texts.msg("pengguna_tanya.ubah"), buttons)
        return step
    html = texts.msg(f"pengguna_tanya.{step}", batas=MAX_TITLE, minimal=MIN_TITLE_VISIBLE)
    if step in CHOICES:
        options = _options(services, step)
        buttons = [[(text, data(step, index))] for index, (_, text) in enumerate(options)]
    if step in OPTIONAL:
        buttons.append([(label(services, "pengguna_tombol.lewati"), data(step, "lewati"))])
    if step == "deskripsi":
        buttons.append([(label(services, "pengguna_tombol.lanjut"), data(step, "lanjut"))])
    if step == "lampiran":
        buttons.append(
            [(label(services, "pengguna_tombol.selesai_unggah"), data(step, "selesai"))]
        )
    user = update.effective_user
    if step == "nama" and user is not None and user.full_name:
        buttons.append(
            [
                (
                    label(services, "pengguna_tombol.pakai_nama", nama=echo(user.full_name, 40)),
                    data(step, "tg"),
                )
            ]
        )
    await answer(update, context, html, buttons or None)
    return step


async def _send_summary(update: Update, context: Context, html: str, buttons: Keyboard) -> None:
    """The summary with Kirim/Ubah/Batal under it, or, when it needs several messages, the
    buttons in a short message of their own after the last part, so they are not lost on a
    phone under one part of many."""
    if len(split_html(html)) == 1:
        await answer(update, context, html, buttons)
        return
    await answer(update, context, html)
    texts = services_of(context).texts
    await answer(update, context, texts.msg("pengguna_lapor.ringkasan_lengkap"), buttons)


async def _advance(update: Update, context: Context, draft: dict[str, Any], step: str) -> str:
    services = services_of(context)
    draft["step"] = _next(draft, step)
    await drafts_of(services).put(_chat_id(update), REPORT, draft)
    return await prompt(update, context, draft)


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def _draft(update: Update, context: Context) -> dict[str, Any] | None:
    return await drafts_of(services_of(context)).get(_chat_id(update), REPORT)


async def start(update: Update, context: Context) -> str:
    """/lapor or the menu's "Lapor masalah": a fresh draft at the first step."""
    services = services_of(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    draft: dict[str, Any] = {"step": ORDER[0], "lampiran": []}
    await drafts_of(services).put(_chat_id(update), REPORT, draft)
    await answer(update, context, services.texts.msg("pengguna_lapor.mulai"))
    return await prompt(update, context, draft)


async def cancel(update: Update, context: Context) -> int:
    services = services_of(context)
    await drafts_of(services).delete(_chat_id(update), REPORT)
    await answer(update, context, services.texts.msg("pengguna_lapor.dibatalkan"))
    return ConversationHandler.END


async def _gone(update: Update, context: Context) -> int:
    """The conversation outlived its draft (sent or cancelled elsewhere): end it politely."""
    await answer(update, context, services_of(context).texts.msg("pengguna_lapor.sudah_terkirim"))
    return ConversationHandler.END


async def on_button(update: Update, context: Context) -> str | int:
    query = update.callback_query
    assert query is not None
    services = services_of(context)
    _, parts = unpack(query.data or "")
    step, arg = [*parts, "", ""][1:3]
    draft = await _draft(update, context)
    if draft is None:
        await query.answer()
        await drop_keyboard(query)
        return await _gone(update, context)
    if step == SESSION:
        await query.answer()
        await drop_keyboard(query)
        if arg == "batal":
            return await cancel(update, context)
        return await prompt(update, context, draft)
    current = draft["step"]
    if step != current:
        await query.answer()
        await drop_keyboard(query)
        msg = services.texts.msg(
            "pengguna_lapor.tombol_kedaluwarsa", langkah=step_name(services, current)
        )
        await answer(update, context, msg)
        return await prompt(update, context, draft)
    await query.answer()
    if step == kb_suggest.STEP:
        return await kb_suggest.on_button(update, context, draft, arg, _advance)
    if step in CHOICES:
        options = _options(services, step)
        try:
            value = options[int(arg)][0]
        except (ValueError, IndexError):
            return await prompt(update, context, draft)
        await drop_keyboard(query)
        if step == "aplikasi":
            draft["aplikasi"] = (
                None if value == "lainnya" else label(services, f"pengguna_aplikasi.{value}")
            )
        else:
            draft[step] = value
        return await _advance(update, context, draft, step)
    if step in OPTIONAL and arg == "lewati":
        await drop_keyboard(query)
        draft[step] = None
        return await _advance(update, context, draft, step)
    if step == "deskripsi" and arg == "lanjut":
        if not draft.get("deskripsi"):
            await answer(update, context, services.texts.msg("pengguna_lapor.deskripsi_kosong"))
            return step
        await drop_keyboard(query)
        return await _advance(update, context, draft, step)
    if step == "lampiran" and arg == "selesai":
        await drop_keyboard(query)
        return await _advance(update, context, draft, step)
    if step == "nama" and arg == "tg" and update.effective_user is not None:
        await drop_keyboard(query)
        draft["nama"] = normalise(update.effective_user.full_name)[:MAX_CONTACT_NAME]
        return await _advance(update, context, draft, step)
    if step == "ringkasan":
        await drop_keyboard(query)
        if arg == "kirim":
            return await submit(update, context, draft)
        if arg == "batal":
            return await cancel(update, context)
        draft["step"] = "ubah"
        await drafts_of(services).put(_chat_id(update), REPORT, draft)
        return await prompt(update, context, draft)
    if step == "ubah":
        await drop_keyboard(query)
        return await _edit(update, context, draft, arg)
    return await prompt(update, context, draft)


async def _edit(update: Update, context: Context, draft: dict[str, Any], field: str) -> str:
    """Go back to one field; answering it returns to the summary."""
    if field not in EDITABLE:
        draft["step"] = "ringkasan"
    else:
        draft["ubah"] = True
        draft["step"] = "urgensi" if field == "prioritas" else field
        if field == "lampiran":
            draft["lampiran"] = []
            draft.pop("keterangan_lampiran", None)
        if field == "deskripsi":
            draft["deskripsi"] = ""
    await drafts_of(services_of(context)).put(_chat_id(update), REPORT, draft)
    return await prompt(update, context, draft)


#: Longest accepted answer of the free-text steps (the description has its own rule).
LIMITS = {
    "aplikasi_lain": MAX_APPLICATION,
    "kode_error": MAX_ERROR_CODE,
    "judul": MAX_TITLE,
    "nama": MAX_CONTACT_NAME,
}


def _validate(step: str, text: str) -> tuple[str | None, str | None]:
    """(value to store, catalog key of the error) for a text answer, normalised first."""
    text = normalise(text)
    if not text:
        return None, "kosong"
    try:
        if step == "email":
            return validate_email(text), None
        if step == "kode_paket":
            return validate_package_code(text), None
        if step == "telepon":
            return validate_phone(text), None
    except InvalidInput:
        return None, f"tidak_valid_{step}"
    if step in LIMITS and len(text) > LIMITS[step]:
        return None, "terlalu_panjang"
    if step == "judul" and visible_length(text) < MIN_TITLE_VISIBLE:
        return None, "judul_terlalu_pendek"
    return text, None


async def on_text(update: Update, context: Context) -> str | int:
    message = update.effective_message
    assert message is not None and message.text is not None
    services = services_of(context)
    draft = await _draft(update, context)
    if draft is None:
        return await _gone(update, context)
    step = draft["step"]
    texts = services.texts
    text = normalise(message.text)
    if step not in TEXTS:
        key = "lampiran_jenis" if step == "lampiran" else "jawab_dengan_tombol"
        await answer(update, context, texts.msg(f"pengguna_lapor.{key}"))
        return await prompt(update, context, draft)
    if step == "deskripsi":
        if not text:
            await answer(update, context, texts.msg("pengguna_lapor.kosong"))
            return step
        combined = "\n".join(p for p in (draft.get("deskripsi") or "", text) if p)
        if len(combined) > MAX_DESCRIPTION:
            msg = texts.msg(
                "pengguna_lapor.terlalu_panjang", panjang=len(combined), batas=MAX_DESCRIPTION
            )
            await answer(update, context, msg)
            return step
        draft["deskripsi"] = combined
        await drafts_of(services).put(_chat_id(update), REPORT, draft)
        buttons: Keyboard = [[(label(services, "pengguna_tombol.lanjut"), data(step, "lanjut"))]]
        msg = texts.msg("pengguna_lapor.deskripsi_diterima", panjang=len(combined))
        await answer(update, context, msg, buttons)
        return step
    value, error = _validate(step, text)
    if error is not None:
        msg = texts.msg(
            f"pengguna_lapor.{error}",
            nilai=echo(text),
            panjang=visible_length(text) if error == "judul_terlalu_pendek" else len(text),
            batas=LIMITS.get(step, 0),
            minimal=MIN_TITLE_VISIBLE,
        )
        buttons = [[(label(services, "pengguna_tombol.lewati"), data(step, "lewati"))]]
        await answer(update, context, msg, buttons if step in OPTIONAL else None)
        return step
    draft["aplikasi" if step == "aplikasi_lain" else step] = value
    return await _advance(update, context, draft, step)


async def on_file(update: Update, context: Context) -> str | int:
    message = update.effective_message
    assert message is not None
    services = services_of(context)
    texts = services.texts
    draft = await _draft(update, context)
    if draft is None:
        return await _gone(update, context)
    step = draft["step"]
    if step != "lampiran":
        key = "jawab_dengan_teks" if step in TEXTS else "jawab_dengan_tombol"
        await answer(update, context, texts.msg(f"pengguna_lapor.{key}"))
        return await prompt(update, context, draft)
    done: Keyboard = [[(label(services, "pengguna_tombol.selesai_unggah"), data(step, "selesai"))]]
    if len(draft["lampiran"]) >= MAX_ATTACHMENTS:
        msg = texts.msg("pengguna_lapor.lampiran_terlalu_banyak", batas=MAX_ATTACHMENTS)
        await answer(update, context, msg, done)
        return step
    try:
        attachment = attachment_from(message)
    except FileTooLarge as exc:
        msg = texts.msg(
            "pengguna_lapor.lampiran_terlalu_besar", nama=exc.name, ukuran=megabytes(exc.size)
        )
        await answer(update, context, msg, done)
        return step
    except NotAFile:
        await answer(update, context, texts.msg("pengguna_lapor.lampiran_jenis"), done)
        return step
    draft["lampiran"].append(attachment_to_json(attachment))
    caption = normalise(message.caption or "")
    if caption:
        draft.setdefault("keterangan_lampiran", []).append(caption)
    await drafts_of(services).put(_chat_id(update), REPORT, draft)
    msg = texts.msg(
        "pengguna_lapor.lampiran_diterima",
        nama=attachment.file_name,
        jumlah=len(draft["lampiran"]),
    )
    await answer(update, context, msg, done)
    return step


async def on_other(update: Update, context: Context) -> str | int:
    """Stickers, voice, locations …: say what this step expects."""
    draft = await _draft(update, context)
    if draft is None:
        return await _gone(update, context)
    texts = services_of(context).texts
    key = "lampiran_jenis" if draft["step"] == "lampiran" else "jawab_dengan_teks"
    if draft["step"] in CHOICES:
        key = "jawab_dengan_tombol"
    await answer(update, context, texts.msg(f"pengguna_lapor.{key}"))
    return await prompt(update, context, draft)


async def on_edited(update: Update, context: Context) -> str | int:
    """An edited earlier message is never an answer; say so once per report, and how to change.

    Answers already given are in the draft; the summary's "Ubah" changes any of them.
    """
    draft = await _draft(update, context)
    if draft is None:
        return await _gone(update, context)
    if not draft.get(EDIT_NOTED):
        draft[EDIT_NOTED] = True
        services = services_of(context)
        await drafts_of(services).put(_chat_id(update), REPORT, draft)
        msg = services.texts.msg(
            "pengguna_lapor.edit_tidak_mengubah", langkah=step_name(services, draft["step"])
        )
        await answer(update, context, msg)
    return draft["step"]


def session_buttons(services: Services) -> Keyboard:
    return [
        [
            (label(services, "pengguna_tombol.lanjutkan"), data(SESSION, "lanjut")),
            (label(services, "pengguna_tombol.batalkan"), data(SESSION, "batal")),
        ]
    ]


async def on_restart(update: Update, context: Context) -> str | int:
    """/start, /lapor or the menu mid-report: continue or cancel, the user chooses."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    draft = await _draft(update, context)
    if draft is None:
        return await _gone(update, context)
    services = services_of(context)
    msg = services.texts.msg(
        "pengguna_lapor.sedang_mengisi", langkah=step_name(services, draft["step"])
    )
    await answer(update, context, msg, session_buttons(services))
    return draft["step"]


async def remind_position(update: Update, context: Context) -> str | int:
    """After answering another command, say where the unfinished report stands."""
    draft = await _draft(update, context)
    if draft is None:
        return ConversationHandler.END
    services = services_of(context)
    msg = services.texts.msg("pengguna_lapor.posisi", langkah=step_name(services, draft["step"]))
    await answer(update, context, msg, session_buttons(services))
    return draft["step"]


async def on_tickets(update: Update, context: Context) -> str | int:
    await show_tickets(update, context)
    return await remind_position(update, context)


async def on_help(update: Update, context: Context) -> str | int:
    await show_help(update, context)
    return await remind_position(update, context)


async def submit(update: Update, context: Context, draft: dict[str, Any]) -> str | int:
    """Kirim: the ticket is created; the notify hook tells the user its number."""
    services = services_of(context)
    chat_id = _chat_id(update)
    user: User | None = update.effective_user
    description = draft["deskripsi"]
    if draft.get("keterangan_lampiran"):
        description += "\n\n" + "\n".join(draft["keterangan_lampiran"])
    try:
        new = NewTicket(
            type=TicketType(draft["jenis"]),
            role=UserRole(draft["peran"]),
            application=draft["aplikasi"],
            title=draft["judul"],
            description=description,
            contact=Contact(draft["nama"], draft["email"], draft.get("telepon")),
            user_chat_id=chat_id,
            package_code=draft.get("kode_paket"),
            error_code=draft.get("kode_error"),
            priority=priority_of(services, draft),
            attachments=[attachment_from_json(a) for a in draft.get("lampiran", [])],
        )
        drafts = drafts_of(services)

        async def forget_draft(conn: aiosqlite.Connection) -> None:
            await drafts.delete_in(conn, chat_id, REPORT)

        await services.workflow.report(
            new, By(user.id if user else chat_id, user.full_name if user else None), forget_draft
        )
    except (DomainError, KeyError, ValueError) as exc:
        log.warning("report of chat %s refused: %r", chat_id, exc)
        reason = services.texts.error(exc) if isinstance(exc, DomainError) else str(exc)
        await answer(
            update, context, services.texts.msg("pengguna_lapor.gagal_kirim", alasan=reason)
        )
        return await prompt(update, context, draft)
    return ConversationHandler.END


def build() -> ConversationHandler[Any]:
    """The /lapor ConversationHandler (persistent, private chats only)."""
    # New messages only: an edited one is never taken as an answer (on_edited says so).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    edited = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
    in_step: list[BaseHandler[Update, Any, Any]] = [
        MessageHandler(edited, on_edited),
        CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:{VERB}:"),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
        MessageHandler(private & (filters.PHOTO | filters.Document.ALL), on_file),
        MessageHandler(private & ~filters.COMMAND, on_other),
    ]
    return ConversationHandler(
        entry_points=[
            CommandHandler("lapor", start, filters=private),
            CallbackQueryHandler(start, pattern=rf"^{PREFIX}:menu:lapor$"),
            # A report button while no conversation is active: the state was lost (a crash
            # before PTB wrote it) but the draft is there, so the report resumes from it.
            CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:{VERB}:"),
        ],
        states={step: list(in_step) for step in STEPS},
        fallbacks=[
            CommandHandler("batal", cancel, filters=private),
            CommandHandler(["start", "lapor"], on_restart, filters=private),
            CallbackQueryHandler(on_restart, pattern=rf"^{PREFIX}:menu:lapor$"),
            CommandHandler("tiket", on_tickets, filters=private),
            CommandHandler("bantuan", on_help, filters=private),
            MessageHandler(private & filters.COMMAND, remind_position),
        ],
        name=NAME,
        persistent=True,
        allow_reentry=False,
    )
