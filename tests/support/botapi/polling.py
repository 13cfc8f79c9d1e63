"""How updates reach the bot: ``getUpdates`` long polling, or a webhook that is set.

Telegram holds a ``getUpdates`` request open for up to ``timeout`` seconds and answers as soon
as an update arrives; it allows one such request at a time (a second one ends the first with
409 "terminated by other getUpdates request", which is how two running copies of a bot show
up) and refuses ``getUpdates`` while a webhook is set (409 again). An update is delivered
until a later call confirms it with a higher ``offset``; a webhook retry or a lost offset
delivers one again (:meth:`UpdateDelivery.redeliver`).

Updates are queued by the tests' threads and the long poll waits on the server's event loop;
the hand-off between them is :meth:`UpdateDelivery._notify_updates`. A long poll returns by
its deadline whatever happens: when woken, when the timeout passes, when a newer poll takes
over, when its client goes away, or when the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from dataclasses import dataclass
from typing import Any

from tests.support.botapi.model import ApiError, Described, Files, JSONDict, bad
from tests.support.botapi.state import AGAIN, ApiState, api_method


@dataclass
class _Poll:
    """The getUpdates request currently waiting (Telegram allows one at a time)."""

    future: asyncio.Future[None]
    conflict: bool = False


class UpdateDelivery(ApiState):
    """``getUpdates``, ``setWebhook``/``deleteWebhook`` and the wake-up of a waiting poll."""

    _loop: asyncio.AbstractEventLoop | None = None
    """The server's event loop while it runs (set by the transport)."""
    _poll: _Poll | None = None
    _closing = False

    def _wake_poll(self) -> None:
        """Resolve the waiting long poll (runs on the server loop)."""
        poll = self._poll
        if poll is not None and not poll.future.done():
            poll.future.set_result(None)

    def _notify_updates(self) -> None:
        """Wake the long poll from any thread, after an update was queued."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # RuntimeError: the loop closed in between, so nobody is polling any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_poll)

    @api_method("getUpdates")
    async def _get_updates(self, p: JSONDict) -> list[JSONDict]:
        """Long polling: answer at once if updates are pending, else wait up to ``timeout``."""
        offset = int(p.get("offset") or 0)
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = max(float(p.get("timeout") or 0), 0.0)
        with self._lock:
            if self._webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            allowed = p.get("allowed_updates")
            if isinstance(allowed, list):
                self._allowed_updates = [str(kind) for kind in allowed] or None
            self._confirm(offset)
            batch = self._take_updates(limit)
        if batch or timeout == 0 or self._closing:
            return batch
        loop = asyncio.get_running_loop()
        if self._poll is not None:  # Telegram terminates the older request
            self._poll.conflict = True
            self._wake_poll()
        poll = _Poll(loop.create_future())
        self._poll = poll
        deadline = loop.time() + timeout
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0 or self._closing:
                    return []
                try:
                    await asyncio.wait_for(asyncio.shield(poll.future), remaining)
                except TimeoutError:
                    return []
                if poll.conflict:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                poll.future = loop.create_future()
                with self._lock:
                    batch = self._take_updates(limit)
                if batch or self._closing:
                    return batch
        finally:
            if self._poll is poll:
                self._poll = None

    @api_method("setWebhook")
    def _set_webhook(self, p: JSONDict, files: Files) -> Any:
        url = str(p.get("url") or "")
        if not url:
            self._webhook = None
            return Described(True, "Webhook was deleted")
        if not url.startswith("https://"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {
            "url": url,
            "max_connections": int(p.get("max_connections") or 40),
            "allowed_updates": p.get("allowed_updates"),
            "secret_token": p.get("secret_token"),
        }
        return Described(True, "Webhook was set")

    @api_method("deleteWebhook")
    def _delete_webhook(self, p: JSONDict, files: Files) -> Any:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        existed, self._webhook = self._webhook is not None, None
        return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    # ------------------------------------------------------------------ test side

    def redeliver(self, update: JSONDict) -> None:
        """Deliver ``update`` again with its ``update_id`` (a webhook retry, a lost offset)."""
        with self._lock:
            self._updates.append({**copy.deepcopy(update), AGAIN: True})
        self._notify_updates()

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by ``getUpdates``."""
        with self._lock:
            return len(self._updates)

    @property
    def webhook(self) -> JSONDict | None:
        """The webhook set with ``setWebhook`` (updates are not pushed to it)."""
        with self._lock:
            return copy.deepcopy(self._webhook)
