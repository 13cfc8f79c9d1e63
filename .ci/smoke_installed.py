"""Smoke test of an installed bot (a wheel in a fresh virtual environment, outside the checkout).

Run it with the installed interpreter from a folder outside the checkout::

    /tmp/venv/bin/python .ci/smoke_installed.py /path/of/the/checkout

It checks what a real install needs and an editable one hides: the bot is imported from the
install, not the checkout; every template and catalog message loads; ``python -m bot run``
without a token prints the BotFather line and exits non-zero; ``python -m bot migrate`` creates
the database. Prints one line per check and exits non-zero on the first failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo


def _bot(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # -S keeps a caller's site-less set-up (the suite runs this with an explicit PYTHONPATH).
    flags = ["-S"] if sys.flags.no_site else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def main(checkout: Path) -> int:
    import bot
    from bot.text import LOCALES_DIR, Texts

    package = Path(bot.__file__).resolve().parent
    if package.is_relative_to(checkout.resolve()):
        print(f"FAIL bot is imported from the checkout ({package}), not the install")
        return 1
    if not LOCALES_DIR.is_relative_to(package):
        print(f"FAIL catalogs are read from {LOCALES_DIR}, not from the installed package")
        return 1
    count = Texts(ZoneInfo("Asia/Jakarta")).compile_all()
    print(f"OK   {count} templates and catalog messages load from {LOCALES_DIR}")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATA_DIR"))}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        empty = work / "empty.env"
        empty.write_text("", encoding="utf-8")
        result = _bot("--env-file", str(empty), "run", cwd=work, env=env)
        if result.returncode == 0 or "@BotFather" not in result.stderr:
            print(f"FAIL run without a token: exit {result.returncode}\n{result.stderr}")
            return 1
        if "Traceback" in result.stderr:
            print(f"FAIL run without a token printed a traceback\n{result.stderr}")
            return 1
        print(f"OK   run without a token: exit {result.returncode}, {result.stderr.strip()[:60]}…")
        storage = work / "storage.env"
        storage.write_text(f"DATA_DIR={work / 'data'}\n", encoding="utf-8")
        result = _bot("--env-file", str(storage), "migrate", cwd=work, env=env)
        if result.returncode != 0 or not (work / "data" / "bot.sqlite3").exists():
            print(f"FAIL migrate: exit {result.returncode}\n{result.stdout}{result.stderr}")
            return 1
        print(f"OK   migrate: {result.stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))
