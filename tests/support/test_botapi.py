"""The fake Bot API driven through python-telegram-bot's real HTTP stack.

These tests pin down that PTB (``HTTPXRequest``, its JSON/multipart encoding and its error
mapping) works against :class:`~tests.support.botapi.BotApiServer` exactly as against Telegram,
so the bot's own tests can rely on it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.support.botapi import BotApiServer, inline_buttons, make_user
from tests.support.botapi_fixtures import botapi  # noqa: F401
from tests.support.botapi_html import parse_html, utf16_len

USER = make_user(4242, "Budi", "budi_lpse")
STAFF_GROUP = -1001234567890
PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
async def bot(
    botapi: BotApiServer,  # noqa: F811
) -> AsyncIterator[Bot]:
    async with Bot(**botapi.bot_kwargs()) as tg_bot:
        yield tg_bot


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


# --------------------------------------------------------------------------- protocol basics


async def test_get_me_and_raw_protocol(
    botapi: BotApiServer,  # noqa: F811
    bot: Bot,
) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "lpse_test_bot", True)

    async with httpx.AsyncClient(base_url=botapi.url) as client:
        wrong = await client.get("/bot999:WRONG/getMe")
        assert wrong.status_code == 401
        assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        unknown = await client.post(f"/bot{botapi.token}/sendTelepathy", json={})
        assert unknown.status_code == 404
        assert unknown.json()["description"] == "Not Found: method not found"
        # JSON bodies, query strings and case-insensitive method names, like Telegram.
        sent = await client.post(
            f"/bot{botapi.token}/SENDMESSAGE", json={"chat_id": 7, "text": "json"}
        )
        assert sent.json()["result"]["text"] == "json"
        query = await client.get(f"/bot{botapi.token}/sendMessage?chat_id=7&text=123")
        assert query.json()["result"]["text"] == "123"
        assert query.json()["result"]["message_id"] == 2

    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=botapi.base_url):
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    # Only what the bot calls is imitated: any other method gets Telegram's 404, which PTB
    # reports as InvalidToken outside do_api_request.
    with pytest.raises(InvalidToken, match="method not found"):
        await bot.send_chat_action(7, "typing")
    assert botapi.calls[-1].method == "sendChatAction"


async def test_send_message_shapes_and_inspection(
    botapi: BotApiServer,  # noqa: F811
    bot: Bot,
) -> None:
    botapi.add_user(USER)
    markup = keyboard(("Ya", "yes"), ("Tidak", "no"))
    first = await bot.send_message(USER["id"], "<b>Halo</b> Budi 😀", "HTML", reply_markup=markup)
    second = await bot.send_message(
        USER["id"], "balasan", reply_parameters=ReplyParameters(first.message_id)
    )
    group = await bot.send_message(STAFF_GROUP, "untuk staf")

    assert (first.message_id, second.message_id, group.message_id) == (1, 2, 1)
    assert first.chat.type == "private" and first.chat.username == "budi_lpse"
    assert group.chat.type == "supergroup"
    assert first.from_user.id == botapi.bot_id
    assert first.text == "Halo Budi 😀"
    assert first.entities[0].type == "bold" and first.entities[0].length == 4
    assert first.reply_markup == markup
    assert second.reply_to_message.message_id == first.message_id

    stored = botapi.stored_message(USER["id"], 1)
    assert stored is not None and stored.raw_text == "<b>Halo</b> Budi 😀"
    assert stored.parse_mode == "HTML"
    assert [c.text for c in botapi.sent(chat_id=USER["id"])] == ["Halo Budi 😀", "balasan"]
    assert botapi.sent(method="sendMessage", chat_id=STAFF_GROUP)[0].message_id == 1
    assert [b["callback_data"] for b in inline_buttons(botapi.message(USER["id"], 1))] == [
        "yes",
        "no",
    ]
    methods = [method for method, _, _ in botapi.requests]
    assert methods == ["getMe", "sendMessage", "sendMessage", "sendMessage"]
    call = await botapi.wait_for(lambda c: c.text == "balasan")
    assert call.params["reply_parameters"] == {"message_id": 1}


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("harga < 100", 'Unsupported start tag "" at byte offset 6'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("PT A & B", 'Character "&" at byte offset 5'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("é <", "Unclosed start tag at byte offset 3"),
    ],
)
async def test_html_rejected_like_telegram(
    bot: Bot,
    botapi: BotApiServer,  # noqa: F811
    html: str,
    error: str,
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(1, html, parse_mode=ParseMode.HTML)
    failed = await botapi.wait_for("sendMessage", ok=False)
    assert failed.status == 400
    assert failed.description == f"Bad Request: can't parse entities: {error}" or (
        failed.description.startswith(f"Bad Request: can't parse entities: {error}")
    )
    assert "parse entities" in caught.value.message.lower()


def test_html_parser_entities() -> None:
    parsed = parse_html(
        '<b>a<i>b</i></b> <a href="https://lkpp.go.id">L</a> &lt;&#64;&#x41;&quot;&gt; '
        '<pre><code class="language-python">x=1</code></pre> <tg-spoiler>s</tg-spoiler> '
        "<blockquote expandable>q</blockquote> <code>c</code> 😀<u>u</u>"
    )
    assert parsed.text == 'ab L <@A"> x=1 s q c 😀u'
    kinds = {(e["type"], e["offset"], e["length"]) for e in parsed.entities}
    assert ("bold", 0, 2) in kinds and ("italic", 1, 1) in kinds
    assert ("text_link", 3, 1) in kinds
    assert ("spoiler", 15, 1) in kinds and ("expandable_blockquote", 17, 1) in kinds
    assert ("underline", 23, 1) in kinds  # the emoji before it counts as two UTF-16 units
    pre = next(e for e in parsed.entities if e["type"] == "pre")
    assert pre["language"] == "python"
    link = next(e for e in parsed.entities if e["type"] == "text_link")
    assert link["url"] == "https://lkpp.go.id/"
    assert utf16_len("😀") == 2


async def test_length_limits_count_utf16(
    bot: Bot,
    botapi: BotApiServer,  # noqa: F811
) -> None:
    await bot.send_message(1, "😀" * 2048)  # 4096 UTF-16 code units: allowed
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "😀" * 2048 + "x")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "<b>" + "a" * 4097 + "</b>", parse_mode="HTML")
    await bot.send_message(1, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")  # tags are free
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1, " \n ")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(1, PNG_1x1, caption="c" * 1025)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(1, "x", reply_markup=keyboard(("a", "d" * 65)))


async def test_edits_keep_current_state(
    bot: Bot,
    botapi: BotApiServer,  # noqa: F811
) -> None:
    msg = await bot.send_message(
        5, "Status: <i>baru</i>", "HTML", reply_markup=keyboard(("A", "a"))
    )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Status: <i>baru</i>",
            5,
            msg.message_id,
            parse_mode="HTML",
            reply_markup=msg.reply_markup,
        )
    edited = await bot.edit_message_text(
        "Status: <b>diproses</b>", 5, msg.message_id, parse_mode="HTML"
    )
    assert edited.text == "Status: diproses" and edited.reply_markup is None  # keyboard removed
    await bot.edit_message_reply_markup(5, msg.message_id, reply_markup=keyboard(("B", "b")))
    current = botapi.message(5, msg.message_id)
    assert current is not None
    assert current["text"] == "Status: diproses" and "edit_date" in current
    assert inline_buttons(current) == [{"text": "B", "callback_data": "b"}]
    stored = botapi.stored_message(5, msg.message_id)
    assert stored is not None and len(stored.history) == 2
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", 5, 999)
    assert await bot.delete_message(5, msg.message_id)
    assert botapi.message(5, msg.message_id) is None
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(5, msg.message_id)


# PTB itself warns about RetryAfter.retry_after becoming a timedelta in v23.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_simulated_failures(
    bot: Bot,
    botapi: BotApiServer,  # noqa: F811
) -> None:
    botapi.block_chat(77)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(77, "halo")
    with pytest.raises(Forbidden):
        await bot.send_photo(77, PNG_1x1)
    botapi.unblock_chat(77)
    botapi.flood("sendMessage", count=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(RetryAfter, match="Retry in 7"):
            await bot.send_message(77, "halo")
    await bot.send_message(77, "akhirnya")
    botapi.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(NetworkError):
        await bot.send_message(77, "x")
    botapi.fail_next(None, 400, "Bad Request: chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(77)
    failed = botapi.calls[-1]
    assert (failed.method, failed.status, failed.ok) == ("getChat", 400, False)


async def test_upload_download_and_media(
    bot: Bot,
    botapi: BotApiServer,  # noqa: F811
) -> None:
    sent = await bot.send_document(9, b"%PDF-1.4 laporan", filename="laporan.pdf", caption="Lap")
    assert sent.document.file_name == "laporan.pdf"
    assert sent.document.mime_type == "application/pdf"
    upload = botapi.uploads[-1]
    assert (upload.content, upload.file_name) == (b"%PDF-1.4 laporan", "laporan.pdf")
    assert botapi.calls[-1].files["document"].filename == "laporan.pdf"

    photo = await bot.send_photo(9, PNG_1x1)
    assert (photo.photo[-1].width, photo.photo[-1].height) == (1, 1)
    file = await bot.get_file(photo.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == PNG_1x1

    file_id, _ = botapi.add_file(b"isi dokumen", "bukti.txt")
    tg_file = await bot.get_file(file_id)
    assert tg_file.file_path.startswith(botapi.base_file_url)
    assert bytes(await tg_file.download_as_bytearray()) == b"isi dokumen"
    big_id, _ = botapi.add_file(b"\0" * (20 * 1024 * 1024 + 1), "besar.bin")
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big_id)
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")

    again = await bot.send_document(STAFF_GROUP, file_id)  # resend by file_id
    assert again.document.file_id == file_id
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await bot.send_photo(STAFF_GROUP, file_id)

    update = botapi.user_document(USER, b"keluhan", file_name="keluhan.docx")
    document = update["message"]["document"]
    assert document["file_name"] == "keluhan.docx"
    assert bytes(await (await bot.get_file(document["file_id"])).download_as_bytearray()) == (
        b"keluhan"
    )


async def test_commands_chat_and_callbacks(
    bot: Bot,
    botapi: BotApiServer,  # noqa: F811
) -> None:
    commands = [BotCommand("start", "Mulai"), BotCommand("tiket", "Buat tiket")]
    await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand("help", "Help")], language_code="en")
    assert botapi.commands("all_private_chats") == [c.to_dict() for c in commands]
    assert botapi.commands(language_code="en") == [{"command": "help", "description": "Help"}]
    assert botapi.commands() == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])

    botapi.add_user(USER)
    chat = await bot.get_chat(USER["id"])
    assert (chat.type, chat.first_name) == ("private", "Budi")
    botapi.add_group(STAFF_GROUP, "Staf Helpdesk")
    assert (await bot.get_chat(STAFF_GROUP)).title == "Staf Helpdesk"
    botapi.set_member(STAFF_GROUP, USER, "administrator")
    member = await bot.get_chat_member(STAFF_GROUP, USER["id"])
    assert member.status == "administrator"

    with pytest.raises(BadRequest, match="Callback failed"):
        botapi.fail_next("answerCallbackQuery", 400, "Bad Request: callback failed")
        await bot.answer_callback_query("1")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("unknown")


async def test_users_groups_and_membership_updates(
    bot: Bot,
    botapi: BotApiServer,  # noqa: F811
) -> None:
    botapi.add_group(STAFF_GROUP, "Staf Helpdesk", is_forum=True)
    notice = await bot.send_message(STAFF_GROUP, "Tiket #1 baru", message_thread_id=3)
    assert notice.is_topic_message and notice.message_thread_id == 3
    staff = make_user(777, "Sari")
    reply = botapi.group_message(STAFF_GROUP, staff, "sudah ditangani", reply_to=1)
    message = reply["message"]
    assert message["chat"] == {
        "id": STAFF_GROUP,
        "type": "supergroup",
        "title": "Staf Helpdesk",
        "is_forum": True,
    }
    assert message["reply_to_message"]["text"] == "Tiket #1 baru"
    assert message["message_id"] == 2  # one counter per chat for user and bot messages

    photo = botapi.user_photo(USER, PNG_1x1, caption="bukti /lapor")["message"]
    assert photo["caption_entities"][0]["type"] == "bot_command"
    assert len(photo["photo"]) == 2
    with pytest.raises(ValueError, match="no button"):
        botapi.callback(USER, STAFF_GROUP, 1, "nothing")

    blocked = botapi.my_chat_member(USER, blocked=True)
    assert blocked["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(USER["id"], "halo")
    botapi.my_chat_member(USER, blocked=False)
    await bot.send_message(USER["id"], "halo lagi")
    updates = await bot.get_updates()
    assert [u.my_chat_member.new_chat_member.status for u in updates if u.my_chat_member] == [
        "kicked",
        "member",
    ]


async def test_strict_chats_webhook_and_delays() -> None:
    with BotApiServer(strict_chats=True) as server:
        async with server.make_bot() as bot:
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(31337, "siapa?")
            server.add_user(make_user(31337, "Ani", "ani"))
            assert (await bot.send_message("@ani", "halo")).chat.id == 31337

            await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
            assert server.webhook is not None
            assert server.webhook["url"] == "https://example.org/hook"
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates()
            with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
                await bot.set_webhook("http://example.org/hook")
            server.user_message(31337, "pending")
            await bot.delete_webhook(drop_pending_updates=True)
            assert server.pending_updates == 0

            server.delay_next("getMe", 1.0)
            with pytest.raises(TimedOut):
                await bot.get_me(read_timeout=0.1)
            assert (await bot.get_me()).username == "lpse_test_bot"


# --------------------------------------------------------------------------- getUpdates


async def test_get_updates_long_poll_and_offsets(
    bot: Bot,
    botapi: BotApiServer,  # noqa: F811
) -> None:
    first = botapi.user_message(USER, "/start@lpse_test_bot")
    entity = first["message"]["entities"][0]
    assert entity == {"type": "bot_command", "offset": 0, "length": 20}
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"]]
    assert updates[0].message.text == "/start@lpse_test_bot"
    assert botapi.pending_updates == 1  # fetched, not yet confirmed
    assert await bot.get_updates(offset=first["update_id"] + 1, timeout=0) == ()
    assert botapi.pending_updates == 0

    def later() -> None:
        time.sleep(0.2)
        botapi.user_message(USER, "halo")

    threading.Thread(target=later).start()
    started = time.monotonic()
    updates = await bot.get_updates(offset=first["update_id"] + 1, timeout=5)
    assert 0.15 < time.monotonic() - started < 2  # woke up on the new update, not on timeout
    assert updates[0].message.text == "halo"

    started = time.monotonic()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25  # really waited for the timeout

    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(**botapi.bot_kwargs()) as other:
        other_poll = asyncio.create_task(other.get_updates(timeout=0.2))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await polling
        assert await other_poll == ()


# --------------------------------------------------------------------------- Application


async def test_application_polling_end_to_end(
    botapi: BotApiServer,  # noqa: F811
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_html(
            "<b>Selamat datang</b>", reply_markup=keyboard(("Lapor", "lapor"))
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Dicatat")
        await query.edit_message_text(f"Pilihan: {query.data}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text, do_quote=True)

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.document is not None
        data = await (await update.message.document.get_file()).download_as_bytearray()
        await update.message.reply_document(bytes(data).upper(), filename="balik.txt")

    app = (
        Application.builder()
        .token(botapi.token)
        .base_url(botapi.base_url)
        .base_file_url(botapi.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.Document.ALL, document))

    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        try:
            botapi.user_message(USER, "/start")
            welcome = await botapi.wait_for("sendMessage", chat_id=USER["id"])
            assert welcome.text == "Selamat datang"
            assert welcome.buttons == [{"text": "Lapor", "callback_data": "lapor"}]

            botapi.press_button(USER, USER["id"], welcome.message_id, "Lapor")
            edit = await botapi.wait_for("editMessageText")
            assert edit.text == "Pilihan: lapor"
            answered = botapi.answered_callbacks
            assert answered[0]["text"] == "Dicatat" and answered[0]["data"] == "lapor"
            current = botapi.message(USER["id"], welcome.message_id)
            assert current is not None and current["text"] == "Pilihan: lapor"

            update = botapi.user_message(USER, "tolong <dibantu> & cepat")
            echoed = await asyncio.to_thread(
                botapi.wait_for_sync, "sendMessage", chat_id=USER["id"]
            )
            assert echoed.text == "tolong <dibantu> & cepat"
            assert echoed.message is not None
            assert (
                echoed.message["reply_to_message"]["message_id"]
                == (update["message"]["message_id"])
            )

            botapi.user_document(USER, b"isi", file_name="isi.txt")
            reply = await botapi.wait_for("sendDocument")
            assert botapi.file(reply.message["document"]["file_id"]).content == b"ISI"
            await botapi.wait_idle()
            assert botapi.pending_updates == 0
        finally:
            await app.updater.stop()
            await app.stop()


def test_subprocess_bot_and_clean_stop() -> None:
    threads_before = threading.active_count()
    with BotApiServer() as server:
        code = (
            "import asyncio, sys, telegram\n"
            "async def main():\n"
            "    async with telegram.Bot(sys.argv[1], base_url=sys.argv[2]) as bot:\n"
            "        await bot.send_message(99, 'dari proses lain')\n"
            "asyncio.run(main())\n"
        )
        process = subprocess.Popen([sys.executable, "-c", code, server.token, server.base_url])
        try:
            call = server.wait_for_sync("sendMessage", chat_id=99, timeout=30)
            assert call.text == "dari proses lain"
            assert process.wait(timeout=30) == 0
        finally:
            process.kill()
        with pytest.raises(TimeoutError, match="no call matching 'sendPhoto'"):
            server.wait_for_sync("sendPhoto", timeout=0.05)
    assert threading.active_count() == threads_before
    server.stop()  # idempotent
