"""The handlers of the ``/lapor`` states: one per kind of input a step takes.

Each gets the chat's draft, already checked to be at the handler's state
(:func:`bot.conversations.report._at`), answers, and returns the next state. Which of them a
state has is the step's table row (:mod:`bot.conversations.report_steps`).
"""

from __future__ import annotations

from telegram import Update

from bot.conversations import kb_suggest
from bot.conversations.common import (
    Context,
    FileTooLarge,
    NotAFile,
    answer,
    attachment_from,
    drop_keyboard,
    label,
    megabytes,
)
from bot.conversations.report_ask import (
    AtStep,
    State,
    advance,
    button_arg,
    cancel,
    prompt,
    save_draft,
    step_name,
    submit,
)
from bot.conversations.report_draft import ReportDraft
from bot.conversations.report_steps import (
    EDIT,
    EDITABLE,
    MAX_ATTACHMENTS,
    MAX_CONTACT_NAME,
    STEP_BY_NAME,
    SUMMARY,
    data,
    validate,
)
from bot.domain.text_input import normalise, visible_length
from bot.domain.ticket import MAX_DESCRIPTION, MIN_TITLE_VISIBLE
from bot.notify import Keyboard
from bot.text import echo


# --- buttons -----------------------------------------------------------------------------------
async def on_session(update: Update, context: Context, draft: ReportDraft) -> State:
    """ "Lanjutkan" (ask the open question again) or "Batalkan" (drop the report)."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await drop_keyboard(update.callback_query)
    if button_arg(update)[1] == "batal":
        return await cancel(update, context)
    return await prompt(update, context, draft)


async def on_stale_button(update: Update, context: Context, draft: ReportDraft) -> State:
    """A button of another step: say where the report stands and ask again."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await drop_keyboard(update.callback_query)
    services = context.services
    msg = services.texts.msg(
        "pengguna_lapor.tombol_kedaluwarsa", langkah=step_name(services, draft.step)
    )
    await answer(update, context, msg)
    return await prompt(update, context, draft)


async def on_choice(update: Update, context: Context, draft: ReportDraft) -> State:
    query = update.callback_query
    assert query is not None
    await query.answer()
    step = STEP_BY_NAME[draft.step]
    assert step.options is not None
    try:
        value = step.options(context.services)[int(button_arg(update)[1])][0]
    except (ValueError, IndexError):
        return await prompt(update, context, draft)
    await drop_keyboard(query)
    draft.set_answer(step.field, value)
    return await advance(update, context, draft, step.name)


async def on_skip(update: Update, context: Context, draft: ReportDraft) -> State:
    """ "Lewati" of an optional field: nothing stored."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await drop_keyboard(update.callback_query)
    draft.set_answer(draft.step, None)
    return await advance(update, context, draft, draft.step)


async def on_telegram_name(update: Update, context: Context, draft: ReportDraft) -> State:
    """The contact's name is the user's Telegram name."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    if update.effective_user is None:
        return await prompt(update, context, draft)
    await drop_keyboard(update.callback_query)
    draft.nama = normalise(update.effective_user.full_name)[:MAX_CONTACT_NAME]
    return await advance(update, context, draft, draft.step)


async def on_description_done(update: Update, context: Context, draft: ReportDraft) -> State:
    """ "Lanjut" under the description: on, once there is one."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    if not draft.deskripsi:
        msg = context.services.texts.msg("pengguna_lapor.deskripsi_kosong")
        await answer(update, context, msg)
        return draft.step
    await drop_keyboard(update.callback_query)
    return await advance(update, context, draft, draft.step)


async def on_files_done(update: Update, context: Context, draft: ReportDraft) -> State:
    """ "Selesai unggah": on, with the files sent so far (maybe none)."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await drop_keyboard(update.callback_query)
    return await advance(update, context, draft, draft.step)


async def on_other_argument(update: Update, context: Context, draft: ReportDraft) -> State:
    """A button of this step that means nothing here: ask again."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await prompt(update, context, draft)


async def on_suggestion(update: Update, context: Context, draft: ReportDraft) -> State:
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await kb_suggest.on_button(update, context, draft, button_arg(update)[1], advance)


async def on_summary(update: Update, context: Context, draft: ReportDraft) -> State:
    """Kirim, Batal, or Ubah (the edit menu)."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await drop_keyboard(update.callback_query)
    arg = button_arg(update)[1]
    if arg == "kirim":
        return await submit(update, context, draft)
    if arg == "batal":
        return await cancel(update, context)
    draft.step = EDIT
    await save_draft(update, context, draft)
    return await prompt(update, context, draft)


async def on_edit_choice(update: Update, context: Context, draft: ReportDraft) -> State:
    """Go back to one field; answering it returns to the summary ("kembali": no change)."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await drop_keyboard(update.callback_query)
    field = button_arg(update)[1]
    if field not in EDITABLE:
        draft.step = SUMMARY
    else:
        draft.ubah = True
        draft.step = "urgensi" if field == "prioritas" else field
        if field == "lampiran":
            draft.lampiran, draft.keterangan_lampiran = [], []
        if field == "deskripsi":
            draft.deskripsi = ""
    await save_draft(update, context, draft)
    return await prompt(update, context, draft)


# --- messages ----------------------------------------------------------------------------------
async def on_answer(update: Update, context: Context, draft: ReportDraft) -> State:
    """A text answer: stored and on to the next step, or the reason it is refused."""
    message = update.effective_message
    assert message is not None and message.text is not None
    services = context.services
    step = STEP_BY_NAME[draft.step]
    text = normalise(message.text)
    value, error = validate(step.name, text)
    if error is not None:
        msg = services.texts.msg(
            f"pengguna_lapor.{error}",
            nilai=echo(text),
            panjang=visible_length(text) if error == "judul_terlalu_pendek" else len(text),
            batas=step.limit or 0,
            minimal=MIN_TITLE_VISIBLE,
        )
        skip = [[(label(services, "pengguna_tombol.lewati"), data(step.name, "lewati"))]]
        await answer(update, context, msg, skip if step.optional else None)
        return step.name
    draft.set_answer(step.field, value)
    return await advance(update, context, draft, step.name)


async def on_description(update: Update, context: Context, draft: ReportDraft) -> State:
    """One part of the description: appended, until "Lanjut"."""
    message = update.effective_message
    assert message is not None and message.text is not None
    texts = context.services.texts
    text = normalise(message.text)
    if not text:
        await answer(update, context, texts.msg("pengguna_lapor.kosong"))
        return draft.step
    combined = "\n".join(p for p in (draft.deskripsi, text) if p)
    if len(combined) > MAX_DESCRIPTION:
        msg = texts.msg(
            "pengguna_lapor.terlalu_panjang", panjang=len(combined), batas=MAX_DESCRIPTION
        )
        await answer(update, context, msg)
        return draft.step
    draft.deskripsi = combined
    await save_draft(update, context, draft)
    go_on = label(context.services, "pengguna_tombol.lanjut")
    msg = texts.msg("pengguna_lapor.deskripsi_diterima", panjang=len(combined))
    await answer(update, context, msg, [[(go_on, data(draft.step, "lanjut"))]])
    return draft.step


async def on_file(update: Update, context: Context, draft: ReportDraft) -> State:
    """A photo or document for the report, within the count and Telegram's size limit."""
    message = update.effective_message
    assert message is not None
    services = context.services
    texts = services.texts
    done_label = label(services, "pengguna_tombol.selesai_unggah")
    done: Keyboard = [[(done_label, data(draft.step, "selesai"))]]
    if len(draft.lampiran) >= MAX_ATTACHMENTS:
        msg = texts.msg("pengguna_lapor.lampiran_terlalu_banyak", batas=MAX_ATTACHMENTS)
        await answer(update, context, msg, done)
        return draft.step
    try:
        attachment = attachment_from(message)
    except FileTooLarge as exc:
        msg = texts.msg(
            "pengguna_lapor.lampiran_terlalu_besar", nama=exc.name, ukuran=megabytes(exc.size)
        )
        await answer(update, context, msg, done)
        return draft.step
    except NotAFile:
        await answer(update, context, texts.msg("pengguna_lapor.lampiran_jenis"), done)
        return draft.step
    draft.lampiran.append(attachment)
    caption = normalise(message.caption or "")
    if caption:
        draft.keterangan_lampiran.append(caption)
    await save_draft(update, context, draft)
    msg = texts.msg(
        "pengguna_lapor.lampiran_diterima", nama=attachment.file_name, jumlah=len(draft.lampiran)
    )
    await answer(update, context, msg, done)
    return draft.step


def wrong(key: str) -> AtStep:
    """Input this step does not take: say what it expects (catalog ``key``), ask again."""

    async def reply(update: Update, context: Context, draft: ReportDraft) -> State:
        await answer(update, context, context.services.texts.msg(f"pengguna_lapor.{key}"))
        return await prompt(update, context, draft)

    reply.__name__ = f"wrong_{key}"
    return reply
