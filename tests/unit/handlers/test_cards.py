"""Card buttons and rendering: what staff can press follows the SOP, the card always fits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.callbacks import MAX_BYTES
from bot.domain.sop import State
from bot.handlers.cards import DESCRIPTION_ON_CARD, Cards, event_text, rows_of
from bot.notify import LIMIT
from tests.support.telegram_app_fixtures import pure_services, sample_ticket


class NotBlocked:
    async def is_blocked(self, chat_id: int) -> bool:
        return False


def cards(tmp_path: Path) -> Cards:
    made = Cards(pure_services(tmp_path), bot=None)  # type: ignore[arg-type]
    made.messages = NotBlocked()  # type: ignore[assignment]

    async def no_deadline(ticket: Any) -> None:
        return None

    made.deadline_text = no_deadline  # type: ignore[method-assign]
    return made


def labels(keyboard: Any) -> list[str]:
    return [label for row in keyboard for label, _ in row]


@pytest.mark.parametrize(
    ("state", "assignee", "expected"),
    [
        (
            State.NEW,
            None,
            ["🙋 Ambil", "💬 Balas", "✅ Selesai", "⛔ Tidak dapat ditangani → Eskalasi"],
        ),
        (
            State.IN_PROGRESS,
            9101,
            ["💬 Balas", "✅ Selesai", "⛔ Tidak dapat ditangani → Eskalasi"],
        ),
        (State.CANNOT_HANDLE, 9101, ["💬 Balas", "📤 Kirim eskalasi", "✖️ Batal eskalasi"]),
        (State.LKPP_REQUESTED_DATA, 9101, ["💬 Balas", "📨 Teruskan ke pengguna"]),
        (State.USER_DATA_RECEIVED, 9101, ["💬 Balas", "📤 Teruskan ke LKPP"]),
        (State.LKPP_SOLVED, 9101, ["💬 Balas", "📨 Teruskan solusi"]),
        (State.CLOSED, 9101, []),
    ],
)
def test_buttons_are_the_staff_steps_the_sop_allows(
    tmp_path: Path, state: State, assignee: int | None, expected: list[str]
):
    ticket = sample_ticket(state=state, assignee_id=assignee)
    shown = labels(cards(tmp_path).card_buttons(ticket))
    assert [label for label in shown if label not in ("🎚 Prioritas", "📄 Detail")] == expected
    assert shown[-1] == "📄 Detail"


@pytest.mark.parametrize("state", list(State))
def test_every_callback_fits_telegrams_64_bytes(tmp_path: Path, state: State):
    ticket = sample_ticket(state=state, number="BTGXXXXXXX-2026-999999")
    for row in cards(tmp_path).card_buttons(ticket):
        assert len(row) <= 2
        for _, data in row:
            assert len(data.encode()) <= MAX_BYTES


async def test_a_card_with_an_8000_character_description_still_fits(tmp_path: Path):
    description = "&<>" * 2666
    html, _ = await cards(tmp_path).render(sample_ticket(description=description))
    assert len(html) <= LIMIT
    assert "Uraian lengkap dikirim di bawah kartu ini" in html


async def test_user_text_is_escaped_on_the_card(tmp_path: Path):
    ticket = sample_ticket(title="<b>judul</b> & *x*", description="<script>x</script>")
    html, _ = await cards(tmp_path).render(ticket)
    assert "&lt;b&gt;judul&lt;/b&gt; &amp; *x*" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>" not in html
    assert len(ticket.description) <= DESCRIPTION_ON_CARD
    assert "Uraian lengkap" not in html


def test_rows_of_cuts_buttons_into_rows():
    assert rows_of([("a", "1"), ("b", "2"), ("c", "3")]) == [
        [("a", "1"), ("b", "2")],
        [("c", "3")],
    ]


def test_timeline_lines_show_the_most_telling_detail():
    assert event_text({"text": "halo", "judul": "x"}) == "halo"
    assert event_text({"priority": "tinggi"}) == "tinggi"
    assert event_text({}) is None
