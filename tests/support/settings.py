"""Settings for tests: valid values for everything, overridable per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Settings

STAFF_CHAT_ID = -1001234567890
ADMIN_ID = 9001
TOKEN = "123456:TEST-token_for_tests"


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "staff_chat_id": STAFF_CHAT_ID,
        "admin_user_ids": [ADMIN_ID],
        "lpse_name": "LPSE Kabupaten Batang",
        "lpse_code": "BTG",
        "data_dir": data_dir,
        "smtp_host": "127.0.0.1",
        "smtp_port": 2525,
        "smtp_security": "none",
        "imap_host": "127.0.0.1",
        "imap_port": 1143,
        "imap_security": "none",
        "imap_username": "lpse",
        "imap_password": "rahasia",
        "mail_from": "LPSE Kabupaten Batang <lpse@batangkab.go.id>",
        "mail_secret": "test-secret-test-secret",
        "lkpp_helpdesk_email": "helpdesk@lkpp.go.id",
        "lkpp_allowed_senders": ["lkpp.go.id"],
        # Tests of the SOP post more than 20 messages a minute in the staff group; the pacing
        # tests (tests/integration/telegram/test_outbox.py, the surge) set Telegram's 20.
        "telegram_group_per_minute": 600,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
