"""The ``/lapor`` steps as a table: what each asks, what it accepts, and which step follows.

One :class:`Step` per question, in :data:`ORDER`. Each names its question (a catalog key under
``pengguna_tanya``), what it accepts (its :class:`Kind`: buttons of a choice, text checked by
its validator and limits, or files), its buttons, and the step after it. An answer given under
the summary's "Ubah" returns to the summary instead, except where a step always asks its
partner (urgency then impact; "Lainnya" then the application's name). The handlers of each
state are :mod:`bot.conversations.report`; the answers are kept in
:class:`~bot.conversations.report_draft.ReportDraft`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from types import MappingProxyType

from bot.callbacks import Prefix, pack
from bot.conversations import kb_suggest
from bot.conversations.common import label
from bot.conversations.report_draft import ReportDraft
from bot.domain.errors import InvalidInput
from bot.domain.text_input import normalise, visible_length
from bot.domain.ticket import (
    MAX_TITLE,
    MIN_TITLE_VISIBLE,
    TicketType,
    UserRole,
    validate_email,
    validate_package_code,
    validate_phone,
)
from bot.services import Services

PREFIX = Prefix.USER
VERB = "l"
MAX_ATTACHMENTS = 10
MAX_ERROR_CODE = 300
MAX_APPLICATION = 100
MAX_CONTACT_NAME = 100

SUGGEST = kb_suggest.STEP
"""Knowledge-base entries that may answer the report (:mod:`bot.conversations.kb_suggest`)."""
SUMMARY = "ringkasan"
"""Everything at a glance, with Kirim / Ubah / Batal."""
EDIT = "ubah"
"""Which field to change, from the summary."""
SESSION = "sesi"
"""Pseudo-step of the "Lanjutkan / Batalkan" buttons, valid whatever the current step."""
OTHER_APPLICATION = "aplikasi_lain"
"""The application's name, typed after choosing "Lainnya"."""
APPLICATIONS = ("spse", "sirup", "ekatalog", "sikap", "lainnya")
EDITABLE = (
    "jenis", "peran", "aplikasi", "kode_paket", "kode_error", "judul", "deskripsi", "prioritas",
    "lampiran", "nama", "email", "telepon",
)  # fmt: skip
"""The summary's "Ubah" choices: the fields, with urgency and impact as one (``prioritas``)."""


class Kind(Enum):
    """What a step accepts."""

    CHOICE = "pilihan"
    """One of its buttons."""
    TEXT = "teks"
    """A text message (the description may come in several)."""
    FILES = "berkas"
    """Photos and documents, until "Selesai unggah"."""
    PAGE = "halaman"
    """Buttons of a page of its own: the suggestions, the summary, the edit menu."""


@dataclass(frozen=True, slots=True)
class WrongInput:
    """The catalog key (under ``pengguna_lapor``) that answers input a step does not take."""

    text: str
    file: str
    other: str


#: What each kind of step says to a text, a file or anything else it does not take (the
#: question follows again). A kind's own input never reaches here.
WRONG_INPUT: Mapping[Kind, WrongInput] = MappingProxyType(
    {
        Kind.CHOICE: WrongInput(
            "jawab_dengan_tombol", "jawab_dengan_tombol", "jawab_dengan_tombol"
        ),
        Kind.TEXT: WrongInput("", "jawab_dengan_teks", "jawab_dengan_teks"),
        Kind.FILES: WrongInput("lampiran_jenis", "", "lampiran_jenis"),
        Kind.PAGE: WrongInput("jawab_dengan_tombol", "jawab_dengan_tombol", "jawab_dengan_teks"),
    }
)

Options = Callable[[Services], list[tuple[str | None, str]]]
"""A choice step's buttons: (value stored in the draft, label), in button order."""
Validator = Callable[[str], str]
"""Returns the value to store for a normalised, non-empty text; raises InvalidInput."""


@dataclass(frozen=True, slots=True)
class Step:
    """One question of the report.

    Attributes:
        name: The step's name: its ConversationHandler state, callback data and draft field.
        kind: What it accepts.
        field: The draft field its answer fills (``aplikasi_lain`` fills ``aplikasi``).
        options: A choice step's buttons.
        validate: A text step's check (email, package code, phone).
        limit: Longest accepted text.
        min_visible: Fewest letters or digits a text must have (the title).
        optional: Offers "Lewati", which stores nothing.
        button: (label key, argument) of a button under the question ("Lanjut", "Selesai").
        offers_telegram_name: Offers the user's Telegram name as the answer.
        partner: Asked right after this step even under "Ubah" (urgency's impact).
        next: The step after this one (``None`` for the pages that end elsewhere).
    """

    name: str
    kind: Kind
    field: str = ""
    options: Options | None = None
    validate: Validator | None = None
    limit: int | None = None
    min_visible: int = 0
    optional: bool = False
    button: tuple[str, str] | None = None
    offers_telegram_name: bool = False
    partner: Callable[[ReportDraft], str | None] | None = None
    next: str | None = None

    @property
    def question(self) -> str:
        return f"pengguna_tanya.{self.name}"


def _types(services: Services) -> list[tuple[str | None, str]]:
    return [(t.value, t.value) for t in TicketType]


def _roles(services: Services) -> list[tuple[str | None, str]]:
    return [(r.value, r.value) for r in UserRole]


def _applications(services: Services) -> list[tuple[str | None, str]]:
    """The application buttons; "Lainnya" stores nothing yet (its name is asked next)."""
    labels = [(key, label(services, f"pengguna_aplikasi.{key}")) for key in APPLICATIONS]
    return [(None if key == "lainnya" else text, text) for key, text in labels]


def _urgencies(services: Services) -> list[tuple[str | None, str]]:
    return [(u, u) for u in services.priorities.urgencies]


def _impacts(services: Services) -> list[tuple[str | None, str]]:
    return [(i, i) for i in services.priorities.impacts]


def _other_application(draft: ReportDraft) -> str | None:
    """After "Lainnya", the application's name."""
    return OTHER_APPLICATION if draft.aplikasi is None else None


def _impact(draft: ReportDraft) -> str:
    """After the urgency, the impact: together they are the priority."""
    return "dampak"


_C, _T = Kind.CHOICE, Kind.TEXT

#: The questions in the order they are asked, ending with the summary.
_TABLE: tuple[Step, ...] = (
    Step("jenis", _C, options=_types),
    Step("peran", _C, options=_roles),
    Step("aplikasi", _C, options=_applications, partner=_other_application),
    Step("kode_paket", _T, validate=validate_package_code, optional=True),
    Step("kode_error", _T, limit=MAX_ERROR_CODE, optional=True),
    Step("judul", _T, limit=MAX_TITLE, min_visible=MIN_TITLE_VISIBLE),
    Step("deskripsi", _T, button=("pengguna_tombol.lanjut", "lanjut")),
    Step(SUGGEST, Kind.PAGE),
    Step("urgensi", _C, options=_urgencies, partner=_impact),
    Step("dampak", _C, options=_impacts),
    Step("lampiran", Kind.FILES, button=("pengguna_tombol.selesai_unggah", "selesai")),
    Step("nama", _T, limit=MAX_CONTACT_NAME, offers_telegram_name=True),
    Step("email", _T, validate=validate_email),
    Step("telepon", _T, validate=validate_phone, optional=True),
    Step(SUMMARY, Kind.PAGE),
)
ORDER = tuple(step.name for step in _TABLE)


def _linked(table: tuple[Step, ...]) -> dict[str, Step]:
    """The table with each step's field and next step filled in, plus the off-order steps."""
    steps = {}
    for step, after in zip(table, [*table[1:], None], strict=True):
        steps[step.name] = replace(
            step, field=step.field or step.name, next=after.name if after is not None else None
        )
    steps[OTHER_APPLICATION] = Step(
        OTHER_APPLICATION, _T, field="aplikasi", limit=MAX_APPLICATION, next=steps["aplikasi"].next
    )
    steps[EDIT] = Step(EDIT, Kind.PAGE)
    return steps


#: Every step by name: the questions, the application's name, and the edit menu.
STEP_BY_NAME: Mapping[str, Step] = MappingProxyType(_linked(_TABLE))
STEPS = (*ORDER, OTHER_APPLICATION, EDIT)


def data(step: str, arg: object) -> str:
    """The callback data of a button of ``step``."""
    return pack(PREFIX, VERB, step, arg)


def next_step(draft: ReportDraft, step: str) -> str:
    """The step after ``step`` was answered (an edit returns to the summary)."""
    current = STEP_BY_NAME[step]
    partner = current.partner(draft) if current.partner is not None else None
    if partner is not None:
        return partner
    if draft.ubah:
        draft.ubah = False
        return SUMMARY
    assert current.next is not None, f"{step} has no next step"
    return current.next


def validate(step: str, text: str) -> tuple[str | None, str | None]:
    """(value to store, catalog key of the error) for a text answer, normalised first."""
    text = normalise(text)
    if not text:
        return None, "kosong"
    rules = STEP_BY_NAME[step]
    if rules.validate is not None:
        try:
            return rules.validate(text), None
        except InvalidInput:
            return None, f"tidak_valid_{step}"
    if rules.limit is not None and len(text) > rules.limit:
        return None, "terlalu_panjang"
    if visible_length(text) < rules.min_visible:
        return None, "judul_terlalu_pendek"
    return text, None
