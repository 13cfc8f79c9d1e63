"""Every handler is added in one place, before initialize, in the groups and prefixes named."""

from __future__ import annotations

import warnings
from pathlib import Path

from telegram.ext import CallbackQueryHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.app import build_application
from bot.callbacks import Prefix
from bot.context import BotContext
from bot.registration import PARTS, Group
from bot.services import SERVICES_KEY
from tests.support.clock import FakeClock
from tests.support.settings import make_settings
from tests.support.telegram_app_fixtures import RecordingRequest


async def test_everything_is_registered_before_initialize_without_a_warning(
    tmp_path: Path,
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = build_application(make_settings(tmp_path / "data"), FakeClock(), RecordingRequest())
        assert set(app.handlers) == set(Group)  # every group used, none outside the enum
        (conversation,) = [
            h for h in app.handlers[Group.MAIN] if isinstance(h, ConversationHandler)
        ]
        assert conversation.persistent and conversation.name == "lapor"
        await app.initialize()
        try:
            assert app.post_init is not None
            await app.post_init(app)
            assert app.bot_data[SERVICES_KEY].started is not None
        finally:
            await app.shutdown()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
    ptb = [str(w.message) for w in caught if issubclass(w.category, PTBUserWarning)]
    assert ptb == []  # neither "added after initialize" nor the per_message note
    assert app.context_types.context is BotContext


def test_every_button_handler_takes_one_prefix_and_the_catch_all_comes_last(
    tmp_path: Path,
) -> None:
    app = build_application(make_settings(tmp_path / "data"), FakeClock(), RecordingRequest())
    buttons = [
        h for group in app.handlers.values() for h in group
        if isinstance(h, CallbackQueryHandler)
    ]  # fmt: skip
    patterns = {h.pattern.pattern for h in buttons if h.pattern is not None}  # type: ignore[union-attr]
    assert patterns == {prefix.pattern for prefix in Prefix}
    last = app.handlers[Group.MAIN][-1]
    assert isinstance(last, CallbackQueryHandler) and last.pattern is None


def test_the_outbox_starts_first_and_stops_last() -> None:
    assert PARTS[0].name == "bot.outbox"
    assert PARTS[0].stop is not None
