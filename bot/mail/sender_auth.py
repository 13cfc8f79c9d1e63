"""Is an email that names LKPP as its author really from LKPP? Header rules, then the verdict
of the LPSE's own receiving server.

The bot does no DNS: SPF, DKIM and DMARC are checked by the mail server that received the
email for the LPSE, which writes what it found in an ``Authentication-Results`` header
(RFC 8601) on top of the message. :func:`authentication_problem` reads that verdict, parsed
with the ``authres`` library, from the one header the bot can trust:

* the **topmost** header carrying the configured authserv-id (``MAIL_TRUSTED_AUTHSERV_ID``).
  The receiving server adds its header above everything that came with the message, so a
  header lower down carrying the same id was written by the sender: forgeable, ignored. A
  header with any other id says what some other server thought: ignored too.
* it must say ``dmarc=pass`` for the ``From`` domain, or ``dkim=pass`` with a signing domain
  (``header.d``) aligned with the ``From`` domain.

:func:`header_problem` needs no server at all: it refuses the tricks that make a mail client
show one author while another one sent the email (see the README, "Surel palsu").

Both return a quarantine reason (a key of ``surel_karantina`` in ``locales/id/surel.toml``)
or ``None``. Pure functions of the parsed email: no clock, no I/O.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import authres

from bot.mail.parsed import ParsedMail

__all__ = [
    "AUTH_FAILED",
    "DISPLAY_NAME_ADDRESS",
    "DMARC_FAILED",
    "FOREIGN_SENDER",
    "MULTIPLE_FROM",
    "NO_AUTH_RESULT",
    "aligned",
    "authentication_problem",
    "header_problem",
]

log = logging.getLogger(__name__)

MULTIPLE_FROM = "from_ganda"
FOREIGN_SENDER = "sender_domain_lain"
DISPLAY_NAME_ADDRESS = "nama_berisi_alamat_lain"
NO_AUTH_RESULT = "autentikasi_tidak_ada"
DMARC_FAILED = "dmarc_gagal"
AUTH_FAILED = "autentikasi_gagal"

_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_AUTHSERV_ID = re.compile(r"^\s*(?:\([^)]*\)\s*)*([^\s;()]+)")


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def _under(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def header_problem(parsed: ParsedMail, lkpp_domains: Iterable[str] = ()) -> str | None:
    """The first header rule the email breaks, or ``None``.

    * More than one ``From`` address: clients show the first, some the last; the author is
      whoever the attacker wants each reader to see.
    * A ``Sender`` outside the ``From`` domain: someone else sent it "on behalf of" LKPP.
      (Within one configured LKPP domain, ``helpdesk.lkpp.go.id`` sending for ``lkpp.go.id``
      or the other way round, it is LKPP's own system.)
    * A ``From`` display name holding another address (``"helpdesk@lkpp.go.id"
      <x@elsewhere>``): phones show only the name.
    """
    if len(set(parsed.from_all)) > 1:
        return MULTIPLE_FROM
    from_domain = _domain(parsed.from_addr)
    if parsed.sender and from_domain:
        sender_domain = _domain(parsed.sender)
        if not (
            _under(sender_domain, from_domain) or aligned(sender_domain, from_domain, lkpp_domains)
        ):
            return FOREIGN_SENDER
    for shown in _ADDRESS.findall(parsed.from_name or ""):
        if shown.lower() != parsed.from_addr:
            return DISPLAY_NAME_ADDRESS
    return None


def aligned(signing_domain: str, from_domain: str, lkpp_domains: Iterable[str]) -> bool:
    """Whether a DKIM ``header.d`` vouches for the ``From`` domain.

    Equal domains align. So do two domains under the same configured LKPP domain
    (``d=lkpp.go.id`` for ``helpdesk.lkpp.go.id``): the configured list stands in for the
    public-suffix list, so ``d=go.id`` never aligns with ``lkpp.go.id``.
    """
    signing_domain, from_domain = signing_domain.lower().rstrip("."), from_domain.lower()
    if not signing_domain or not from_domain:
        return False
    if signing_domain == from_domain:
        return True
    return any(_under(signing_domain, d) and _under(from_domain, d) for d in lkpp_domains)


def _authserv_id(value: str) -> str:
    match = _AUTHSERV_ID.match(value)
    return match.group(1).lower() if match else ""


def _property(result: authres.core.AuthenticationResult, ptype: str, name: str) -> str | None:
    for prop in getattr(result, "properties", None) or []:
        if prop.type.lower() == ptype and prop.name.lower() == name and prop.value:
            return str(prop.value).strip().strip('"').lower()
    return None


def authentication_problem(
    parsed: ParsedMail, trusted_id: str, lkpp_domains: Iterable[str]
) -> str | None:
    """What the LPSE's receiving server says against the email, or ``None`` when it passed.

    Args:
        parsed: The email; its headers are in message order, the newest on top.
        trusted_id: ``MAIL_TRUSTED_AUTHSERV_ID``.
        lkpp_domains: The domains of ``LKPP_ALLOWED_SENDERS``, for DKIM alignment.
    """
    trusted = trusted_id.strip().lower()
    verdict = None
    for value in parsed.header_all("Authentication-Results"):  # topmost first
        try:
            found = authres.AuthenticationResultsHeader.parse_value(value)
        except Exception as exc:  # unreadable: ours means unproven, anyone else's is ignored
            if _authserv_id(value) == trusted:
                log.warning("Authentication-Results from %s unreadable: %s", trusted, exc)
                return AUTH_FAILED
            continue
        if str(found.authserv_id or "").lower() == trusted:
            verdict = found
            break
    if verdict is None:
        return NO_AUTH_RESULT
    from_domain = _domain(parsed.from_addr)
    domains = list(lkpp_domains)
    dmarc = [r for r in verdict.results if r.method.lower() == "dmarc"]
    for result in dmarc:
        checked = _property(result, "header", "from")
        if result.result.lower() == "pass" and checked in (None, from_domain):
            return None
    for result in verdict.results:
        if result.method.lower() == "dkim" and result.result.lower() == "pass":
            signer = _property(result, "header", "d") or _domain(
                _property(result, "header", "i") or ""
            )
            if aligned(signer, from_domain, domains):
                return None
    if any(r.result.lower() in {"fail", "quarantine", "reject"} for r in dmarc):
        return DMARC_FAILED
    return AUTH_FAILED
