"""The dashboard's pages against a seeded database, through the running bot's web server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.dashboard import HOSTILE_TITLE, DashboardBot, browser, dashboard_bot, seed
from tests.support.telegram_app_fixtures import bot_api

__all__ = ["bot_api", "dashboard_bot"]


@pytest.fixture(name="seeded")
async def seeded_fixture(dashboard: DashboardBot) -> Any:
    numbers = await seed(dashboard.services, dashboard.clock)
    async with browser() as http:
        await dashboard.login(http)
        yield dashboard, http, numbers


async def _get(seeded: Any, path: str, status: int = 200) -> str:
    dashboard, http, _ = seeded
    async with http.get(dashboard.base_url + path) as response:
        text = await response.text()
        assert response.status == status, text[:500]
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        return text


async def test_today_shows_open_tickets_late_clocks_breaches_and_backlog(seeded: Any) -> None:
    _, _, numbers = seeded
    html = await _get(seeded, "/")
    assert "Tiket terbuka: 3" in html
    late = html.split("<h2>Terlambat", 1)[1].split("<h2>", 1)[0]
    assert numbers["terlambat"] in late and "terlambat 2 menit" in late
    upcoming = html.split("Batas waktu berikutnya", 1)[1].split("<h2>", 1)[0]
    assert numbers["eskalasi"] in upcoming and "sisa" in upcoming
    breaches = html.split("Pelanggaran hari ini", 1)[1].split("<h2>", 1)[0]
    assert numbers["terlambat"] in breaches
    backlog = html.split("Antrean pesan", 1)[1]
    assert "Antrean email keluar" in backlog and "1 email menunggu" in backlog
    assert "Karantina email masuk" in backlog
    assert "Antrean pesan Telegram" in backlog


async def test_ticket_list_filters_searches_and_escapes(seeded: Any) -> None:
    _, _, numbers = seeded
    html = await _get(seeded, "/tiket")
    assert "3 tiket" in html
    assert HOSTILE_TITLE not in html and "&lt;script&gt;" in html
    escalated = await _get(seeded, "/tiket?eskalasi=ya")
    assert "1 tiket" in escalated and numbers["eskalasi"] in escalated
    breached = await _get(seeded, "/tiket?langgar=ya")
    assert "1 tiket" in breached and numbers["terlambat"] in breached
    by_state = await _get(seeded, "/tiket?status=tidak_dapat_ditangani&langgar=tidak")
    assert "0 tiket" in by_state
    found = await _get(seeded, "/tiket?q=terkirim+gand")  # a word of a user's message, a prefix
    assert "1 tiket" in found and numbers["jahat"] in found
    quoted = await _get(seeded, '/tiket?q="OR" NEAR(*')  # FTS syntax is only text
    assert "0 tiket" in quoted
    unknown = await _get(seeded, "/tiket?status=bukan&halaman=x&dari=2026-13-40")
    assert "3 tiket" in unknown


async def test_detail_has_the_whole_timeline_clocks_and_the_lkpp_thread(seeded: Any) -> None:
    dashboard, http, numbers = seeded
    html = await _get(seeded, f"/tiket/{numbers['eskalasi']}")
    expected = (
        "Laporan dibuat", "Diambil petugas", "Email eskalasi dikirim ke LKPP",
        "Email dari Helpdesk LKPP", "Mohon kirimkan tangkapan layar", "Tampilkan email lengkap",
        "Status pertama dari LKPP", "Jam mutu baku",
    )  # fmt: skip
    for text in expected:
        assert text in html, text
    assert "langkah 1" in html
    assert "panduan&lt;b&gt;.html" in html
    link = html.split('href="/lampiran/surel/', 1)[1].split('"', 1)[0]
    async with http.get(f"{dashboard.base_url}/lampiran/surel/{link}") as download:
        assert download.status == 200
        assert download.headers["Content-Type"] == "application/octet-stream"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert await download.read() == b"<script>alert(1)</script>"
    hostile = await _get(seeded, f"/tiket/{numbers['jahat']}")
    assert "<i>terkirim</i>" not in hostile and "&lt;i&gt;terkirim&lt;/i&gt;" in hostile
    late = await _get(seeded, f"/tiket/{numbers['terlambat']}")
    assert "terlambat" in late
    await _get(seeded, "/tiket/BTG-2026-99999", status=404)


async def test_report_page_uses_the_report_code_with_its_chart_and_workbook(seeded: Any) -> None:
    dashboard, http, numbers = seeded
    html = await _get(seeded, "/laporan")
    assert "Laporan mutu baku SOP" in html
    assert numbers["terlambat"] in html.split("Pelanggaran (", 1)[1]
    assert "Tiket baru: 3" in html
    assert '<img class="grafik" src="/laporan/grafik.png?periode=' in html
    bad = await _get(seeded, "/laporan?periode=kemarin", status=400)
    assert "kemarin" in bad
    async with http.get(dashboard.base_url + "/laporan/grafik.png?periode=2026-11") as chart:
        assert chart.status == 200
        assert chart.headers["Content-Type"] == "image/png"
        assert (await chart.read()).startswith(b"\x89PNG")
    async with http.get(dashboard.base_url + "/laporan/mutu_baku.xlsx?periode=2026-11") as xlsx:
        assert xlsx.status == 200
        assert xlsx.headers["Content-Disposition"].startswith("attachment;")
        assert ".xlsx" in xlsx.headers["Content-Disposition"]
        assert (await xlsx.read()).startswith(b"PK")


async def test_no_page_writes_and_the_access_log_has_no_query_strings(
    seeded: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dashboard, http, _ = seeded
    before = await dashboard.services.db.fetchval("SELECT COUNT(*) FROM events")
    with caplog.at_level("INFO", logger="bot.web.access"):
        await _get(seeded, "/tiket?q=rahasia")
        url = await dashboard.link()
        async with http.get(url) as shown:
            assert shown.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.web.access"]
    assert any('"GET /tiket"' in line for line in lines)
    assert all("?" not in line and "rahasia" not in line for line in lines)
    assert await dashboard.services.db.fetchval("SELECT COUNT(*) FROM events") == before


async def test_a_file_sent_in_telegram_is_downloaded_through_the_bot(seeded: Any) -> None:
    from bot.domain.sop import Action, Actor
    from bot.domain.ticket import Attachment
    from bot.workflow import By
    from tests.support.tickets import USER_CHAT

    dashboard, http, numbers = seeded
    file_id, _unique = dashboard.api.add_file(b"%PDF-1.4 bukti", "bukti<1>.pdf")
    ticket = await dashboard.services.workflow.get(numbers["jahat"])
    assert ticket.id is not None
    await dashboard.services.workflow.apply(
        ticket.number, Action.USER_MESSAGE, Actor.USER, By(USER_CHAT, "Budi"),
        details={"text": "Ini buktinya"},
        attachments=[Attachment(None, ticket.id, "pengguna", "bukti<1>.pdf", "application/pdf",
                                14, telegram_file_id=file_id)],
    )  # fmt: skip
    html = await _get(seeded, f"/tiket/{ticket.number}")
    assert "bukti&lt;1&gt;.pdf" in html
    link = html.split('href="/lampiran/telegram/', 1)[1].split('"', 1)[0]
    async with http.get(f"{dashboard.base_url}/lampiran/telegram/{link}") as download:
        assert download.status == 200
        assert download.headers["Content-Type"] == "application/octet-stream"
        assert "bukti%3C1%3E.pdf" in download.headers["Content-Disposition"]
        assert await download.read() == b"%PDF-1.4 bukti"


async def test_the_list_is_paginated_and_keeps_its_filters(seeded: Any) -> None:
    from tests.support.telegram_app_fixtures import sample_ticket

    dashboard, _, _ = seeded
    store = dashboard.services.workflow.store
    async with dashboard.services.db.transaction():  # straight in: no cards to post
        for i in range(52):
            ticket = sample_ticket(
                id=None,
                number=f"BTG-2026-{500 + i:05d}",
                title=f"Akun terkunci nomor {i}",
                application="SiRUP",
            )
            await store.insert(ticket)  # fmt: skip
    first = await _get(seeded, "/tiket?aplikasi=SiRUP")
    assert "52 tiket · halaman 1 dari 2" in first
    assert "Akun terkunci nomor 51" in first and "Akun terkunci nomor 1<" not in first
    assert "/tiket?aplikasi=SiRUP&amp;halaman=2" in first
    second = await _get(seeded, "/tiket?aplikasi=SiRUP&halaman=2")
    assert "halaman 2 dari 2" in second and "Akun terkunci nomor 0" in second
    assert "/tiket?aplikasi=SiRUP&amp;halaman=1" in second
