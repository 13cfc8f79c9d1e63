"""The helpers every handler shares: who acts on an update, and the file a message carries."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Message, Update

from bot.context import by_of
from bot.conversations.common import FileTooLarge, NotAFile, attachment_from
from bot.workflow import By

USER = {"id": 42, "is_bot": False, "first_name": "Budi", "last_name": "Santoso"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Budi"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Staf"}


def update(**message: Any) -> Update:
    data = {"message_id": 7, "date": 0, "chat": GROUP, **message}
    return Update.de_json({"update_id": 1, "message": data}, None)


def message(**fields: Any) -> Message:
    return Message.de_json({"message_id": 7, "date": 0, "chat": PRIVATE, **fields}, None)


def test_the_sender_of_a_message_acts_in_any_chat() -> None:
    assert by_of(update(**{"from": USER})) == By(42, "Budi Santoso")
    assert by_of(update(chat=PRIVATE, **{"from": USER})) == By(42, "Budi Santoso")


def test_without_a_sender_a_private_chat_names_its_owner_and_a_group_nobody() -> None:
    assert by_of(update(chat=PRIVATE)) == By(42, None)
    assert by_of(update()) == By()
    assert by_of(None) == By()  # a job, or an error outside an update


def test_a_photo_is_named_by_its_unique_id_so_a_redelivered_update_names_it_the_same() -> None:
    small = {"file_id": "s1", "file_unique_id": "uS", "width": 90, "height": 90}
    large = {"file_id": "l1", "file_unique_id": "uL", "width": 800, "height": 800}
    first = attachment_from(message(photo=[small, large]))
    again = attachment_from(message(message_id=99, photo=[small, large]))
    assert first.file_name == again.file_name == "foto_uL.jpg"
    assert (first.telegram_file_id, first.source) == ("l1", "pengguna")


def test_staff_files_are_not_limited_and_user_files_are() -> None:
    big = {"file_id": "d1", "file_unique_id": "uD", "file_size": 30 * 1024 * 1024}
    with pytest.raises(FileTooLarge):
        attachment_from(message(document=big))
    staff = attachment_from(message(document=big), source="staf", max_bytes=None)
    assert (staff.file_name, staff.source, staff.size) == ("dokumen_uD", "staf", big["file_size"])
    with pytest.raises(NotAFile):
        attachment_from(message(text="teks"))
