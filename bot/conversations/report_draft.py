"""The ``/lapor`` draft: the answers a user gave so far, and the step the report is at.

Every answer is written to ``user_drafts`` (kind ``lapor``) at once, so a restart between two
messages resumes at the same step with nothing lost. The stored form is a JSON object whose keys
are the step names (``jenis``, ``judul`` …) and the few flags below; it is the one drafts have
always had, so a draft stored by an older version of the bot loads, and one stored now reads
the same there. A key that is missing means "not answered yet" (or answered with nothing, for a
skipped optional field): both load as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.conversations.common import drafts_of
from bot.domain.ticket import Attachment
from bot.services import Services
from bot.storage.drafts import REPORT, attachment_from_json, attachment_to_json

EDIT_NOTED = "edit_diberitahu"
"""Stored key of :attr:`ReportDraft.edit_diberitahu`."""


@dataclass(slots=True)
class ReportDraft:
    """One chat's report in the making. Field names are the stored keys and the step names.

    Attributes:
        step: The step whose question is open (the ConversationHandler's state follows it).
        saran: Ids of the knowledge-base entries offered at intake; ``None`` until searched.
        lampiran: Files sent so far, not yet attached to any ticket.
        keterangan_lampiran: Captions of those files, appended to the description on submit.
        ubah: The open step was chosen under "Ubah": answering it returns to the summary.
        edit_diberitahu: The user was told that editing a sent message changes nothing.
    """

    step: str
    jenis: str | None = None
    peran: str | None = None
    aplikasi: str | None = None
    kode_paket: str | None = None
    kode_error: str | None = None
    judul: str | None = None
    deskripsi: str = ""
    saran: list[int] | None = None
    urgensi: str | None = None
    dampak: str | None = None
    lampiran: list[Attachment] = field(default_factory=list)
    keterangan_lampiran: list[str] = field(default_factory=list)
    nama: str | None = None
    email: str | None = None
    telepon: str | None = None
    ubah: bool = False
    edit_diberitahu: bool = False

    def set_answer(self, name: str, value: str | None) -> None:
        """Store the answer of the text or choice field ``name`` (a step name)."""
        if name not in _ANSWERS:
            raise KeyError(name)
        setattr(self, name, value)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> ReportDraft:
        """The draft of a stored JSON object (unknown keys of older versions are ignored)."""
        draft = cls(step=data["step"])
        for name in _ANSWERS:
            setattr(draft, name, data.get(name))
        draft.deskripsi = data.get("deskripsi") or ""
        saran = data.get("saran")
        draft.saran = None if saran is None else [int(i) for i in saran]
        draft.lampiran = [attachment_from_json(a) for a in data.get("lampiran") or []]
        draft.keterangan_lampiran = list(data.get("keterangan_lampiran") or [])
        draft.ubah = bool(data.get("ubah"))
        draft.edit_diberitahu = bool(data.get(EDIT_NOTED))
        return draft

    def to_stored(self) -> dict[str, Any]:
        """The JSON object to store: what was answered, the files, and the flags that are on."""
        stored: dict[str, Any] = {"step": self.step, "lampiran": []}
        for name in _ANSWERS:
            if getattr(self, name) is not None:
                stored[name] = getattr(self, name)
        if self.deskripsi:
            stored["deskripsi"] = self.deskripsi
        if self.saran is not None:
            stored["saran"] = list(self.saran)
        stored["lampiran"] = [attachment_to_json(a) for a in self.lampiran]
        if self.keterangan_lampiran:
            stored["keterangan_lampiran"] = list(self.keterangan_lampiran)
        if self.ubah:
            stored["ubah"] = True
        if self.edit_diberitahu:
            stored[EDIT_NOTED] = True
        return stored


#: The fields that hold one text or chosen value (a step's answer).
_ANSWERS = (
    "jenis", "peran", "aplikasi", "kode_paket", "kode_error", "judul", "urgensi", "dampak",
    "nama", "email", "telepon",
)  # fmt: skip


async def load(services: Services, chat_id: int) -> ReportDraft | None:
    """The chat's report draft, or ``None`` when it has none (sent, cancelled, never begun)."""
    data = await drafts_of(services).get(chat_id, REPORT)
    return None if data is None else ReportDraft.from_stored(data)


async def save(services: Services, chat_id: int, draft: ReportDraft) -> None:
    await drafts_of(services).put(chat_id, REPORT, draft.to_stored())
