"""Texts: Indonesian formatting, escaping for Telegram, none for email, strict variables."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import jinja2
import pytest

from bot.domain.errors import GuardFailed, IllegalTransition, InvalidInput, TicketNotFound
from bot.domain.sop import Action, Actor, State
from bot.text import Texts

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def texts() -> Texts:
    return Texts(WIB)


def test_indonesian_dates_times_numbers(texts):
    assert texts.date(date(2026, 8, 17)) == "Senin, 17 Agustus 2026"
    instant = datetime(2026, 8, 17, 3, 5, tzinfo=ZoneInfo("UTC"))
    assert texts.datetime(instant) == "Senin, 17 Agustus 2026 10.05 WIB"
    assert texts.number(12345.5) == "12.345,5"
    assert texts.percent(0.875) == "87,5%"
    assert texts.duration(timedelta(days=1, hours=2, minutes=5)) == "1 hari 2 jam 5 menit"
    assert texts.duration(timedelta(seconds=42)) == "42 detik"


def test_other_zones_are_named(texts):
    wit = Texts(ZoneInfo("Asia/Jayapura"))
    instant = datetime(2026, 8, 17, 3, 5, tzinfo=ZoneInfo("UTC"))
    assert wit.time(instant) == "12.05 WIT"


def test_catalog_messages_escape_user_text(texts):
    message = texts.msg("errors.tiket_tidak_ditemukan", nomor="<b>&</b>")
    assert message == "Tiket &lt;b&gt;&amp;&lt;/b&gt; tidak ditemukan."
    assert (
        texts.plain_msg("errors.tiket_tidak_ditemukan", nomor="<b>")
        == "Tiket <b> tidak ditemukan."
    )


def test_missing_variables_fail_loudly(texts):
    with pytest.raises(jinja2.UndefinedError):
        texts.msg("errors.tiket_tidak_ditemukan")
    with pytest.raises(KeyError):
        texts.msg("errors.tidak_ada")


def test_every_state_action_and_actor_has_words(texts):
    for state in State:
        assert texts.msg(f"status.{state.value}")
    for action in Action:
        assert texts.msg(f"aksi.{action.value}")
    for actor in Actor:
        assert texts.msg(f"pelaku.{actor.value}")


def test_domain_errors_become_indonesian(texts):
    illegal = IllegalTransition(Action.TAKE, State.CLOSED, Actor.STAFF, number="BTG-2026-00001")
    assert texts.error(illegal) == (
        "Tindakan „Diambil petugas” tidak dapat dilakukan: tiket BTG-2026-00001 berstatus "
        "„Ditutup”."
    )
    guard = GuardFailed(Action.USER_REOPENS, State.SOLVED, Actor.USER, reason="alasan_kosong")
    assert "alasan wajib diisi" in texts.error(guard)
    assert "tidak ditemukan" in texts.error(TicketNotFound("BTG-2026-00009"))
    assert "email" in texts.error(InvalidInput("email", "x"))


def test_every_template_and_catalog_message_compiles(texts):
    templates = len(texts.html.list_templates()) + len(texts.plain.list_templates())
    pages = len(texts.web.list_templates(extensions=["html"]))
    assert pages >= 10 and "gaya.css" in texts.web.list_templates()
    templates += pages + 1  # the dashboard's pages and its stylesheet
    messages = len(list(texts.message_keys()))
    assert templates > 20 and messages > 200
    assert texts.compile_all() == templates + messages
