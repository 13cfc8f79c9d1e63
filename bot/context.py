"""The bot's ``CallbackContext``: every handler gets ``context.services`` and ``context.by``.

Installed with ``ContextTypes(context=BotContext)`` (as python-telegram-bot's
``contexttypesbot.py`` example does), so a handler reads the shared :class:`Services` and the
person acting on the update without looking anything up by name. :func:`services_of` and
:func:`by_of` are the same answers for code that holds only a context-like object or an
update (jobs, tests that call a handler with a stand-in context).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.services import SERVICES_KEY, Services
from bot.workflow import By


def by_of(update: object) -> By:
    """The person acting on ``update``, for the SOP's record of who did what.

    A button press or message names its sender. Without one (a channel post), a private chat is
    still that person's own chat, so its id stands in; anywhere else nobody is named.
    """
    if not isinstance(update, Update):
        return By()
    user = update.effective_user
    if user is not None:
        return By(user.id, user.full_name)
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return By(chat.id)
    return By()


def services_of(context: Any) -> Services:
    """The shared :class:`Services` of ``context`` (a :class:`BotContext` or a stand-in)."""
    return context.bot_data[SERVICES_KEY]


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """A ``CallbackContext`` that also carries the bot's services and the acting person."""

    __slots__ = ("_by",)

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._by = By()

    @classmethod
    def from_update(
        cls, update: object, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> BotContext:
        context = super().from_update(update, application)
        context._by = by_of(update)
        return context

    @property
    def services(self) -> Services:
        """The bot's long-lived parts, built once at start-up."""
        return services_of(self)

    @property
    def by(self) -> By:
        """Who acts on the update being handled (nobody for a job)."""
        return self._by


CONTEXT_TYPES = ContextTypes(context=BotContext)
"""For ``ApplicationBuilder.context_types``."""
