"""The SOP's vocabulary: a ticket's states, who acts, what can happen.

Names only, no rules: which action may happen in which state, at which SOP step, is
:mod:`bot.domain.sop`, which re-exports these names (import them from there). They live apart so
that :mod:`bot.domain.errors`, which :mod:`bot.domain.sop` raises, can name them too.
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
