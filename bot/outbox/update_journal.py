"""Updates written to the database before Telegram learns they arrived (polling and webhook).

python-telegram-bot's Updater asks for the next updates (confirming the offset of the last
ones) as soon as it queued them, before they are handled: a crash in between would lose them
(the "Kirim" a user just pressed, and so their ticket). The getUpdates request of the bot is a
:class:`JournalingRequest`: it writes each update to ``processed_updates`` before returning it
to the Updater; at start the outbox component puts back in the queue those never handled; the
update processor marks each handled and drops one handled before (see
:mod:`bot.update_processor`).

In webhook mode Telegram learns an update arrived from the ``200`` answer to its post, which
python-telegram-bot's webhook handler gives once it has put the update in the Application's
queue. That queue is a :class:`JournalingQueue`: its ``put`` writes the update first, so a
crash after the answer still finds it at start; a journal that cannot be written fails the
post (``500``), and Telegram posts the update again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

from bot.clock import utc_now
from bot.storage.telegram_outbox import TelegramOutboxStore

log = logging.getLogger(__name__)


class JournalingRequest(HTTPXRequest):
    """The ``getUpdates`` request: journals every update it returns.

    ``store`` is set once the database is open (``post_init``); before that nothing polls.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("connection_pool_size", 1)
        super().__init__(**kwargs)
        self.store: TelegramOutboxStore | None = None

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, method, *args, **kwargs)
        if self.store is not None and code == 200 and url.endswith("/getUpdates"):
            try:
                updates = json.loads(payload).get("result") or []
            except (ValueError, AttributeError):
                return code, payload
            rows = [
                (int(u["update_id"]), json.dumps(u, ensure_ascii=False))
                for u in updates
                if isinstance(u, dict) and "update_id" in u
            ]
            if rows:
                await self.store.journal_updates(rows, utc_now())
        return code, payload


class JournalingQueue(asyncio.Queue[object]):
    """The Application's update queue in webhook mode: journals each update it is given.

    ``store`` is set once the database is open (``post_init``), before the webhook listens.
    Updates put back at start (those never handled) are already journaled: writing them again
    changes nothing.
    """

    def __init__(self) -> None:
        super().__init__()
        self.store: TelegramOutboxStore | None = None

    async def put(self, item: object) -> None:
        if self.store is not None and isinstance(item, Update):
            payload = json.dumps(item.to_dict(), ensure_ascii=False)
            await self.store.journal_updates([(item.update_id, payload)], utc_now())
        await super().put(item)
