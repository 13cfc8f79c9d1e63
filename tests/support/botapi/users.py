"""What users do, as updates for the bot: messages, edits, photos, documents, button presses.

A test plays the users: each method here builds the update Telegram would send when a person
writes in a private chat or in the staff group, edits a message, sends a photo or a document,
presses an inline button, or blocks the bot, and queues it for ``getUpdates``. The messages are
stored too, so the bot can reply to them and a later press sees the message as it is now.
Commands, links and mentions get their entities automatically, as Telegram's clients add them.
"""

from __future__ import annotations

import copy
import time

from tests.support.botapi.chats import ChatMethods
from tests.support.botapi.files import FileMethods
from tests.support.botapi.model import (
    JSONDict,
    StoredFile,
    StoredMessage,
    UserLike,
    inline_buttons,
)
from tests.support.botapi_html import detect_entities


class UserActions(FileMethods, ChatMethods):
    """The test-facing builders of updates from users."""

    def _user_message(
        self,
        user: UserLike,
        chat_id: int | None,
        content: JSONDict,
        reply_to: int | tuple[int, int] | None,
        message_thread_id: int | None,
    ) -> JSONDict:
        """Store a message from ``user`` and queue it as a ``message`` update."""
        sender = self._user(user)
        with self._lock:
            chat = sender["id"] if chat_id is None else chat_id
            if chat < 0 and chat not in self._groups:
                self.add_group(chat, f"Group {chat}")
            message = self._new_message(chat, sender, message_thread_id)
            if reply_to is not None:
                reply_chat, reply_id = (
                    reply_to if isinstance(reply_to, tuple) else (chat, reply_to)
                )
                replied = self._stored(reply_chat, reply_id)
                if replied is None:
                    raise KeyError(f"no message {reply_id} in chat {reply_chat} to reply to")
                message["reply_to_message"] = self._as_reply(replied)
            message.update(content)
            self._messages[(chat, message["message_id"])] = StoredMessage(
                message=message, raw_text=content.get("text", content.get("caption"))
            )
            return self._enqueue("message", message)

    @staticmethod
    def _text_content(text: str, entities: list[JSONDict] | None, key: str) -> JSONDict:
        content: JSONDict = {key: text}
        found = detect_entities(text) if entities is None else entities
        if found:
            content["entities" if key == "text" else "caption_entities"] = found
        return content

    def user_message(
        self,
        user: UserLike,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | tuple[int, int] | None = None,
        entities: list[JSONDict] | None = None,
        message_thread_id: int | None = None,
    ) -> JSONDict:
        """Enqueue a text message from a user (private chat unless ``chat_id`` is given).

        Args:
            user: A :func:`make_user` dict or a user id.
            text: The text; commands, links, mentions get entities automatically, so
                ``/start`` and ``/start@lpse_test_bot`` reach PTB's ``CommandHandler``.
            chat_id: Target chat; defaults to the private chat with ``user``.
            reply_to: Replied message id in the same chat, or ``(chat_id, message_id)``.
            entities: Explicit entities instead of the automatic ones.
            message_thread_id: Forum topic.

        Returns:
            The update dict that ``getUpdates`` will deliver.
        """
        content = self._text_content(text, entities, "text")
        return self._user_message(user, chat_id, content, reply_to, message_thread_id)

    def edit_message(
        self, user: UserLike, message_id: int, text: str, *, chat_id: int | None = None
    ) -> JSONDict:
        """Enqueue an ``edited_message`` update: ``user`` edited their earlier text message.

        Args:
            user: The author of the message.
            message_id: The message edited (sent before with :meth:`user_message`).
            text: Its new text.
            chat_id: The chat; defaults to the private chat with ``user``.

        Returns:
            The update dict.
        """
        sender = self._user(user)
        with self._lock:
            chat = sender["id"] if chat_id is None else chat_id
            stored = self._stored(chat, message_id)
            if stored is None or stored.message.get("from", {}).get("id") != sender["id"]:
                raise KeyError(f"no message {message_id} by {sender['id']} in chat {chat}")
            message = copy.deepcopy(stored.message)
            for key in ("text", "entities", "caption", "caption_entities"):
                message.pop(key, None)
            message.update(self._text_content(text, None, "text"))
            message["edit_date"] = int(time.time())
            stored.message = message
            stored.raw_text = text
        return self._enqueue("edited_message", message)

    def group_message(
        self,
        chat_id: int,
        user: UserLike,
        text: str,
        *,
        reply_to: int | tuple[int, int] | None = None,
        entities: list[JSONDict] | None = None,
        message_thread_id: int | None = None,
        sender_chat: int | None = None,
    ) -> JSONDict:
        """Enqueue a text message in a (super)group, e.g. staff replying in the staff group.

        Args:
            chat_id: Negative group id (registered as a supergroup if unknown).
            user: The sender.
            text: Message text (entities as in :meth:`user_message`).
            reply_to: Replied message id in the group, or ``(chat_id, message_id)``.
            entities: Explicit entities.
            message_thread_id: Forum topic.
            sender_chat: Sent on behalf of this chat: the group itself for an anonymous admin
                (then ``user`` is :data:`ANONYMOUS_ADMIN`), or a channel.

        Returns:
            The update dict.
        """
        content = self._text_content(text, entities, "text")
        if sender_chat is not None:
            with self._lock:
                content["sender_chat"] = self._chat(sender_chat)
        return self._user_message(user, chat_id, content, reply_to, message_thread_id)

    def user_photo(
        self,
        user: UserLike,
        content: bytes | None = None,
        *,
        file_id: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: int | tuple[int, int] | None = None,
    ) -> JSONDict:
        """Enqueue a photo from a user; ``photo`` lists several sizes like Telegram.

        Args:
            user: The sender.
            content: Image bytes (registered as a new photo), or
            file_id: a photo registered before with ``add_file(..., kind="photo")``.
            caption: Optional caption.
            chat_id: Target chat; defaults to the private chat.
            reply_to: As in :meth:`user_message`.

        Returns:
            The update dict.
        """
        with self._lock:
            stored = self._user_file(content, file_id, "photo", None, None)
        return self._media_message(user, stored, "photo", caption, chat_id, reply_to)

    def user_document(
        self,
        user: UserLike,
        content: bytes | None = None,
        *,
        file_name: str = "dokumen.pdf",
        mime_type: str | None = None,
        file_id: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: int | tuple[int, int] | None = None,
    ) -> JSONDict:
        """Enqueue a document from a user (``user``, ``caption``, ``chat_id`` and ``reply_to``
        as in :meth:`user_photo`).

        Args:
            content: File bytes (registered as a new document), or
            file_id: a document registered before with :meth:`add_file`.
            file_name: Name of a new document.
            mime_type: MIME type of a new document (guessed from the name if omitted).

        Returns:
            The update dict.
        """
        with self._lock:
            stored = self._user_file(content, file_id, "document", file_name, mime_type)
        return self._media_message(user, stored, "document", caption, chat_id, reply_to)

    def _media_message(
        self, user: UserLike, stored: StoredFile, kind: str, caption: str | None,
        chat_id: int | None, reply_to: int | tuple[int, int] | None,
    ) -> JSONDict:  # fmt: skip
        """Queue a message from ``user`` carrying ``stored`` as its ``photo``/``document``."""
        with self._lock:
            body = self._media_content(stored, kind)
        if caption:
            body.update(self._text_content(caption, None, "caption"))
        return self._user_message(user, chat_id, body, reply_to, None)

    def callback(
        self,
        user: UserLike,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        check: bool = True,
    ) -> JSONDict:
        """Enqueue a button press on a stored bot message.

        The query's ``message`` is the message as it is *now* (after edits), so PTB sees the
        real keyboard, and :meth:`answered_callbacks` later shows the bot's answer.

        Args:
            user: Who pressed.
            chat_id: Chat of the message.
            message_id: The message with the inline keyboard.
            data: ``callback_data`` of the pressed button.
            check: Refuse data that is not on the message's current keyboard (a real user
                cannot press a button that is not there).

        Returns:
            The update dict.

        Raises:
            KeyError: No such message.
            ValueError: ``check`` is on and no button carries ``data``.
        """
        sender = self._user(user)
        with self._lock:
            stored = self._stored(chat_id, message_id)
            if stored is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            datas = [b.get("callback_data") for b in inline_buttons(stored.message)]
            if check and data not in datas:
                raise ValueError(f"no button with callback_data {data!r}; buttons: {datas}")
            self._callback_counter += 1
            query = {
                "id": f"{self.bot_id}{self._callback_counter:08d}",
                "from": sender,
                "message": copy.deepcopy(stored.message),
                "chat_instance": str(abs(hash((chat_id, self.bot_id))) % 10**18),
                "data": data,
            }
            self._callbacks[query["id"]] = query
            return self._enqueue("callback_query", query)

    def press_button(
        self, user: UserLike, chat_id: int, message_id: int, button_text: str
    ) -> JSONDict:
        """Press the inline button whose label is ``button_text`` (see :meth:`callback`).

        Raises:
            ValueError: No callback button with that label on the message.
        """
        with self._lock:
            stored = self._stored(chat_id, message_id)
            buttons = inline_buttons(stored.message if stored else None)
        for button in buttons:
            if button.get("text") == button_text and "callback_data" in button:
                return self.callback(user, chat_id, message_id, button["callback_data"])
        labels = [button.get("text") for button in buttons]
        raise ValueError(f"no callback button {button_text!r}; buttons: {labels}")

    def my_chat_member(
        self,
        user: UserLike,
        *,
        blocked: bool = True,
        chat_id: int | None = None,
        new_status: str | None = None,
    ) -> JSONDict:
        """Enqueue a ``my_chat_member`` update: the user blocked (or unblocked) the bot.

        Blocking also makes sends to the chat fail with 403, as on Telegram.

        Args:
            user: The user acting.
            blocked: ``True`` = blocked (``kicked``), ``False`` = restarted (``member``).
            chat_id: A group instead of the private chat (bot removed/added by ``user``).
            new_status: Explicit new status of the bot (overrides ``blocked``).

        Returns:
            The update dict.
        """
        sender = self._user(user)
        chat = sender["id"] if chat_id is None else chat_id
        status = new_status or ("kicked" if blocked else "member")
        old_status = "member" if status == "kicked" else "kicked"
        if chat < 0 and old_status == "kicked":
            old_status = "left"
        with self._lock:
            if status in ("kicked", "left"):
                self._blocked[chat] = self._forbidden(chat, status)
            else:
                self._blocked.pop(chat, None)
            self._members[(chat, self.bot_id)] = status
            payload = {
                "chat": self._chat(chat),
                "from": sender,
                "date": int(time.time()),
                "old_chat_member": self._member_status(old_status),
                "new_chat_member": self._member_status(status),
            }
            return self._enqueue("my_chat_member", payload)

    def _member_status(self, status: str) -> JSONDict:
        return self._member_object(0, dict(self._bot), status)
