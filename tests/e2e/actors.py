"""The people around the bot, driven from outside: an SPSE user, LPSE staff, LKPP's helpdesk.

Each actor only does what its real counterpart can do: a user types and presses buttons in a
private chat, staff do the same in the staff group, LKPP sends email (appended to the IMAP
mailbox) and reads what reached its SMTP server. Every wait is on an observable effect, with a
timeout; nothing sleeps a fixed time.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from tests.support.botapi import ApiCall, BotApiServer, inline_buttons, make_user
from tests.support.mailservers import CapturedMessage, ImapTestServer, SmtpTestServer

from .harness import STAFF_CHAT_ID

NUMBER = re.compile(r"BTG-\d{4}-\d{5}")
_SHOWN = ("sendMessage", "editMessageText", "sendDocument", "sendPhoto", "editMessageCaption")

#: Big enough for the bot to start, poll once and answer on a loaded 2-core machine.
WAIT = 20.0


def _text(call: ApiCall) -> str:
    return call.text or str(call.params.get("caption") or "")


def _message_text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


@dataclass
class _Chat:
    api: BotApiServer
    user: dict[str, Any]
    chat_id: int

    def expect(self, contains: str, within: float = WAIT) -> ApiCall:
        """The next message the bot shows in this chat (sent or edited) containing ``contains``."""
        return self.api.wait_for_sync(
            lambda c: c.method in _SHOWN and contains in _text(c),
            chat_id=self.chat_id,
            timeout=within,
        )

    def told(self, contains: str, within: float = WAIT) -> ApiCall:
        """The bot says ``contains`` here: a message, an edit, or the toast of a button press."""

        def matches(call: ApiCall) -> bool:
            if call.method == "answerCallbackQuery":
                return contains in str(call.params.get("text") or "")
            return (
                call.chat_id == self.chat_id and call.method in _SHOWN and contains in _text(call)
            )

        return self.api.wait_for_sync(matches, timeout=within)

    def answer(self, within: float = WAIT) -> str:
        """Text of the bot's next answer to a button press (a toast; may be empty)."""
        call = self.api.wait_for_sync("answerCallbackQuery", timeout=within)
        return str(call.params.get("text") or "")

    def newest_with(
        self, label: str, contains: str = "", within: float = WAIT, message_id: int | None = None
    ) -> int:
        """Id of the newest message here (or ``message_id``) with a ``label`` button (and
        ``contains``), once shown: buttons and edits arrive through the outbox."""
        deadline = time.monotonic() + within
        while True:
            messages = (
                [self.api.message(self.chat_id, message_id)]
                if message_id is not None
                else reversed(self.api.messages(self.chat_id))
            )
            for message in messages:
                if message is None:  # not sent yet
                    continue
                labels = [b.get("text") for b in inline_buttons(message)]
                if label in labels and contains in _message_text(message):
                    return int(message["message_id"])
            if time.monotonic() > deadline:
                raise AssertionError(f"no message with a {label!r} button and {contains!r}")
            time.sleep(0.05)

    def press(
        self,
        label: str,
        contains: str = "",
        *,
        message_id: int | None = None,
        within: float = WAIT,
    ) -> None:
        """Press ``label`` on the newest message with it (or on ``message_id``) once it shows."""
        message_id = self.newest_with(label, contains, within, message_id)
        self.api.press_button(self.user, self.chat_id, message_id, label)

    def texts(self) -> str:
        """Everything the bot has shown in this chat, as it reads now."""
        return "\n".join(_message_text(m) for m in self.api.messages(self.chat_id))


class User(_Chat):
    """An SPSE user in the private chat with the bot."""

    def __init__(self, api: BotApiServer, user_id: int = 777001, first: str = "Budi") -> None:
        user = make_user(user_id, first, f"{first.lower()}_penyedia", last_name="Santoso")
        super().__init__(api, user, user_id)

    def say(self, text: str, **kwargs: Any) -> None:
        self.api.user_message(self.user, text, **kwargs)

    def photo(self, content: bytes, **kwargs: Any) -> None:
        self.api.user_photo(self.user, content, **kwargs)

    def document(self, content: bytes, **kwargs: Any) -> None:
        self.api.user_document(self.user, content, **kwargs)

    def confirms_solved(self) -> None:
        """Masalah selesai on the newest solution message: the ticket is closed."""
        self.press("✅ Masalah selesai")
        self.expect("ditutup")

    def describe(
        self,
        title: str,
        description: str,
        *,
        package: str | None = "12345678",
        error: str | None = "ERR-500",
    ) -> None:
        """Walk ``/lapor`` from the start through the description (``None``: "Lewati")."""
        self.say("/lapor")
        self.expect("Jenis laporan")
        self.press("Permasalahan")
        self.expect("Peran Anda")
        self.press("Penyedia")
        self.expect("Aplikasi/modul")
        self.press("SPSE (Aplikasi SPSE 4.5)")
        for question, answer in (("Kode tender/paket", package), ("Kode/pesan error", error)):
            self.expect(question)
            if answer is None:
                self.press("Lewati")
            else:
                self.say(answer)
        self.expect("Judul singkat")
        self.say(title)
        self.expect("Deskripsi")
        self.say(description)
        self.expect("Bagian deskripsi diterima")
        self.press("Lanjut ➡️")

    def report(self, title: str, *, screenshot: bytes | None = None) -> str:
        """Walk ``/lapor`` to the end (SOP intake) and return the ticket number."""
        self.describe(
            title, f"{title}: muncul pesan error 500 saat unggah dokumen penawaran <b>&amp;</b>."
        )
        return self.finish_report(screenshot=screenshot)

    def finish_report(self, *, screenshot: bytes | None = None) -> str:
        """From the urgency question to Kirim; returns the ticket number."""
        self.expect("Tingkat urgensi")
        self.press("Mendesak")
        self.expect("Dampak")
        self.press("Besar")
        self.expect("Tangkapan layar")
        if screenshot is not None:
            self.photo(screenshot)
            self.expect("diterima (1 lampiran)")
        self.press("✅ Selesai unggah")
        self.expect("Nama kontak")
        self.press("Pakai nama: Budi Santoso")
        self.expect("Email")
        self.say("budi@contoh.co.id")
        self.expect("Nomor telepon")
        self.say("0812-3456-7890")
        self.expect("Ringkasan")
        self.press("✅ Kirim")
        created = self.expect("nomor tiket")
        match = NUMBER.search(_text(created))
        assert match, _text(created)
        return match.group(0)


class Staff(_Chat):
    """An LPSE staff member in the staff group."""

    def __init__(self, api: BotApiServer, user_id: int = 5001, first: str = "Sari") -> None:
        super().__init__(api, make_user(user_id, first, f"{first.lower()}_lpse"), STAFF_CHAT_ID)

    @property
    def name(self) -> str:
        return str(self.user["first_name"])

    def say(self, text: str, *, reply_to: int | None = None) -> None:
        self.api.group_message(self.chat_id, self.user, text, reply_to=reply_to)

    def card(self, number: str, within: float = WAIT) -> int:
        """Id of the ticket's card in the group, once it is there."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.api.messages(self.chat_id):
                if number in _message_text(message) and inline_buttons(message):
                    return int(message["message_id"])
            time.sleep(0.05)
        raise AssertionError(f"no card for {number} in the staff group")

    def press_on_card(self, number: str, label: str, within: float = WAIT) -> None:
        """Press ``label`` on the card once the card shows it (edits arrive through the outbox)."""
        self.press(label, message_id=self.card(number), within=within)

    def take(self, number: str) -> None:
        self.press_on_card(number, "🙋 Ambil")
        self.told(f"Tiket {number} diambil oleh {self.name}")

    def solve(self, number: str, note: str) -> None:
        """Selesai on the card, then the solution note as a reply to the bot's prompt."""
        self.press_on_card(number, "✅ Selesai")
        prompt = self.expect(f"catatan penyelesaian tiket {number}")
        assert prompt.message_id is not None
        self.say(note, reply_to=prompt.message_id)
        self.told(f"Tiket {number} ditandai selesai oleh {self.name}")

    def escalate(self, number: str) -> None:
        """Cannot handle (SOP step 1's clock starts), then Kirim on the draft escalation."""
        self.press_on_card(number, "⛔ Tidak dapat ditangani → Eskalasi")
        self.expect(f"Draf email eskalasi {number}")
        self.press("📤 Kirim eskalasi", number)
        self.told(f"Email eskalasi tiket {number} masuk antrean kirim")


@dataclass
class Lkpp:
    """The LKPP helpdesk: reads the LPSE's mail on SMTP, answers into the LPSE's IMAP mailbox."""

    smtp: SmtpTestServer
    imap: ImapTestServer
    address: str = "helpdesk@lkpp.go.id"
    seen: int = field(default=0)

    def receive(self, kind: str = "", within: float = WAIT) -> CapturedMessage:
        """The next email that reached the SMTP server (and ``kind`` in its subject, if given)."""
        messages = self.smtp.wait_for(self.seen + 1, within)
        message = messages[self.seen]
        self.seen += 1
        assert kind.lower() in message.subject.lower(), message.subject
        return message

    def nothing_more(self) -> None:
        assert len(self.smtp.messages) == self.seen, [m.subject for m in self.smtp.messages]

    def reply(
        self,
        to: CapturedMessage,
        body: str,
        *,
        attachment: tuple[str, str, bytes] | None = None,
    ) -> str:
        """Answer ``to`` in its thread, as LKPP's mail client would; returns the Message-ID."""
        reply = EmailMessage()
        reply["From"] = f"Helpdesk LKPP <{self.address}>"
        reply["To"] = str(to.message["From"])
        reply["Subject"] = "RE: " + to.subject
        reply["Date"] = format_datetime(datetime.now(UTC))
        reply["Message-ID"] = make_msgid(domain="lkpp.go.id")
        reply["In-Reply-To"] = to.message_id
        reply["References"] = " ".join(
            part for part in (str(to.message.get("References", "")), to.message_id) if part
        )
        reply.set_content(body)
        if attachment is not None:
            name, subtype, content = attachment
            reply.add_attachment(content, maintype="application", subtype=subtype, filename=name)
        self.imap.append(reply.as_bytes())
        return str(reply["Message-ID"])
