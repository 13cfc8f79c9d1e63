"""The SOP's vocabulary: a ticket's states, who acts, what can happen, how LKPP's replies read.

Names only, no rules: which action may happen in which state, at which SOP step, is the step table
in :mod:`bot.domain.sop_steps`, and deciding it is :func:`bot.domain.sop.plan`. Import these names
from :mod:`bot.domain.sop`, the SOP's front door. They live apart so that
:mod:`bot.domain.errors`, which :mod:`bot.domain.sop` raises, can name them too.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a ticket stands. Values are stored in the database: never rename one."""

    NEW = "baru"
    IN_PROGRESS = "ditangani"
    CANNOT_HANDLE = "tidak_dapat_ditangani"
    ESCALATED = "eskalasi"
    LKPP_REQUESTED_DATA = "lkpp_minta_data"
    AWAITING_USER_DATA = "menunggu_data_pengguna"
    USER_DATA_RECEIVED = "data_pengguna_diterima"
    LPSE_AUTHORITY = "kewenangan_lpse"
    LKPP_SOLVED = "lkpp_selesai"
    SOLVED = "selesai"
    CLOSED = "ditutup"
    CANCELLED = "dibatalkan"


class Actor(StrEnum):
    """Who performs a transition (the SOP's "Pelaksana" plus the bot itself)."""

    USER = "pengguna"
    STAFF = "staf"
    LKPP = "lkpp"
    SYSTEM = "sistem"


class Action(StrEnum):
    """Everything that can happen to a ticket. Values are stored in the event log."""

    REPORT = "lapor"
    TAKE = "ambil"
    REPLY_TO_USER = "balas_pengguna"
    USER_MESSAGE = "pesan_pengguna"
    NOTE = "catatan"
    SET_PRIORITY = "ubah_prioritas"
    SOLVE_LOCALLY = "selesai_lokal"
    CANNOT_HANDLE = "tidak_dapat_ditangani"
    CANCEL_ESCALATION = "batal_eskalasi"
    ESCALATE = "eskalasi"
    ESCALATION_DELIVERED = "eskalasi_terkirim"
    LKPP_GUIDE = "lkpp_kewenangan_lpse"
    LKPP_REQUEST_DATA = "lkpp_minta_data"
    PASS_REQUEST_TO_USER = "teruskan_permintaan"
    USER_SENDS_DATA = "pengguna_kirim_data"
    FORWARD_DATA = "teruskan_data"
    FORWARD_DELIVERED = "data_terkirim"
    LKPP_PROGRESS = "lkpp_progres"
    LKPP_REPLY_RECEIVED = "balasan_lkpp_diterima"
    REQUEST_STATUS = "minta_status_lkpp"
    STATUS_REQUEST_DELIVERED = "permintaan_status_terkirim"
    LKPP_SOLVED = "lkpp_selesai"
    PASS_SOLUTION_TO_USER = "teruskan_solusi"
    USER_CONFIRMS = "pengguna_konfirmasi"
    USER_REOPENS = "pengguna_buka_kembali"
    USER_CANCELS = "pengguna_batal"
    TELL_LKPP_WITHDRAWN = "kabari_lkpp_batal"
    AUTO_CLOSE = "tutup_otomatis"
    RATE = "penilaian"


class LkppReplyClass(StrEnum):
    """How an LKPP reply is read, and the tag LKPP may start it with."""

    GUIDE = "kewenangan_lpse"  # step 4
    DATA_REQUEST = "minta_data"  # step 6
    PROGRESS = "progres"  # steps 12 / 14
    SOLVED = "selesai"  # step 13
    UNKNOWN = "tidak_dikenal"

    @property
    def tag(self) -> str | None:
        """The ``#TAG`` LKPP may begin a reply with, or ``None`` for UNKNOWN."""
        return _REPLY_TAGS.get(self)

    @property
    def action(self) -> Action | None:
        """The transition a confirmed reply of this class performs."""
        return _REPLY_ACTIONS.get(self)


_REPLY_TAGS = {
    LkppReplyClass.GUIDE: "#KEWENANGAN_LPSE",
    LkppReplyClass.DATA_REQUEST: "#DATA",
    LkppReplyClass.PROGRESS: "#PROGRES",
    LkppReplyClass.SOLVED: "#SELESAI",
}
_REPLY_ACTIONS = {
    LkppReplyClass.GUIDE: Action.LKPP_GUIDE,
    LkppReplyClass.DATA_REQUEST: Action.LKPP_REQUEST_DATA,
    LkppReplyClass.PROGRESS: Action.LKPP_PROGRESS,
    LkppReplyClass.SOLVED: Action.LKPP_SOLVED,
}

#: States in which the ticket is with LKPP (steps 2-14): an LKPP email is meaningful here.
WITH_LKPP: frozenset[State] = frozenset(
    {
        State.ESCALATED,
        State.LKPP_REQUESTED_DATA,
        State.AWAITING_USER_DATA,
        State.USER_DATA_RECEIVED,
    }
)
#: States after which nothing more can happen.
FINAL: frozenset[State] = frozenset({State.CLOSED, State.CANCELLED})
#: States in which an LKPP email may move the ticket (strict threading): the escalation or the
#: forwarded data is with LKPP and LKPP's clocks run. Anywhere else a forged or stale "LKPP
#: reply" could close or redirect a ticket, so :func:`lkpp_reply_fit` sends it to staff.
ACCEPTS_LKPP_REPLY: frozenset[State] = WITH_LKPP
#: Every state where the ticket is still open.
OPEN: frozenset[State] = frozenset(State) - FINAL
#: States in which LPSE staff hold the ticket before or instead of escalation.
WITH_LPSE: frozenset[State] = frozenset({State.NEW, State.IN_PROGRESS, State.LPSE_AUTHORITY})
