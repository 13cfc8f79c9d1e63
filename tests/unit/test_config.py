"""Settings: defaults from the SOP, one clear line for each bad or missing value."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import BOTFATHER_HELP, ConfigError, load_settings
from bot.domain.standards import TimeStandards
from tests.support.settings import make_settings

ENV = """\
TELEGRAM_BOT_TOKEN=123456:ABCDEFghijkl
STAFF_CHAT_ID=-100123
ADMIN_USER_IDS=11, 22
LPSE_NAME=LPSE Kabupaten Batang
LPSE_CODE=BTG
SMTP_HOST=mail.batangkab.go.id
IMAP_HOST=mail.batangkab.go.id
IMAP_USERNAME=lpse
IMAP_PASSWORD=rahasia
MAIL_FROM=LPSE Batang <lpse@batangkab.go.id>
MAIL_SECRET=0123456789abcdef0123
LKPP_HELPDESK_EMAIL=helpdesk@lkpp.go.id
LKPP_ALLOWED_SENDERS=lkpp.go.id, tus@lkpp.go.id
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "SMTP_", "IMAP_", "MAIL_", "LKPP_", "LPSE_", "STAFF_")):
            monkeypatch.delenv(name)


def write(tmp_path, text: str):
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_complete_env_file_loads_with_sop_defaults(tmp_path):
    settings = load_settings(write(tmp_path, ENV))
    assert settings.admin_user_ids == [11, 22]
    assert settings.lkpp_allowed_senders == ["lkpp.go.id", "tus@lkpp.go.id"]
    assert settings.standards == TimeStandards()
    assert settings.standards.escalate == timedelta(minutes=5)
    assert settings.standards.lkpp_status_working_days == 2
    assert settings.mail_domain == "batangkab.go.id"
    assert str(settings.tz) == "Asia/Jakarta"


def test_one_setting_changes_a_time_standard(tmp_path):
    settings = load_settings(write(tmp_path, ENV + "ESCALATE_MINUTES=10\n"))
    assert settings.standards.escalate == timedelta(minutes=10)


def test_missing_token_explains_botfather(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, ENV.replace("TELEGRAM_BOT_TOKEN=123456:ABCDEFghijkl", "")))
    assert str(info.value) == BOTFATHER_HELP


@pytest.mark.parametrize(
    ("line", "replacement", "name"),
    [
        ("STAFF_CHAT_ID=-100123", "STAFF_CHAT_ID=grup", "STAFF_CHAT_ID"),
        ("SMTP_HOST=mail.batangkab.go.id", "SMTP_HOST=", "SMTP_HOST"),
        ("LPSE_CODE=BTG", "LPSE_CODE=B T G", "LPSE_CODE"),
        ("MAIL_SECRET=0123456789abcdef0123", "MAIL_SECRET=short", "MAIL_SECRET"),
        (
            "LKPP_HELPDESK_EMAIL=helpdesk@lkpp.go.id",
            "LKPP_HELPDESK_EMAIL=helpdesk",
            "LKPP_HELPDESK_EMAIL",
        ),
        ("ADMIN_USER_IDS=11, 22", "ADMIN_USER_IDS=sari", "ADMIN_USER_IDS"),
    ],
)
def test_bad_or_missing_values_give_one_line_naming_the_setting(tmp_path, line, replacement,
                                                                 name):  # fmt: skip
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, ENV.replace(line, replacement)))
    message = str(info.value)
    assert name in message and "\n" not in message


def test_wita_and_wit_work_and_nonsense_zones_do_not(tmp_path):
    assert str(load_settings(write(tmp_path, ENV + "TIMEZONE=Asia/Makassar\n")).tz) == (
        "Asia/Makassar"
    )
    with pytest.raises(ConfigError, match="TIMEZONE"):
        load_settings(write(tmp_path, ENV + "TIMEZONE=Mars/Olympus\n"))


def test_sender_allowed_by_address_or_domain(tmp_path):
    settings = make_settings(tmp_path, lkpp_allowed_senders=["lkpp.go.id", "x@gmail.com"])
    assert settings.sender_allowed("Helpdesk@LKPP.go.id")
    assert settings.sender_allowed("tus@mail.lkpp.go.id")
    assert settings.sender_allowed("x@gmail.com")
    assert not settings.sender_allowed("y@gmail.com")
    assert not settings.sender_allowed("helpdesk@lkpp.go.id.evil.com")
    assert not settings.sender_allowed("helpdesk@notlkpp.go.id")


def test_env_example_documents_every_setting():
    from pathlib import Path

    from bot.config import Settings

    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"{name.upper()}=" in text, name
