"""Link signing, the bad-link throttle, the membership cache and the small parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.error import NetworkError

from bot.config import parse_listen
from bot.storage.dashboard import search_query
from bot.web.auth import Membership, Throttle
from bot.web.tokens import BadToken, new_session_token, read_link, sign_link, token_hash
from tests.support.settings import make_settings

SECRET = b"0123456789abcdef0123"
AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_a_signed_link_reads_back_and_any_change_is_refused() -> None:
    token = sign_link(SECRET, 9101, AT + timedelta(minutes=10))
    claim = read_link(SECRET, token)
    assert claim.user_id == 9101
    assert claim.expires_at == AT + timedelta(minutes=10)
    user, expires, nonce, signature = token.split(".")
    for forged in (
        f"9001.{expires}.{nonce}.{signature}",  # someone else's id
        f"{user}.{int(expires) + 3600}.{nonce}.{signature}",  # a longer life
        f"{user}.{expires}.{nonce}.{signature[:-1]}",
        "garbage",
        "",
    ):
        with pytest.raises(BadToken):
            read_link(SECRET, forged)
    with pytest.raises(BadToken):
        read_link(b"another-secret-entirely", token)


def test_session_tokens_are_random_and_stored_only_as_a_hash() -> None:
    first, second = new_session_token(), new_session_token()
    assert first != second and len(first) >= 40
    assert token_hash(first) != first and len(token_hash(first)) == 64


def test_the_throttle_refuses_an_address_after_repeated_bad_links_then_forgives() -> None:
    throttle = Throttle(failures=3, window=timedelta(minutes=10))
    for minute in range(3):
        assert throttle.retry_after("10.0.0.1", AT + timedelta(minutes=minute)) == 0
        throttle.failed("10.0.0.1", AT + timedelta(minutes=minute))
    wait = throttle.retry_after("10.0.0.1", AT + timedelta(minutes=3))
    assert 0 < wait <= 7 * 60 + 1
    assert throttle.retry_after("10.0.0.2", AT) == 0  # other addresses are not affected
    assert throttle.retry_after("10.0.0.1", AT + timedelta(minutes=10, seconds=1)) == 0


async def test_membership_is_cached_and_admins_need_no_lookup(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, web_membership_cache_minutes=5)
    answers = {9101: ("member", False), 9102: ("restricted", True), 9103: ("left", False)}
    asked: list[int] = []

    async def lookup(user_id: int) -> tuple[str, bool]:
        asked.append(user_id)
        if user_id == 9104:
            raise NetworkError("down")
        return answers[user_id]

    membership = Membership(settings, lookup)
    assert await membership.is_staff(9001, AT)  # ADMIN_ID
    assert await membership.is_staff(9101, AT)
    assert await membership.is_staff(9102, AT)
    assert not await membership.is_staff(9103, AT)
    assert not await membership.is_staff(9104, AT)  # unknown and Telegram down: closed
    answers[9101] = ("kicked", False)
    assert await membership.is_staff(9101, AT + timedelta(minutes=4))  # cached
    assert not await membership.is_staff(9101, AT + timedelta(minutes=5))
    assert asked == [9101, 9102, 9103, 9104, 9101]


def test_listen_addresses_and_the_secret_they_need(tmp_path: Path) -> None:
    assert parse_listen("") == ("127.0.0.1", 8080)
    assert parse_listen("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_listen("8081") == ("127.0.0.1", 8081)
    assert parse_listen("[::1]:8080") == ("::1", 8080)
    with pytest.raises(ValueError):
        parse_listen("127.0.0.1:99999")
    settings = make_settings(tmp_path, web_listen="127.0.0.1:8080", web_secret="x" * 20)
    assert settings.web_base_url == "http://127.0.0.1:8080"
    with pytest.raises(Exception, match="WEB_SECRET"):
        make_settings(tmp_path, web_listen="127.0.0.1:8080")


def test_search_words_are_quoted_so_fts_syntax_is_plain_text() -> None:
    assert search_query("gagal unggah") == '"gagal" "unggah"*'
    assert search_query('"OR" NEAR(* -') == '"OR" "NEAR"*'
    assert search_query("  ***  ") is None


def test_the_cookie_is_secure_behind_https_and_the_address_comes_from_a_trusted_proxy(
    tmp_path: Path,
) -> None:
    from types import SimpleNamespace

    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from bot.web.server import DASHBOARD, client_address, is_secure

    def request(headers: dict[str, str], **settings: object) -> tuple[object, object]:
        values = make_settings(tmp_path, web_listen="8080", web_secret="x" * 20, **settings)
        dashboard = SimpleNamespace(services=SimpleNamespace(settings=values))
        app = web.Application()
        app[DASHBOARD] = dashboard  # type: ignore[assignment]
        return make_mocked_request("GET", "/", headers=headers, app=app), dashboard

    plain, dashboard = request({"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.1.9"})
    assert not is_secure(plain, dashboard)  # type: ignore[arg-type]
    assert client_address(plain) != "10.1.1.9"  # type: ignore[arg-type]
    proxied, dashboard = request(
        {"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4, 10.1.1.9"},
        web_trust_proxy=True,
    )
    assert is_secure(proxied, dashboard)  # type: ignore[arg-type]
    assert client_address(proxied) == "10.1.1.9"  # type: ignore[arg-type]
    public, dashboard = request({}, web_public_url="https://dasbor.lpse.example.go.id/")
    assert is_secure(public, dashboard)  # type: ignore[arg-type]
