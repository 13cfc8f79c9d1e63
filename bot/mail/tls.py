"""The TLS context every mail connection uses (SMTP and IMAP, the bot and its health check)."""

from __future__ import annotations

import ssl


def tls_context(ca_file: object) -> ssl.SSLContext:
    """Default verification, also trusting ``ca_file`` (an LPSE mail server with its own CA)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=str(ca_file))
    return context
