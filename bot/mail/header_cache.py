"""A header parsed once per email, and common short headers once across emails.

The stdlib re-parses a header every time it is read, and builds a new header class with
``type()`` for each header it parses; on an ordinary LKPP reply that is most of the parse
time (see ``bench/ingest.py``). The policy here hands out the same immutable header object
again instead, which changes nothing but the time.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import HeaderRegistry
from email.policy import EmailPolicy
from typing import Any


class _HeaderClasses(HeaderRegistry):
    """The stdlib registry, but it makes each header class once instead of on every parse.

    ``HeaderRegistry.__getitem__`` builds a new class with ``type()`` for every header it
    parses; keyed by the resolved class (a fixed handful), not by the header's name, so
    senders inventing names cannot grow it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[type, type] = {}

    def __getitem__(self, name: str) -> type:
        cls = self.registry.get(name.lower(), self.default_class)
        made = self._made.get(cls)
        if made is None:
            made = self._made[cls] = super().__getitem__(name)
        return made


_HEADER_CLASSES = _HeaderClasses()
#: Parsed headers shared by all messages: our own ``To``, LKPP's ``From``, ``text/plain;
#: charset=utf-8`` come back in nearly every email. Only headers that repeat (not ids, dates,
#: subjects), short values only, and emptied when full, so hostile mail can neither bloat it
#: nor keep it (plain dict get/set/clear, so threads may share it).
SHARED_HEADERS: dict[tuple[str, str], str] = {}
SHARED_NAMES = frozenset(
    {"from", "to", "cc", "reply-to", "sender", "mime-version", "content-type",
     "content-disposition", "content-transfer-encoding"}
)  # fmt: skip
SHARED_MAX_ENTRIES = 512
SHARED_MAX_CHARS = 200


class OncePolicy(EmailPolicy):
    """``policy.default``, except that a header value is parsed once, not on every read.

    The stdlib re-parses a header every time it is read: ``get_content_type`` alone parses
    the part's ``Content-Type`` again on each call, and the part walks, the stdlib's
    :meth:`~email.message.EmailMessage.get_body` and the bounce scan ask it a dozen times
    per part. Header objects are immutable and depend only on the name and the raw value, so
    handing the same one out again changes nothing but the time (most of the parse time of an
    ordinary reply). A parse that raises is not remembered: the next read raises the same way.
    One instance (one memo) per parsed message, see :func:`policy_for`; short values are
    also kept across messages in :data:`SHARED_HEADERS`.
    """

    _parsed: dict[tuple[str, str], str] | None = None

    def __init__(self, *, memo: dict[tuple[str, str], str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        # Policies are immutable once made (their __setattr__ refuses), clones included.
        object.__setattr__(self, "_parsed", memo)

    def header_fetch_parse(self, name: str, value: str) -> str:
        """The header object (a ``str`` subclass) for ``name: value``, parsed at most once."""
        memo = self._parsed
        if memo is None or hasattr(value, "name"):
            return super().header_fetch_parse(name, value)
        key = (name, value)
        found = memo.get(key)
        if found is None:
            found = SHARED_HEADERS.get(key)
            if found is None:
                found = super().header_fetch_parse(name, value)
                if len(value) <= SHARED_MAX_CHARS and name.lower() in SHARED_NAMES:
                    if len(SHARED_HEADERS) >= SHARED_MAX_ENTRIES:
                        SHARED_HEADERS.clear()
                    SHARED_HEADERS[key] = found
            memo[key] = found
        return found


def policy_for(modern: bool) -> policy.Policy:
    """The policy for one parse: a :class:`OncePolicy` with its own memo, or ``compat32``."""
    if not modern:
        return policy.compat32
    return OncePolicy(memo={}, header_factory=_HEADER_CLASSES)
