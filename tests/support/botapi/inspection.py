"""What the bot did, for the test to check: the calls it made, the messages now in each chat.

Every request the bot made is kept with its answer (an :class:`ApiCall`), and every message
with its current state, raw HTML and edit history, so a test can assert on exactly what a
person would see. :meth:`Inspection.wait_for` waits for the bot's next matching call without
blocking the event loop the bot may share with the test; each call it returns is consumed, so
waiting twice for ``sendMessage`` returns two different messages, in order. Every wait has a
deadline and ends with a ``TimeoutError`` listing the latest calls.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Mapping

from tests.support.botapi.messages import SEND_METHODS
from tests.support.botapi.model import ApiCall, JSONDict, Predicate, StoredMessage, UploadedFile
from tests.support.botapi.state import ApiState


class Inspection(ApiState):
    """Reading the recorded calls and messages, and waiting for the bot."""

    @property
    def calls(self) -> list[ApiCall]:
        """Every answered request, in arrival order."""
        with self._lock:
            return sorted(self._calls, key=lambda call: call.seq)

    @property
    def requests(self) -> list[tuple[str, JSONDict, Mapping[str, UploadedFile]]]:
        """``(method, params, files)`` for every answered request, in arrival order."""
        return [(call.method, call.params, call.files) for call in self.calls]

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[ApiCall]:
        """Successful calls that put a message into a chat (``sendMessage``, ``sendPhoto``...).

        Args:
            chat_id: Only this chat.
            method: Only this method (any successful method, e.g. ``editMessageText``).

        Returns:
            Matching calls, oldest first.
        """
        result = []
        for call in self.calls:
            if not call.ok:
                continue
            if method is not None and call.method.lower() != method.lower():
                continue
            if method is None and call.method not in SEND_METHODS:
                continue
            if chat_id is not None and call.chat_id != chat_id:
                continue
            result.append(call)
        return result

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current Message (after edits), or ``None`` if unknown or deleted."""
        with self._lock:
            stored = self._stored(chat_id, message_id)
            return copy.deepcopy(stored.message) if stored else None

    def stored_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Full record of a message, including raw HTML, history and deleted ones."""
        with self._lock:
            stored = self._messages.get((chat_id, message_id))
            return copy.deepcopy(stored)

    def messages(self, chat_id: int) -> list[JSONDict]:
        """All current (not deleted) messages of a chat, user's and bot's, oldest first."""
        with self._lock:
            found = [
                (key[1], copy.deepcopy(stored.message))
                for key, stored in self._messages.items()
                if key[0] == chat_id and not stored.deleted
            ]
        return [message for _, message in sorted(found, key=lambda item: item[0])]

    @property
    def answered_callbacks(self) -> list[JSONDict]:
        """``answerCallbackQuery`` calls: query id, data, from, text, show_alert, url."""
        with self._lock:
            return copy.deepcopy(self._answered)

    def mark(self) -> int:
        """Sequence number of the latest request; pass as ``since=`` to ignore older calls."""
        with self._lock:
            return self._seq

    # ------------------------------------------------------------------ waiting for the bot

    def _find(
        self, what: str | Predicate | None, chat_id: int | None, ok: bool | None, since: int
    ) -> ApiCall | None:
        with self._lock:
            for call in sorted(self._calls, key=lambda c: c.seq):
                if call.seq <= since or call.seq in self._consumed:
                    continue
                if ok is not None and call.ok != ok:
                    continue
                if chat_id is not None and call.chat_id != chat_id:
                    continue
                if isinstance(what, str):
                    if call.method.lower() != what.lower():
                        continue
                elif what is not None:
                    try:
                        if not what(call):
                            continue
                    except Exception:  # e.g. "x" in call.text with text None: no match
                        continue
                self._consumed.add(call.seq)
                return call
        return None

    def _next(
        self, what: str | Predicate | None, chat_id: int | None, ok: bool | None, since: int,
        deadline: float, timeout: float,
    ) -> ApiCall | None:  # fmt: skip
        """One look for the call :meth:`wait_for` waits for; past ``deadline``, give up."""
        call = self._find(what, chat_id, ok, since)
        if call is None and time.monotonic() >= deadline:
            raise TimeoutError(self._timeout_message(what, chat_id, timeout))
        return call

    def _timeout_message(self, what: object, chat_id: int | None, timeout: float) -> str:
        lines = [f"no call matching {what!r} (chat_id={chat_id}) within {timeout}s; latest:"]
        for call in self.calls[-15:]:
            outcome = "ok" if call.ok else f"{call.status} {call.description}"
            text = (call.text or "")[:80]
            lines.append(f"  #{call.seq} {call.method} chat={call.chat_id} {outcome} {text!r}")
        return "\n".join(lines)

    async def wait_for(
        self,
        predicate_or_method: str | Predicate | None,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for polling, not for one await
        ok: bool | None = True,
        since: int = 0,
    ) -> ApiCall:
        """Wait for the next call the bot makes that matches, yielding to the event loop.

        Each returned call is consumed: waiting twice for ``"sendMessage"`` returns two
        different calls, in order. Polls with ``asyncio.sleep(0.01)`` so a bot running in the
        same event loop keeps working meanwhile.

        Args:
            predicate_or_method: A method name, a predicate on :class:`ApiCall`, or ``None``.
            chat_id: Only calls for this chat.
            timeout: Seconds before giving up.
            ok: ``True`` = successful calls only (default, so a call Telegram rejected does
                not satisfy a test), ``False`` = failed only, ``None`` = both.
            since: Ignore calls up to this sequence number (see :meth:`mark`).

        Returns:
            The matching call.

        Raises:
            TimeoutError: Nothing matched in time; the message lists the latest calls.
        """
        deadline = time.monotonic() + timeout
        while True:
            call = self._next(predicate_or_method, chat_id, ok, since, deadline, timeout)
            if call is not None:
                return call
            await asyncio.sleep(0.01)

    def wait_for_sync(
        self,
        predicate_or_method: str | Predicate | None,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,
        ok: bool | None = True,
        since: int = 0,
    ) -> ApiCall:
        """Blocking :meth:`wait_for`, for tests driving a bot subprocess."""
        deadline = time.monotonic() + timeout
        while True:
            call = self._next(predicate_or_method, chat_id, ok, since, deadline, timeout)
            if call is not None:
                return call
            time.sleep(0.01)

    def _idle(self, settle: float, deadline: float, timeout: float) -> bool:
        """Whether the bot is idle (see :meth:`wait_idle`); past ``deadline``, give up."""
        with self._lock:
            quiet = time.monotonic() - self._last_activity >= settle
            if not self._updates and self._inflight == 0 and quiet:
                return True
            pending, inflight = len(self._updates), self._inflight
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"bot not idle after {timeout}s: {pending} update(s) pending, "
                f"{inflight} request(s) in flight"
            )
        return False

    async def wait_idle(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for polling, not for one await
        *,
        settle: float = 0.05,
    ) -> None:
        """Wait until every queued update was fetched *and confirmed* and the bot went quiet.

        Confirmation means a later ``getUpdates`` with a higher ``offset``, which PTB sends
        right after handing updates to the application; ``settle`` then requires no other
        request in flight and none for that long, so handlers had a chance to answer. For a
        specific reply prefer :meth:`wait_for`.

        Args:
            timeout: Seconds before giving up.
            settle: Quiet period required after the last non-``getUpdates`` request.

        Raises:
            TimeoutError: Updates still pending (is the bot polling?) or never quiet.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self._idle(settle, deadline, timeout):
                return
            await asyncio.sleep(0.01)

    def wait_idle_sync(self, timeout: float = 5.0, *, settle: float = 0.05) -> None:
        """Blocking :meth:`wait_idle`, for tests driving a bot subprocess."""
        deadline = time.monotonic() + timeout
        while True:
            if self._idle(settle, deadline, timeout):
                return
            time.sleep(0.01)
