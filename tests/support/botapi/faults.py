"""Telegram failing on purpose: 429 flood control, arbitrary errors and slow answers.

Telegram answers a bot that sends too fast with ``429 Too Many Requests`` and a
``retry_after`` (PTB raises ``RetryAfter``), its front end sometimes answers 502 (PTB raises
``NetworkError``), and a slow answer makes PTB raise ``TimedOut``. A test schedules any of
these for the next calls of one method (or of every method but ``getUpdates``, which is the
bot polling, not the bot acting); the transport takes a scheduled fault before it dispatches.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.botapi.model import JSONDict
from tests.support.botapi.state import ApiState


@dataclass
class Fault:
    """A scheduled failure or delay for the next matching calls."""

    method: str | None
    remaining: int
    status: int | None = None
    description: str = ""
    parameters: JSONDict | None = None
    delay: float = 0.0

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method != "getUpdates"  # polling is not "a call the bot makes"
        return self.method.lower() == method.lower()


class FaultInjection(ApiState):
    """Schedules faults (test side) and hands them to the transport, one call at a time."""

    def _take_fault(self, method: str) -> Fault | None:
        """The fault the next call of ``method`` gets, if any (counted down once)."""
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(method):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def flood(self, method: str | None = None, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls with ``429 Too Many Requests``.

        Args:
            method: Method name, or ``None`` for any method except ``getUpdates``.
            count: How many calls fail.
            retry_after: Seconds in ``parameters.retry_after`` (PTB raises ``RetryAfter``).
        """
        with self._lock:
            self._faults.append(
                Fault(
                    method,
                    count,
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            )

    def fail_next(
        self,
        method: str | None,
        status: int = 400,
        description: str = "Bad Request: simulated failure",
        *,
        count: int = 1,
        parameters: JSONDict | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an arbitrary error.

        Args:
            method: Method name, or ``None`` for any method except ``getUpdates``.
            status: HTTP status / ``error_code`` (502 makes PTB raise ``NetworkError``).
            description: Error description.
            count: How many calls fail.
            parameters: Optional ``ResponseParameters`` (e.g. ``{"migrate_to_chat_id": -100}``).
        """
        with self._lock:
            self._faults.append(Fault(method, count, status, description, parameters))

    def delay_next(self, method: str | None, seconds: float, *, count: int = 1) -> None:
        """Delay the answer to the next ``count`` calls (to provoke PTB ``TimedOut``).

        Args:
            method: Method name, or ``None`` for any method except ``getUpdates``.
            seconds: Delay before the normal answer.
            count: How many calls are delayed.
        """
        with self._lock:
            self._faults.append(Fault(method, count, delay=seconds))
