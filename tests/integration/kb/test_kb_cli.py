"""``python -m bot kb import|export|search`` on a real database file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.cli import EXIT_FAILED, main

GOOD = """
[[entri]]
judul = "Lupa kata sandi akun SPSE"
gejala = "Tidak bisa masuk, lupa password atau user id"
jawaban = "Klik Lupa Password, buka email terdaftar, lalu buat kata sandi baru."
kata_kunci = ["lupa password", "reset sandi"]
aplikasi = "SPSE"

[[entri]]
judul = "Data SIKaP tidak muncul"
gejala = "Pengalaman perusahaan di SIKaP tidak tampil saat kualifikasi"
jawaban = "Periksa masa berlaku data, simpan ulang di SIKaP, lalu masuk kembali."
aplikasi = "SIKaP"
"""


@pytest.fixture(name="env")
def env_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("DATA_"):
            monkeypatch.delenv(name)
    path = tmp_path / ".env"
    path.write_text(f"DATA_DIR={tmp_path / 'data'}\n", encoding="utf-8")
    return path


def kb(env: Path, *args: str) -> int:
    return main(["--env-file", str(env), "kb", *args])


def test_import_search_and_export_round_trip(env: Path, tmp_path: Path, capsys):
    source = tmp_path / "faq.toml"
    source.write_text(GOOD, encoding="utf-8")
    assert kb(env, "import", str(source)) == 0
    assert "2 entri ditambahkan" in capsys.readouterr().out
    assert kb(env, "search", "gak bisa login, lupa pasword") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["judul"] == "Lupa kata sandi akun SPSE"
    assert set(lines[0]) == {"id", "judul", "skor"}
    target = tmp_path / "out.toml"
    assert kb(env, "export", str(target)) == 0
    exported = target.read_text(encoding="utf-8")
    assert exported.count("[[entri]]") == 2
    assert 'sumber = "kurasi"' in exported
    assert 'dikonfirmasi_oleh = "impor faq.toml"' in exported
    assert "dikonfirmasi_pada = " in exported
    source.write_text(exported, encoding="utf-8")
    assert kb(env, "import", str(source)) == 0  # the same titles: updated, not duplicated
    assert "0 entri ditambahkan, 2 entri diperbarui" in capsys.readouterr().out


def test_a_bad_file_imports_nothing_and_says_where(env: Path, tmp_path: Path, capsys):
    source = tmp_path / "faq.toml"
    source.write_text(GOOD + '\n[[entri]]\njudul = "x"\ngejala = "ada"\n', encoding="utf-8")
    assert kb(env, "import", str(source)) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "tidak ada entri yang disimpan" in err
    assert "entri ke-3, kolom judul: terlalu pendek" in err
    assert "entri ke-3, kolom jawaban: wajib diisi" in err
    assert kb(env, "search", "lupa password") == 0
    assert capsys.readouterr().out == ""


def test_the_starter_set_imports_from_the_package(env: Path, capsys):
    assert kb(env, "import", "--awal") == 0
    assert "30 entri ditambahkan" in capsys.readouterr().out
    assert kb(env, "search", "paket blm muncul di spse, udh diumumin di sirup") == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert "SiRUP" in first["judul"]
