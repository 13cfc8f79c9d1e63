"""Logging set-up: plain text or one JSON object per line, never a secret in either."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# Bot tokens appear in Telegram URLs that httpx logs; passwords never reach a log call.
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactingFilter(logging.Filter):
    """Masks Telegram bot tokens in every record, including httpx's request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub("<token>", message)
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Both log every poll or every run of the repeating sweep at INFO: a line a second, hiding
    # what matters. Their warnings and errors still come through.
    for chatty in ("httpx", "apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
