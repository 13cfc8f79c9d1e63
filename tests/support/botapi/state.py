"""Everything the fake Telegram "knows": users, chats, members, messages and pending updates.

Telegram keeps this state on its side and the bot only sees it through requests and updates;
here it lives in one object so a test can both change it (a user writes, a group is upgraded)
and read it (what the bot sent). Requests are answered on the server thread while tests call
in from theirs, so every read and write holds :attr:`ApiState._lock` (re-entrant: a public
method may call another).

The pending updates behave like Telegram's queue for ``getUpdates``: an update stays until a
later call confirms it with a higher ``offset``, updates of a type the bot did not ask for are
dropped, and ``chat_member``/reactions come only when asked for explicitly.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tests.support.botapi.model import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    ApiCall,
    ApiError,
    JSONDict,
    StoredFile,
    StoredMessage,
    UserLike,
    bad,
    make_user,
)

if TYPE_CHECKING:
    from tests.support.botapi.faults import Fault

HANDLERS: dict[str, str] = {}
"""Bot API method name -> name of the server method that answers it (see :func:`api_method`)."""

_F = TypeVar("_F", bound=Callable[..., Any])

OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
"""Update types Telegram leaves out unless they are requested explicitly."""

AGAIN = "__redelivered__"
"""Marks an update delivered again, so the offset already confirmed does not drop it."""


def api_method(name: str) -> Callable[[_F], _F]:
    """Register a server method as the handler of Bot API method ``name``.

    Handlers take ``(params, files)`` and run under the state lock. Names are case-insensitive
    on Telegram, so the transport looks them up lower-cased.
    """

    def register(function: _F) -> _F:
        HANDLERS[name] = function.__name__
        return function

    return register


class ApiState:
    """The fake's data and the lookups every Bot API method needs.

    Args:
        token: The only token accepted; its number is the bot's user id.
        bot_username: Username of the bot user (``getMe``).
        bot_first_name: First name of the bot user.
        host: Interface the transport listens on.
        strict_ampersand: Reject a bare ``&`` in HTML (see :mod:`tests.support.botapi_html`).
        strict_chats: Answer ``chat not found`` for chats no test registered (users seen in
            updates, ``add_user``, ``add_group``); off by default for convenience.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = "LPSE Test Bot",
        host: str = "127.0.0.1",
        strict_ampersand: bool = True,
        strict_chats: bool = False,
    ) -> None:
        self.token = token
        self.host = host
        self.strict_ampersand = strict_ampersand
        self.strict_chats = strict_chats
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self._bot: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._lock = threading.RLock()
        # Requests (transport, inspection).
        self._seq = 0
        self._calls: list[ApiCall] = []
        self._consumed: set[int] = set()
        self._inflight = 0
        self._last_activity = 0.0
        # Updates waiting for getUpdates.
        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._webhook: JSONDict | None = None
        # Chats (chats.py) and their messages (messages.py).
        self._users: dict[int, JSONDict] = {}
        self._groups: dict[int, JSONDict] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._blocked: dict[int, str] = {}  # chat id -> 403 description
        self._migrated: dict[int, int] = {}  # old group id -> the supergroup it became
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._next_message_id: dict[int, int] = {}
        self._callbacks: dict[str, JSONDict] = {}
        self._callback_counter = 0
        self._answered: list[JSONDict] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._faults: list[Fault] = []  # faults.py
        # Files (files.py).
        self._files: dict[str, StoredFile] = {}
        self._file_counter = 0

    @property
    def bot_user(self) -> JSONDict:
        """The bot's ``User`` as ``getMe`` returns it."""
        return dict(self._bot)

    @property
    def bot_id(self) -> int:
        """The bot's user id (the number before ``:`` in the token)."""
        return int(self._bot["id"])

    @property
    def bot_username(self) -> str:
        """The bot's username, without ``@``."""
        return str(self._bot["username"])

    # ------------------------------------------------------------------ chats and users

    def _user(self, user: UserLike) -> JSONDict:
        """Register ``user`` (an id or a User dict) and return a copy of what is known."""
        with self._lock:
            if isinstance(user, int):
                known = self._users.get(user) or make_user(user, f"User {user}")
            else:
                known = dict(user)
                known.setdefault("is_bot", False)
                known.setdefault("first_name", f"User {known['id']}")
            self._users[int(known["id"])] = known
            return dict(known)

    def _resolve_chat(self, value: Any, *, name: str = "chat_id") -> int:
        """Turn a ``chat_id`` parameter into an int id, as Telegram does (``@username`` too)."""
        if value is None or value == "":
            raise bad(f"{name} is empty")
        if isinstance(value, bool):
            raise bad("chat not found")
        if isinstance(value, int):
            chat_id = value
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            chat_id = int(value)
        elif isinstance(value, str) and value.startswith("@"):
            wanted = value[1:].lower()
            for known in [*self._users.values(), *self._groups.values()]:
                if str(known.get("username", "")).lower() == wanted:
                    return int(known["id"])
            raise bad("chat not found")
        else:
            raise bad("chat not found")
        if chat_id == 0 or (self.strict_chats and not self._chat_known(chat_id)):
            raise bad("chat not found")
        return chat_id

    def _chat_known(self, chat_id: int) -> bool:
        return chat_id in self._users if chat_id > 0 else chat_id in self._groups

    def _chat(self, chat_id: int) -> JSONDict:
        """The ``Chat`` object: private for positive ids, supergroup for negative ones."""
        if chat_id > 0:
            user = self._users.get(chat_id) or make_user(chat_id, f"User {chat_id}")
            chat: JSONDict = {"id": chat_id, "type": "private"}
            for key in ("first_name", "last_name", "username"):
                if user.get(key):
                    chat[key] = user[key]
            return chat
        group = self._groups.get(chat_id) or {"type": "supergroup", "title": f"Group {chat_id}"}
        chat = {"id": chat_id, "type": group["type"], "title": group["title"]}
        if group.get("username"):
            chat["username"] = group["username"]
        if group.get("is_forum"):
            chat["is_forum"] = True
        return chat

    def _check_blocked(self, chat_id: int) -> None:
        """Refuse a send like Telegram: 400 + ``migrate_to_chat_id`` after an upgrade, 403
        after the user blocked the bot or a group removed it."""
        new_id = self._migrated.get(chat_id)
        if new_id is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new_id},
            )
        description = self._blocked.get(chat_id)
        if description is not None:
            raise ApiError(403, description)

    def _forbidden(self, chat_id: int, status: str = "kicked") -> str:
        """Telegram's 403 description for a chat the bot was blocked in or removed from."""
        if chat_id > 0:
            return "Forbidden: bot was blocked by the user"
        kind = self._chat(chat_id)["type"]
        if status == "left":
            return f"Forbidden: bot is not a member of the {kind} chat"
        return f"Forbidden: bot was kicked from the {kind} chat"

    # ------------------------------------------------------------------ messages

    def _new_message(
        self, chat_id: int, sender: JSONDict, thread_id: Any = None, date: int | None = None
    ) -> JSONDict:
        """A new Message in ``chat_id``; ids count up per chat, as on Telegram."""
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message: JSONDict = {
            "message_id": message_id,
            "from": dict(sender),
            "chat": self._chat(chat_id),
            "date": date if date is not None else int(time.time()),
        }
        if thread_id:
            message["message_thread_id"] = int(thread_id)
            if self._groups.get(chat_id, {}).get("is_forum"):
                message["is_topic_message"] = True
        return message

    def _stored(self, chat_id: int, message_id: Any) -> StoredMessage | None:
        """The stored message, or ``None`` when unknown or deleted."""
        try:
            key = (chat_id, int(message_id))
        except (TypeError, ValueError):
            return None
        stored = self._messages.get(key)
        return None if stored is None or stored.deleted else stored

    @staticmethod
    def _as_reply(stored: StoredMessage) -> JSONDict:
        reply = copy.deepcopy(stored.message)
        reply.pop("reply_to_message", None)  # Telegram does not nest replies
        return reply

    # ------------------------------------------------------------------ the update queue

    def _notify_updates(self) -> None:
        """Called after an update is queued; the transport wakes a waiting long poll."""

    def _enqueue(self, kind: str, payload: JSONDict) -> JSONDict:
        """Queue an update of ``kind`` for ``getUpdates``; returns a copy of it."""
        with self._lock:
            update = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
            self._next_update_id += 1
            self._updates.append(update)
            result = copy.deepcopy(update)
        self._notify_updates()
        return result

    def _confirm(self, offset: int) -> None:
        """Drop what ``offset`` confirms, as ``getUpdates`` does."""
        if offset > 0:
            # A redelivered update survives one confirmation (it comes back with an old id).
            self._updates = [u for u in self._updates if u["update_id"] >= offset or u.get(AGAIN)]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _take_updates(self, limit: int) -> list[JSONDict]:
        """Up to ``limit`` pending updates of the allowed types (they stay until confirmed)."""
        allowed = self._allowed_updates
        kept: list[JSONDict] = []
        for update in self._updates:
            kind = next(key for key in update if key != "update_id")
            wanted = kind in allowed if allowed else kind not in OPT_IN_UPDATES
            if wanted:
                kept.append(update)
        self._updates = kept  # not allowed: dropped for good, as Telegram does
        batch = copy.deepcopy(kept[:limit])
        for update in kept[:limit]:
            update.pop(AGAIN, None)
        for update in batch:
            update.pop(AGAIN, None)
        return batch
