"""Callback data of every inline button: ``<prefix>:<verb>:<arg>…``, at most 64 bytes.

Each component owns its prefix and handles it with a ``CallbackQueryHandler(pattern=…)``:

* ``t`` — a staff action on a ticket (``bot.handlers``): ``t:ambil:BTG-2026-00042``;
* ``u`` — a user's answer in private chat (``bot.handlers``);
* ``m`` — an LKPP email shown to staff (``bot.mail``): classify, forward to the user;
* ``q`` — a quarantined email (``bot.mail``): attach to a ticket, discard;
* ``d`` — a deadline nudge (``bot.deadlines``);
* ``f`` — a knowledge-base entry shown to staff (``bot.handlers.kb_staff``): save, retire …;
* ``k`` — a user reading the knowledge base outside a report (``bot.handlers.kb_user``).

Buttons of one component that do another component's job (a nudge's "Kirim eskalasi") use the
other component's data, built with :func:`ticket_action`, so one handler does each job.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

MAX_BYTES = 64

Keyboard = Sequence[Sequence[tuple[str, str]]]
"""Rows of (label, callback data): an inline keyboard as every sender takes it."""


class TicketVerb(StrEnum):
    """Staff actions on a ticket's card in the staff group."""

    TAKE = "ambil"
    REPLY = "balas"
    SOLVE = "selesai"
    CANNOT_HANDLE = "tdk"  # shows the draft escalation (SOP step 1 clock starts)
    SEND_ESCALATION = "kirim"
    CANCEL_ESCALATION = "batal"
    PRIORITY = "prio"
    PASS_REQUEST = "minta"  # step 7: pass LKPP's data request to the user
    FORWARD_DATA = "fwd"  # step 9: forward the user's data to LKPP
    PASS_SOLUTION = "solusi"  # step 13: pass LKPP's solution to the user
    DETAIL = "detail"
    TELL_LKPP = "kabari"  # a withdrawn escalated report: send LKPP the notice


def pack(prefix: str, *parts: object) -> str:
    """Join ``parts`` under ``prefix``; raises ValueError past Telegram's 64-byte limit."""
    data = ":".join([prefix, *(str(p) for p in parts)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def unpack(data: str) -> tuple[str, list[str]]:
    """``"t:ambil:BTG-2026-00042"`` → ``("t", ["ambil", "BTG-2026-00042"])``."""
    prefix, _, rest = data.partition(":")
    return prefix, rest.split(":") if rest else []


def ticket_action(verb: TicketVerb, number: str, *extra: object) -> str:
    return pack("t", verb.value, number, *extra)
