"""Argument parsing and the pieces of staff commands that need no Telegram."""

from __future__ import annotations

import pytest
from telegram import Message

from bot.handlers.commands_menu import STAFF_COMMANDS
from bot.handlers.staff import COMMANDS, _attachments_of
from bot.handlers.staff_command import Usage, arguments, ticket_number


def message(**fields: object) -> Message:
    data = {
        "message_id": 12,
        "date": 0,
        "chat": {"id": -100123, "type": "supergroup", "title": "Staf"},
        **fields,
    }
    return Message.de_json(data, None)


def test_the_last_argument_keeps_its_spaces_and_line_breaks():
    msg = message(text="/balas  BTG-2026-1  Baris satu,\n  baris *dua* & <tiga>")
    assert arguments(msg, 2) == ["BTG-2026-1", "Baris satu,\n  baris *dua* & <tiga>"]
    assert arguments(message(text="/antrian"), 1) == []


def test_ticket_numbers_are_normalised_or_refused_with_usage():
    assert ticket_number("btg-2026-42") == "BTG-2026-00042"
    with pytest.raises(Usage) as caught:
        ticket_number("42")
    assert caught.value.key == "staf_pakai.nomor_salah"
    assert caught.value.context == {"teks": "42"}


def test_a_photo_reply_becomes_a_staff_attachment_of_its_largest_size():
    small = {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90}
    large = {"file_id": "large", "file_unique_id": "l", "width": 800, "height": 800,
             "file_size": 5000}  # fmt: skip
    (photo,) = _attachments_of(message(photo=[small, large]))
    assert (photo.source, photo.telegram_file_id, photo.size) == ("staf", "large", 5000)
    assert photo.mime_type == "image/jpeg"
    doc = {"file_id": "d1", "file_unique_id": "d", "file_name": "a&b.pdf",
           "mime_type": "application/pdf"}  # fmt: skip
    (document,) = _attachments_of(message(document=doc))
    assert (document.file_name, document.mime_type) == ("a&b.pdf", "application/pdf")
    assert _attachments_of(message(text="teks")) == []


def test_the_staff_menu_lists_exactly_the_staff_commands():
    # bot.deadlines, bot.handlers.health_command, bot.handlers.kb_staff, bot.web.component
    elsewhere = {"laporan", "kesehatan", "faq", "cari", "dasbor"}
    assert [name for name, _ in STAFF_COMMANDS if name not in elsewhere] == list(COMMANDS)
    assert elsewhere <= {name for name, _ in STAFF_COMMANDS}
