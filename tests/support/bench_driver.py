"""Simulated Telegram users for the benchmarks: a timed Bot API server and users walking /lapor.

Shared by ``bench/telegram_throughput.py`` and ``bench/surge.py`` (and the surge e2e test):
:class:`TimedServer` simulates the round trip to Telegram and reports each message the moment
it arrives; :class:`Router` hands them to the simulated chats; :func:`drive` walks one chat
through its steps, waiting for each answer.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.support.botapi import BotApiServer, inline_buttons

NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{5}")
DESCRIPTION = (
    "Saat mengunggah dokumen penawaran pada tender 1234-5678 muncul pesan error 500 dan "
    "halaman kembali ke awal. Sudah dicoba dengan Chrome dan Firefox, hasilnya sama."
)


@dataclass(frozen=True)
class Step:
    """One update a user sends and the reply they wait for.

    Attributes:
        kind: ``say`` (a text message) or ``press`` (the inline button labelled ``value``).
        value: The text (``{ticket}`` becomes the chat's latest ticket number) or the label.
        expect: A substring of the bot's ``sendMessage`` that answers it.
        reply: Send the text as a Telegram reply to the bot's "ticket created" message (so a
            user with several open tickets is not asked which one it is about).
    """

    kind: str
    value: str
    expect: str
    reply: bool = False


LPSE_FLOW: tuple[Step, ...] = (
    Step("say", "/start", "Selamat datang"),
    Step("press", "📝 Lapor masalah", "Jenis laporan"),
    Step("press", "Permasalahan", "Peran Anda"),
    Step("press", "Penyedia", "Aplikasi/modul"),
    Step("press", "SPSE (Aplikasi SPSE 4.5)", "Kode tender/paket"),
    Step("say", "1234-5678", "Kode/pesan error"),
    Step("say", "ERR-500 saat unggah", "Judul singkat"),
    Step("say", "Gagal unggah dokumen penawaran", "Deskripsi"),
    Step("say", DESCRIPTION, "Bagian deskripsi diterima"),
    Step("press", "Lanjut ➡️", "Tingkat urgensi"),
    Step("press", "Mendesak", "Dampak"),
    Step("press", "Besar", "Tangkapan layar"),
    Step("press", "✅ Selesai unggah", "Nama kontak"),
    Step("press", "Pakai nama: Budi Santoso", "Email"),
    Step("say", "budi@contoh.co.id", "Nomor telepon"),
    Step("say", "0812-3456-7890", "Ringkasan laporan"),
    Step("press", "✅ Kirim", "nomor tiket"),
    Step("say", "/tiket", "Tiket Anda"),
    Step("say", "Mohon dibantu, tender ditutup besok pukul 10.00.", "diteruskan", reply=True),
    Step("say", "/tiket {ticket}", "Riwayat"),
)


@dataclass(frozen=True)
class Reply:
    arrived: float
    message_id: int
    text: str


@dataclass
class Chat:
    """One user's private chat: replies routed to it and the buttons it can press."""

    user: dict[str, Any]
    inbox: asyncio.Queue[Reply] = field(default_factory=asyncio.Queue)
    buttons: dict[str, tuple[int, str]] = field(default_factory=dict)  # label: (message, data)
    ticket: str = ""
    ticket_message: int = 0

    @property
    def chat_id(self) -> int:
        return int(self.user["id"])


class TimedServer(BotApiServer):
    """The fake Bot API, reporting each message send or edit the moment it arrives."""

    listener: Callable[[float, str, dict[str, Any], Any], None] | None = None
    latency: float = 0.0
    """Seconds of network round trip to simulate: half before a call arrives, half after."""

    async def _execute(self, method: str, params: dict[str, Any], files: Any) -> Any:
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        arrived = time.monotonic()
        answer = await super()._execute(method, params, files)
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        if self.listener is not None and method in (
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
        ):
            self.listener(arrived, method, params, answer[0])
        return answer


class Router:
    """Hands what the bot sends (seen on the server thread) to the chats, on the bench loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.chats: dict[int, Chat] = {}

    def from_server(
        self, arrived: float, method: str, params: dict[str, Any], result: Any
    ) -> None:
        try:
            chat_id = int(params.get("chat_id", 0))
        except (TypeError, ValueError):
            return
        if chat_id not in self.chats:
            return  # the staff group
        if method == "sendMessage":
            message_id, text = int(result["message_id"]), str(result.get("text") or "")
        else:
            message_id, text = int(params.get("message_id") or 0), ""
        buttons = [
            (str(b["text"]), str(b["callback_data"]))
            for b in inline_buttons(params.get("reply_markup"))
            if "callback_data" in b
        ]
        self.loop.call_soon_threadsafe(
            self._deliver, chat_id, arrived, method, message_id, text, buttons
        )

    def _deliver(
        self,
        chat_id: int,
        arrived: float,
        method: str,
        message_id: int,
        text: str,
        buttons: list[tuple[str, str]],
    ) -> None:
        chat = self.chats[chat_id]
        for label in [k for k, (mid, _) in chat.buttons.items() if mid == message_id]:
            del chat.buttons[label]
        for label, data in buttons:
            chat.buttons[label] = (message_id, data)
        if method == "sendMessage":
            chat.inbox.put_nowait(Reply(arrived, message_id, text))


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    last_reply: float = 0.0
    failures: list[str] = field(default_factory=list)


async def drive(
    api: BotApiServer, chat: Chat, steps: Sequence[Step], patience: float, outcome: Outcome
) -> None:
    """Send each step, wait for its reply, record the latency; give up on a chat at a failure."""
    for index, step in enumerate(steps):
        try:
            sent = time.monotonic()
            if step.kind == "say":
                text = step.value.format(ticket=chat.ticket)
                reply_to = chat.ticket_message if step.reply else None
                api.user_message(chat.user, text, reply_to=reply_to)
            else:
                message_id, data = chat.buttons[step.value]
                api.callback(chat.user, chat.chat_id, message_id, data)
            deadline = sent + patience
            while True:
                reply = await asyncio.wait_for(chat.inbox.get(), deadline - time.monotonic())
                if step.expect in reply.text:
                    break
        except (KeyError, ValueError, TimeoutError) as exc:
            what = "timeout" if isinstance(exc, TimeoutError) else repr(exc)
            outcome.failures.append(f"chat {chat.chat_id} step {index + 1} {step.value!r}: {what}")
            return
        outcome.latencies.append(reply.arrived - sent)
        outcome.last_reply = max(outcome.last_reply, reply.arrived)
        found = NUMBER.search(reply.text)
        if found and step.expect == "nomor tiket":
            chat.ticket, chat.ticket_message = found.group(0), reply.message_id
