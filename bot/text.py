"""Every user-facing text comes from the catalogs under ``locales/<lang>/``.

Two Jinja2 environments, both with ``StrictUndefined`` so a missing variable fails loudly in
tests instead of reaching a user as an empty string:

* Telegram (``locales/id/telegram/*.html`` and the short messages in ``locales/id/*.toml``,
  merged by top-level section; a section defined in two files is an error):
  autoescape on, because messages go out with ``parse_mode=HTML`` and every piece of user text
  must arrive as text, not markup.
* Email (``locales/id/email/*.txt``): autoescape off, plain text.
* Web dashboard (``locales/id/web/*.html``): autoescape on, full HTML pages; the dashboard's
  stylesheet lives next to them and is read through the same loader, so it ships with them.

Dates, times, numbers and durations are formatted with Babel in Indonesian
("Senin, 17 Agustus 2026").
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from bot.domain.errors import (
    ConcurrentUpdate,
    DomainError,
    GuardFailed,
    IllegalTransition,
    InvalidInput,
    TicketNotFound,
)

ECHO_LIMIT = 100
"""Characters of a person's own input quoted back in a reply ("„…” bukan nomor tiket")."""


def echo(value: str, limit: int = ECHO_LIMIT) -> str:
    """``value`` cut to ``limit`` characters (with "…"), for quoting input back to its sender.

    A usage or validation message that repeats 5,000 characters of what was typed helps nobody
    and can push the reply past Telegram's 4,096-character limit.
    """
    value = " ".join(value.split())  # one line: a quote never breaks the reply's layout
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def telegram_length(text: str) -> int:
    """Length as Telegram counts it for its limits: UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _locales_dir() -> Path:
    """Where the catalogs are.

    ``locales/`` stays at the top of the checkout and installs as the package data
    ``bot/locales`` (``setup.py`` maps one to the other), so an installed wheel finds it through
    :mod:`importlib.resources`; a checkout or an editable install reads the top-level folder.
    """
    shipped = resources.files("bot") / "locales"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "locales"


LOCALES_DIR = _locales_dir()

_ZONE_ABBR = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
              "Asia/Jayapura": "WIT"}  # fmt: skip


class Texts:
    """Renders templates and catalog messages for one locale and time zone.

    Args:
        tz: The LPSE's time zone; every instant is shown in it.
        locale: The catalog folder and Babel locale (``id``).
        root: Where the ``locales`` folders are.
    """

    def __init__(self, tz: ZoneInfo, locale: str = "id", root: Path = LOCALES_DIR) -> None:
        self.tz = tz
        self.locale = locale
        self.zone_abbr = _ZONE_ABBR.get(str(tz), str(tz))
        base = root / locale
        self.html = self._env(base / "telegram", autoescape=True)
        self.plain = self._env(base / "email", autoescape=False)
        self.web = self._env(base / "web", autoescape=True)
        self.catalog: dict[str, Any] = {}
        for path in sorted(base.glob("*.toml")):
            with path.open("rb") as handle:
                part = tomllib.load(handle)
            clash = set(part) & set(self.catalog)
            if clash:
                raise ValueError(f"{path.name}: sections {sorted(clash)} defined twice")
            self.catalog.update(part)
        self._compiled: dict[str, Any] = {}

    def _env(self, folder: Path, autoescape: bool) -> Environment:
        env = Environment(
            loader=FileSystemLoader(folder),
            undefined=StrictUndefined,
            autoescape=select_autoescape(default=True, default_for_string=True)
            if autoescape
            else False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.filters.update(
            tanggal=self.date,
            waktu=self.datetime,
            jam=self.time,
            angka=self.number,
            persen=self.percent,
            durasi=self.duration,
            durasi_kerja=self.working_duration,
        )
        env.globals["t"] = self.msg
        return env

    # --- rendering ------------------------------------------------------------------------
    def render(self, name: str, **context: Any) -> str:
        """Render ``locales/<lang>/telegram/<name>.html`` (HTML-escaped user text)."""
        return self.html.get_template(f"{name}.html").render(**context).strip()

    def render_email(self, name: str, **context: Any) -> str:
        """Render ``locales/<lang>/email/<name>.txt`` (plain text, nothing escaped)."""
        return self.plain.get_template(f"{name}.txt").render(**context).strip() + "\n"

    def render_web(self, name: str, **context: Any) -> str:
        """Render the dashboard page ``locales/<lang>/web/<name>.html`` (everything escaped)."""
        return self.web.get_template(f"{name}.html").render(**context)

    def web_asset(self, name: str) -> str:
        """A static file of the dashboard (its stylesheet), read through the template loader."""
        assert self.web.loader is not None
        return self.web.loader.get_source(self.web, name)[0]

    def msg(self, key: str, **context: Any) -> str:
        """A short catalog message, e.g. ``msg("errors.tiket_tidak_ditemukan")``."""
        template = self._compiled.get(key)
        if template is None:
            node: Any = self.catalog
            for part in key.split("."):
                if not isinstance(node, dict) or part not in node:
                    raise KeyError(f"no message {key!r} in locales/{self.locale}/*.toml")
                node = node[part]
            if not isinstance(node, str):
                raise KeyError(f"{key!r} is a section, not a message")
            template = self.html.from_string(node)
            self._compiled[key] = template
        return template.render(**context).strip()

    def message_keys(self) -> Iterator[str]:
        """Every catalog message key (``section.sub.name``), for checks that all of them load."""

        def walk(node: dict[str, Any], prefix: str) -> Iterator[str]:
            for name, value in node.items():
                if isinstance(value, dict):
                    yield from walk(value, f"{prefix}{name}.")
                elif isinstance(value, str):
                    yield f"{prefix}{name}"

        return walk(self.catalog, "")

    def compile_all(self) -> int:
        """Parse every template and catalog message; returns how many. Raises on the first bad one.

        Run at start-up checks and by the packaging smoke test: a template missing from an
        install, or one with a syntax error, fails here instead of in front of a user.
        """
        count = 0
        for env in (self.html, self.plain):
            for name in env.list_templates():
                env.get_template(name)
                count += 1
        for name in self.web.list_templates(extensions=["html"]):
            self.web.get_template(name)
            count += 1
        self.web_asset("gaya.css")  # the dashboard's stylesheet ships with its pages
        count += 1
        for key in self.message_keys():
            node: Any = self.catalog
            for part in key.split("."):
                node = node[part]
            self._compiled.setdefault(key, self.html.from_string(node))
            count += 1
        return count

    def has(self, key: str) -> bool:
        node: Any = self.catalog
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return isinstance(node, str)

    def plain_msg(self, key: str, **context: Any) -> str:
        """A catalog message without HTML escaping, for button labels and email subjects."""
        return Markup(self.msg(key, **context)).unescape()

    def error(self, exc: DomainError) -> str:
        """The Indonesian message for a domain error, with its details filled in."""
        if isinstance(exc, IllegalTransition):
            action = self.msg(f"aksi.{exc.action.value}")
            if isinstance(exc, GuardFailed) or exc.reason == "pelaku_salah":
                return self.msg(
                    "errors.syarat_tidak_terpenuhi",
                    aksi=action,
                    alasan=self.msg(f"alasan.{exc.reason}"),
                )
            status = self.msg(f"status.{exc.state.value}") if exc.state else "-"
            return self.msg(
                "errors.transisi_tidak_sah", aksi=action, nomor=exc.number or "", status=status
            )
        if isinstance(exc, TicketNotFound):
            return self.msg("errors.tiket_tidak_ditemukan", nomor=exc.number)
        if isinstance(exc, ConcurrentUpdate):
            return self.msg("errors.sudah_diproses", nomor=exc.number, oleh=exc.by)
        if isinstance(exc, InvalidInput):
            field = self.msg(f"kolom.{exc.field}") if self.has(f"kolom.{exc.field}") else exc.field
            return self.msg("errors.masukan_tidak_valid", kolom=field)
        return self.msg("errors.kesalahan")

    # --- formatting -----------------------------------------------------------------------
    def date(self, value: date | datetime) -> str:
        """``Senin, 17 Agustus 2026``."""
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return format_date(value, format="full", locale=self.locale)

    def time(self, value: datetime) -> str:
        """``10.05 WIB``."""
        local = value.astimezone(self.tz)
        return f"{format_time(local, 'HH.mm', locale=self.locale)} {self.zone_abbr}"

    def datetime(self, value: datetime) -> str:
        """``Senin, 17 Agustus 2026 10.05 WIB``."""
        return f"{self.date(value)} {self.time(value)}"

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        return format_percent(value, format="#,##0.0%", locale=self.locale)

    def duration(self, value: timedelta) -> str:
        """``1 hari 2 jam 5 menit``; under a minute in seconds."""
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        seconds = abs(seconds)
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        parts = [f"{n} {unit}" for n, unit in ((days, "hari"), (hours, "jam"), (minutes, "menit"))
                 if n]  # fmt: skip
        if not parts:
            parts = [f"{secs} detik"]
        return sign + " ".join(parts)

    def working_duration(self, value: timedelta) -> str:
        """Working time with its unit said: ``3 hari kerja 6 jam``, ``6 jam kerja 5 menit``.

        Seconds are shown when the amount is under an hour (``2 menit 3 detik``): a minute-level
        standard is judged to the second, so its lateness is told to the second.
        """
        seconds = max(int(value.total_seconds()), 0)
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        parts = []
        if days:
            parts.append(f"{days} hari kerja")
        if hours:
            parts.append(f"{hours} jam" if days else f"{hours} jam kerja")
        if minutes:
            parts.append(f"{minutes} menit")
        if secs and not days and not hours:
            parts.append(f"{secs} detik")
        return " ".join(parts) or "0 detik"
