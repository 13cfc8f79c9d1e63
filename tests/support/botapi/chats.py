"""Chats the bot is in: who is a member, who blocked it, and groups upgraded to supergroups.

On Telegram a private chat has the user's id and a group a negative one; a user who blocks the
bot, or a group that removes it, makes every later send fail with 403; a group upgraded to a
supergroup gets a new id, and a send to the old id fails with 400 and ``migrate_to_chat_id``
(PTB raises ``ChatMigrated``). The bot checks a staff member with ``getChatMember`` and its
own place in the staff group with ``getChat``. This module answers those methods and lets a
test set each of these situations up.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from tests.support.botapi.model import Files, JSONDict, UserLike, bad
from tests.support.botapi.state import ApiState, api_method

_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)


def scope_key(scope: Any, language_code: Any) -> tuple[str, str]:
    """Key commands by scope and language, as ``setMyCommands`` does."""
    if hasattr(scope, "to_dict"):
        scope = scope.to_dict()
    if isinstance(scope, str):
        scope = {"type": scope}
    if not isinstance(scope, dict):
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(language_code or "")


class ChatMethods(ApiState):
    """``getMe``, ``getChat``, ``getChatMember``, ``setMyCommands`` and the chats' set-up."""

    @api_method("getMe")
    def _get_me(self, p: JSONDict, files: Files) -> Any:
        return dict(self._bot)

    @api_method("setMyCommands")
    def _set_my_commands(self, p: JSONDict, files: Files) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("too many commands specified")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self._commands[scope_key(p.get("scope"), p.get("language_code"))] = cleaned
        return True

    @api_method("getChat")
    def _get_chat(self, p: JSONDict, files: Files) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        info = self._chat(chat_id)
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def _member_object(self, chat_id: int, user: JSONDict, status: str | None = None) -> JSONDict:
        """A ``ChatMember``; the bot is an administrator unless a test says otherwise."""
        if status is not None:
            pass
        elif user["id"] == self._bot["id"]:
            status = self._members.get((chat_id, user["id"]), "administrator")
        else:
            default = "member" if chat_id > 0 or user["id"] in self._users else "left"
            status = self._members.get((chat_id, user["id"]), default)
        member: JSONDict = {"status": status, "user": dict(user)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
            member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    @api_method("getChatMember")
    def _get_chat_member(self, p: JSONDict, files: Files) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        user_id = int(p.get("user_id") or 0)
        if user_id == self._bot["id"]:
            user = dict(self._bot)
        elif user_id in self._users:
            user = self._users[user_id]
        else:
            raise bad("user not found")
        return self._member_object(chat_id, user)

    # ------------------------------------------------------------------ test side

    def add_user(self, user: UserLike) -> JSONDict:
        """Register a user (so ``getChat``/``strict_chats`` know it); returns the User dict."""
        return self._user(user)

    def add_group(
        self,
        chat_id: int,
        title: str = "Staf LPSE",
        *,
        chat_type: str = "supergroup",
        is_forum: bool = False,
        username: str | None = None,
    ) -> JSONDict:
        """Register a group chat; returns its ``Chat`` dict.

        Args:
            chat_id: Negative id (supergroups look like ``-100...``).
            title: Group title.
            chat_type: ``supergroup`` or ``group``.
            is_forum: Whether it has topics (messages then carry ``is_topic_message``).
            username: Public username without ``@``.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        with self._lock:
            self._groups[chat_id] = {
                "id": chat_id,
                "type": chat_type,
                "title": title,
                "is_forum": is_forum,
                "username": username,
            }
            return self._chat(chat_id)

    def set_member(self, chat_id: int, user: UserLike, status: str = "member") -> None:
        """Set what ``getChatMember`` answers for ``user`` in ``chat_id``.

        Args:
            chat_id: The chat.
            user: The user (registered as a side effect).
            status: ``creator``, ``administrator``, ``member``, ``left`` or ``kicked``.
        """
        known = self._user(user)
        with self._lock:
            self._members[(chat_id, int(known["id"]))] = status

    def block_chat(self, chat_id: int, description: str | None = None) -> None:
        """Make every send/edit to ``chat_id`` fail with 403, as after the user blocked the bot.

        Args:
            chat_id: A private chat (``bot was blocked by the user``) or a group (``bot was
                kicked from the supergroup chat``).
            description: Another 403 description, e.g. ``Forbidden: user is deactivated``.
        """
        with self._lock:
            self._blocked[chat_id] = description or self._forbidden(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        """Undo :meth:`block_chat`."""
        with self._lock:
            self._blocked.pop(chat_id, None)

    def upgrade_group(
        self, old: int, new: int, user: UserLike, *, service_message: bool = True
    ) -> JSONDict | None:
        """Telegram upgrades group ``old`` to supergroup ``new``.

        Every later send to ``old`` fails with 400 and ``migrate_to_chat_id`` (PTB raises
        ``ChatMigrated``). With ``service_message``, the ``migrate_to_chat_id`` service message
        is delivered in ``old`` (returned), as Telegram does.
        """
        title = self._chat(old)["title"] if old in self._groups else "Staf LPSE"
        self.add_group(new, title, chat_type="supergroup")
        sender = self._user(user)
        with self._lock:
            self._migrated[old] = new
            if not service_message:
                return None
            message = self._new_message(old, sender, None)
            message["migrate_to_chat_id"] = new
        return self._enqueue("message", message)

    def commands(self, scope: Any = None, language_code: str = "") -> list[JSONDict]:
        """Commands set with ``setMyCommands`` for a scope (dict, type name or PTB object)."""
        with self._lock:
            return copy.deepcopy(self._commands.get(scope_key(scope, language_code), []))
