"""Updates of one chat in order, different chats at the same time."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Chat, Message, Update, User

from bot.update_processor import PerChatUpdateProcessor, chat_key


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE if chat_id > 0 else Chat.SUPERGROUP)
    user = User(abs(chat_id) % 10**9, "Budi", False)
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


def test_chat_key_prefers_the_chat_and_ignores_what_is_not_an_update():
    assert chat_key(_update(1, 777001)) == 777001
    assert chat_key(_update(2, -1001234567890)) == -1001234567890
    assert chat_key(object()) is None


async def test_one_chat_in_order_while_another_chat_goes_ahead():
    processor = PerChatUpdateProcessor()
    gate = asyncio.Event()
    log: list[str] = []

    async def handle(name: str, wait: bool = False) -> None:
        log.append(f"{name} start")
        if wait:
            await gate.wait()  # e.g. a card waiting for the staff group's rate limiter
        log.append(f"{name} end")

    async with processor:
        slow = asyncio.create_task(processor.process_update(_update(1, 1), handle("a1", True)))
        queued = asyncio.create_task(processor.process_update(_update(2, 1), handle("a2")))
        other = asyncio.create_task(processor.process_update(_update(3, 2), handle("b1")))
        await other
        assert log == ["a1 start", "b1 start", "b1 end"]  # chat 2 did not wait for chat 1
        assert processor.chats_in_flight == 1
        gate.set()
        await asyncio.gather(slow, queued)
    assert log[3:] == ["a1 end", "a2 start", "a2 end"]  # chat 1 kept its order
    assert processor.chats_in_flight == 0  # no lock left behind


async def test_a_failing_update_releases_its_chat():
    processor = PerChatUpdateProcessor()

    async def boom() -> None:
        raise RuntimeError("handler failed")

    async def fine() -> str:
        return "ok"

    async with processor:
        with pytest.raises(RuntimeError):
            await processor.process_update(_update(1, 5), boom())
        await asyncio.wait_for(processor.process_update(_update(2, 5), fine()), 1)
    assert processor.chats_in_flight == 0
