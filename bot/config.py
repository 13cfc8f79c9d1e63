"""Settings from the environment and ``.env``, validated once at start-up.

Every setting is documented in ``.env.example``. A missing or invalid one stops start-up with
one line that names it (:class:`ConfigError`), never a traceback.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.standards import TimeStandards

BOTFATHER_HELP = (
    "TELEGRAM_BOT_TOKEN belum diisi. Buka Telegram, chat @BotFather, kirim /newbot, ikuti "
    "langkahnya, lalu salin token yang diberikan ke TELEGRAM_BOT_TOKEN di file .env "
    "(contoh: cp .env.example .env)."
)


class ConfigError(Exception):
    """A setting that stops start-up; ``str()`` is the one line to print."""


class MailSecurity(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class StorageSettings(BaseSettings):
    """What the database needs: enough for ``migrate`` and ``backup`` without the rest."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    data_dir: Path = Path("data")
    database_path: Path | None = None

    @property
    def db_path(self) -> Path:
        return self.database_path or self.data_dir / "bot.sqlite3"


class Settings(StorageSettings):
    """Every setting of the bot. Field names are the environment names, lower-cased."""

    # Telegram
    telegram_bot_token: SecretStr
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    staff_chat_id: int
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None
    auto_forward_user_data: bool = False
    telegram_overall_per_second: float = Field(30, gt=0)
    telegram_private_per_second: float = Field(1, gt=0)
    telegram_group_per_minute: int = Field(20, ge=1)

    # The LPSE
    lpse_name: str = Field(min_length=3)
    lpse_code: str = Field(pattern=r"^[A-Za-z0-9]{2,10}$")
    timezone: str = "Asia/Jakarta"
    priority_table_file: Path | None = None

    # Mail
    smtp_host: str = Field(min_length=1)
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: MailSecurity = MailSecurity.STARTTLS
    smtp_ca_file: Path | None = None
    smtp_timeout_seconds: float = Field(30, gt=0)
    imap_host: str = Field(min_length=1)
    imap_port: int = Field(993, ge=1, le=65535)
    imap_username: str = Field(min_length=1)
    imap_password: SecretStr
    imap_security: MailSecurity = MailSecurity.TLS
    imap_ca_file: Path | None = None
    imap_mailbox: str = "INBOX"
    imap_processed_mailbox: str | None = None
    imap_poll_seconds: int = Field(60, ge=5)
    mail_from: str
    mail_secret: SecretStr = Field(min_length=16)
    lkpp_helpdesk_email: str
    lkpp_allowed_senders: Annotated[list[str], NoDecode] = Field(min_length=1)
    mail_trusted_authserv_id: str | None = None
    mail_attachments_max_bytes: int = Field(10 * 1024 * 1024, ge=0)
    mail_max_message_bytes: int = Field(30 * 1024 * 1024, ge=1024)
    outbox_alert_minutes: int = Field(10, ge=1)
    outbox_retry_base_seconds: int = Field(15, ge=1)
    outbox_retry_max_seconds: int = Field(600, ge=1)
    imap_reconnect_max_seconds: int = Field(300, ge=1)

    # Time standards (mutu baku) and the working day
    escalate_minutes: int = Field(5, ge=1)
    forward_data_minutes: int = Field(5, ge=1)
    lkpp_status_working_days: int = Field(2, ge=1)
    lkpp_progress_working_days: int = Field(1, ge=1)
    user_reminder_working_days: int = Field(1, ge=1)
    user_staff_alert_working_days: int = Field(2, ge=1)
    nudge_before_minutes: int = Field(2, ge=0)
    working_hours_start: time = time(7, 30)
    working_hours_end: time = time(16, 0)
    friday_hours_start: time = time(7, 30)
    friday_hours_end: time = time(16, 30)
    daily_briefing_time: time = time(8, 0)
    auto_close_working_days: int = Field(3, ge=1)
    sweep_interval_seconds: int = Field(20, ge=1)

    # The read-only web dashboard (off unless WEB_LISTEN is set)
    web_listen: str | None = None
    web_public_url: str | None = None
    web_secret: SecretStr | None = None
    web_session_hours: float = Field(8, gt=0, le=24 * 7)
    web_membership_cache_minutes: float = Field(5, ge=0, le=24 * 60)
    web_trust_proxy: bool = False

    log_level: str = "INFO"
    log_format: str = "text"

    @field_validator("admin_user_ids", "lkpp_allowed_senders", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("lkpp_allowed_senders")
    @classmethod
    def _senders(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            item = item.lower().lstrip("@")
            if "." not in item or " " in item:
                raise ValueError(f"{item!r} bukan alamat email atau domain")
            out.append(item)
        return out

    @field_validator("mail_trusted_authserv_id")
    @classmethod
    def _authserv_id(cls, value: str | None) -> str | None:
        value = (value or "").strip().lower()
        if not value:
            return None
        if re.search(r"[\s;()]", value):
            raise ValueError(
                f"{value!r} bukan authserv-id (contoh: mx.batangkab.go.id, kata pertama header "
                "Authentication-Results yang ditulis server surat LPSE)"
            )
        return value

    @field_validator("mail_from", "lkpp_helpdesk_email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        address = value.rsplit("<", 1)[-1].rstrip(">").strip()
        if not _EMAIL.match(address):
            raise ValueError(f"{value!r} bukan alamat email")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} bukan zona waktu (contoh: Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"
            ) from None
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]{5,}", value.get_secret_value().strip()):
            raise ValueError("format token tidak dikenal (contoh: 123456789:AAE...)")
        return value

    @field_validator("web_listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_listen(value)
        return value.strip()

    @field_validator("web_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(f"{value!r} bukan alamat http:// atau https://")
        return value

    @model_validator(mode="after")
    def _web_secret_needed(self) -> Settings:
        if self.web_listen is None:
            return self
        secret = self.web_secret.get_secret_value() if self.web_secret else ""
        if len(secret) < 16:
            raise ValueError(
                "WEB_SECRET wajib diisi (minimal 16 karakter, mis. openssl rand -hex 32) "
                "bila WEB_LISTEN diisi"
            )
        return self

    @property
    def web_address(self) -> tuple[str, int]:
        """Host and port the dashboard binds (``WEB_LISTEN``; 127.0.0.1:8080 by default)."""
        return parse_listen(self.web_listen or "")

    @property
    def web_base_url(self) -> str:
        """The address people open: ``WEB_PUBLIC_URL``, else the bind address itself."""
        if self.web_public_url:
            return self.web_public_url
        host, port = self.web_address
        return f"http://{host}:{port}"

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def mail_address(self) -> str:
        return self.mail_from.rsplit("<", 1)[-1].rstrip(">").strip()

    @property
    def mail_domain(self) -> str:
        return self.mail_address.rsplit("@", 1)[-1]

    @property
    def standards(self) -> TimeStandards:
        return TimeStandards(
            escalate=timedelta(minutes=self.escalate_minutes),
            forward_data=timedelta(minutes=self.forward_data_minutes),
            lkpp_status_working_days=self.lkpp_status_working_days,
            lkpp_progress_working_days=self.lkpp_progress_working_days,
            user_reminder_working_days=self.user_reminder_working_days,
            user_staff_alert_working_days=self.user_staff_alert_working_days,
            nudge_before=timedelta(minutes=self.nudge_before_minutes),
        )

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_user_ids

    @property
    def lkpp_domains(self) -> list[str]:
        """The domains of ``LKPP_ALLOWED_SENDERS`` (an address entry gives its domain)."""
        return sorted({entry.rpartition("@")[2] for entry in self.lkpp_allowed_senders})

    def sender_allowed(self, address: str) -> bool:
        """Whether ``address`` is LKPP: listed exactly, or under a listed domain."""
        address = address.strip().lower()
        domain = address.rsplit("@", 1)[-1]
        for allowed in self.lkpp_allowed_senders:
            if "@" in allowed:
                if address == allowed:
                    return True
            elif domain == allowed or domain.endswith("." + allowed):
                return True
        return False


DEFAULT_WEB_HOST = "127.0.0.1"
DEFAULT_WEB_PORT = 8080


def parse_listen(value: str) -> tuple[str, int]:
    """``host:port``, ``host`` or ``port`` as a bind address; missing parts are the defaults.

    Raises:
        ValueError: The port is not a number between 1 and 65535.
    """
    value = value.strip()
    host, port = DEFAULT_WEB_HOST, DEFAULT_WEB_PORT
    if value.isdigit():
        port = int(value)
    elif value:
        head, sep, tail = value.rpartition(":")
        if sep and tail.isdigit():
            host, port = head.strip("[]") or DEFAULT_WEB_HOST, int(tail)
        elif sep and not tail:
            host = head.strip("[]") or DEFAULT_WEB_HOST
        elif ":" in value and not value.startswith("["):
            raise ValueError(f"{value!r} bukan alamat host:port (contoh: 127.0.0.1:8080)")
        else:
            host = value.strip("[]")
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} di luar 1-65535")
    return host, port


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    name = str(error["loc"][0]).upper() if error["loc"] else "?"
    if error["type"] == "missing":
        if name == "TELEGRAM_BOT_TOKEN":
            return BOTFATHER_HELP
        return f"Pengaturan {name} wajib diisi (lihat .env.example)."
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:  # a rule across settings says which ones itself
        return f"Pengaturan tidak lengkap: {message}"
    return f"Pengaturan {name} tidak valid: {message}"


def load_settings(env_file: Path | str | None = ".env") -> Settings:
    """Read settings from the environment and ``env_file``.

    Raises:
        ConfigError: One line naming the first setting that is missing or invalid.
    """
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def load_storage_settings(env_file: Path | str | None = ".env") -> StorageSettings:
    try:
        return StorageSettings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
