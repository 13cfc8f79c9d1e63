"""The wheel carries everything the bot needs, and an install from it starts.

Every other test imports the bot from the checkout (an editable install), where the top-level
``locales/`` is simply there; these build the real wheel and use it as an LPSE's install would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "bot", "locales")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources so the checkout gets no build/ folder."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, src / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(src)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_carries_every_catalog_and_template(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "bot/locales/" + path.relative_to(ROOT / "locales").as_posix()
        for path in (ROOT / "locales").rglob("*")
        if path.is_file()
    }
    assert expected, "no catalogs in the checkout"
    assert expected <= shipped, sorted(expected - shipped)
    assert "bot/data/prioritas.toml" in shipped


def test_an_install_from_the_wheel_loads_every_text_runs_and_migrates(
    wheel: Path, tmp_path: Path
) -> None:
    """The same smoke test CI runs in a fresh virtual environment, here on a --target install.

    ``python -S`` with an explicit path keeps the editable install of the checkout out of
    ``sys.path``, while the dependencies come from this environment's site-packages.
    """
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    env = dict(os.environ, PYTHONPATH=f"{target}{os.pathsep}{sysconfig.get_paths()['purelib']}")
    result = subprocess.run(
        [sys.executable, "-S", str(ROOT / ".ci" / "smoke_installed.py"), str(ROOT)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("OK ") for line in lines), result.stdout
