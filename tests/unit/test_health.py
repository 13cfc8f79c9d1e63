"""The health report's logic without servers: reasons, the scheduler's pulse, the deadline."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import datetime, timedelta

import aiosmtplib
import pytest
from telegram.error import BadRequest, InvalidToken, NetworkError, TimedOut

from bot.health import ProbeResult, failure, run_probes, scheduler_result, sender_auth_result
from bot.mail.imap_connect import ImapError
from bot.text import Texts
from tests.support.clock import WIB
from tests.support.settings import make_settings

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
EVERY_20S = timedelta(seconds=20)
TEXTS = Texts(WIB)


def pulse(**overrides: object) -> ProbeResult:
    values: dict[str, object] = {
        "running": True, "scheduled": True, "last_sweep": NOW - timedelta(seconds=15),
        "started": NOW - timedelta(hours=1), "now": NOW, "interval": EVERY_20S,
    }  # fmt: skip
    values.update(overrides)
    return scheduler_result(**values)  # type: ignore[arg-type]


def test_a_recent_sweep_is_a_healthy_scheduler() -> None:
    result = pulse()
    assert (result.ok, result.key) == (True, "penjadwal_ok")
    assert result.detail(TEXTS) == "sapuan tenggat terakhir 15 detik lalu (setiap 20 detik)"


def test_a_sweep_older_than_three_intervals_but_at_least_a_minute_is_late() -> None:
    assert pulse(last_sweep=NOW - timedelta(seconds=59)).ok is True
    late = pulse(last_sweep=NOW - timedelta(seconds=61))
    assert (late.ok, late.key) == (False, "penjadwal_terlambat")
    slow = pulse(interval=timedelta(minutes=5), last_sweep=NOW - timedelta(minutes=14))
    assert slow.ok is True  # three five-minute intervals have not passed yet


def test_before_the_first_sweep_only_a_fresh_start_is_excused() -> None:
    fresh = pulse(last_sweep=None, started=NOW - timedelta(seconds=3))
    assert (fresh.ok, fresh.key) == (True, "penjadwal_menunggu")
    never = pulse(last_sweep=None, started=NOW - timedelta(minutes=10))
    assert (never.ok, never.key) == (False, "penjadwal_belum")
    assert "10 menit" in never.detail(TEXTS)


def test_a_stopped_job_queue_or_a_missing_sweep_job_fails_whatever_ran_before() -> None:
    assert pulse(running=False).key == "penjadwal_mati"
    assert pulse(scheduled=False).key == "penjadwal_tanpa_tugas"
    assert pulse(running=False).ok is False and pulse(scheduled=False).ok is False


@pytest.mark.parametrize(
    ("exc", "key"),
    [
        (ssl.SSLCertVerificationError("certificate verify failed"), "tls"),
        (TimeoutError(), "timeout"),
        (aiosmtplib.SMTPConnectTimeoutError("slow"), "timeout"),
        (TimedOut(), "timeout"),
        (InvalidToken(), "token"),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), "login"),
        (ImapError("LOGIN: NO", "LOGIN"), "login"),
        (ConnectionRefusedError(111, "Connection refused"), "koneksi"),
        (aiosmtplib.SMTPConnectError("Error connecting"), "koneksi"),
        (NetworkError("httpx.ConnectError"), "koneksi"),
        (BadRequest("Chat not found"), "galat"),
        (ImapError("UID SEARCH: BAD", "UID SEARCH"), "galat"),
        (ValueError("aneh"), "galat"),
    ],
)
def test_failures_are_sorted_into_reasons_a_person_can_act_on(exc: Exception, key: str) -> None:
    result = failure("smtp", exc, 10)
    assert (result.name, result.ok, result.key) == ("smtp", False, key)
    assert result.detail(TEXTS)  # every reason renders


def test_the_cli_line_is_plain_text_and_the_staff_detail_is_escaped() -> None:
    result = failure("imap", ValueError("<b> & 'x'"), 10)
    assert result.line(TEXTS) == "FAIL imap: ValueError: <b> & 'x'"
    assert "&lt;b&gt; &amp;" in result.detail(TEXTS)
    assert ProbeResult("scheduler", None, "penjadwal_cli").line(TEXTS).startswith("n/a  scheduler")
    ok = ProbeResult("outbox", True, "antrean_kosong", {"gagal": 2})
    assert ok.line(TEXTS) == (
        "OK   outbox: tidak ada email menunggu; 2 email pernah ditolak server (gagal permanen)"
    )


async def test_probes_run_together_and_a_hung_one_costs_only_its_own_line() -> None:
    started: list[str] = []

    async def hangs() -> ProbeResult:
        started.append("imap")
        await asyncio.Event().wait()
        raise AssertionError("never")

    async def slow_ok() -> ProbeResult:
        started.append("smtp")
        await asyncio.sleep(0.2)
        return ProbeResult("smtp", True, "smtp_ok", {"server": "x:25", "login": False})

    async def broken() -> ProbeResult:
        raise ConnectionRefusedError(111, "Connection refused")

    begun = time.monotonic()
    results = await run_probes({"imap": hangs, "smtp": slow_ok, "database": broken}, 0.5)
    elapsed = time.monotonic() - begun

    assert [(r.name, r.ok, r.key) for r in results] == [
        ("imap", False, "timeout"),
        ("smtp", True, "smtp_ok"),
        ("database", False, "koneksi"),
    ]
    assert started == ["imap", "smtp"]
    assert elapsed < 0.8  # the deadline, not the sum of the probes
    assert results[0].detail(TEXTS) == "tidak menjawab dalam 0,5 detik"


async def test_a_late_probe_is_cancelled_without_holding_up_the_report() -> None:
    cleaned = asyncio.Event()

    async def stubborn() -> ProbeResult:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0.3)  # a polite LOGOUT to a server that stopped answering
            cleaned.set()
        raise AssertionError("never")

    begun = time.monotonic()
    (result,) = await run_probes({"imap": stubborn}, 0.1)
    assert result.key == "timeout" and time.monotonic() - begun < 0.3
    await asyncio.wait_for(cleaned.wait(), 2)  # the clean-up still ran, in the background


def test_sender_authentication_line_says_when_it_is_off(tmp_path) -> None:
    off = sender_auth_result(make_settings(tmp_path))
    assert off.ok is None
    assert "MATI" in off.line(TEXTS) and "MAIL_TRUSTED_AUTHSERV_ID" in off.line(TEXTS)
    on = sender_auth_result(make_settings(tmp_path, mail_trusted_authserv_id="mx.batangkab.go.id"))
    assert on.ok is True and "mx.batangkab.go.id" in on.line(TEXTS)
