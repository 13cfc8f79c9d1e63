"""Typed errors of the domain. Adapters turn them into Indonesian messages via their ``code``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain.sop_terms import Action, Actor, State


class DomainError(Exception):
    """Base of every error the domain raises on purpose.

    ``code`` names the message template key (``errors.<code>`` in ``locales/id``) so adapters
    never build the text themselves.
    """

    code = "kesalahan"


class IllegalTransition(DomainError):
    """The action is not allowed in the ticket's state, or not for this actor."""

    code = "transisi_tidak_sah"

    def __init__(
        self,
        action: Action,
        state: State | None,
        actor: Actor,
        reason: str = "keadaan_salah",
        number: str | None = None,
    ) -> None:
        self.number = number
        self.action = action
        self.state = state
        self.actor = actor
        self.reason = reason
        super().__init__(f"{actor} cannot {action} a ticket in state {state} ({reason})")


class GuardFailed(IllegalTransition):
    """The action is allowed in this state, but its condition is not met."""

    code = "syarat_tidak_terpenuhi"


class TicketNotFound(DomainError):
    """No ticket with that number (or not one the asker may see)."""

    code = "tiket_tidak_ditemukan"

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"ticket {number!r} not found")


class ConcurrentUpdate(DomainError):
    """Another actor changed the ticket first (two staff pressing one button)."""

    code = "sudah_diproses"

    def __init__(self, number: str, by: str | None = None) -> None:
        self.number = number
        self.by = by
        super().__init__(f"ticket {number} was changed concurrently by {by}")


class InvalidInput(DomainError):
    """A field value that fails validation (email, package code, priority …)."""

    code = "masukan_tidak_valid"

    def __init__(self, field: str, value: object = None) -> None:
        self.field = field
        self.value = value
        super().__init__(f"invalid {field}: {value!r}")
