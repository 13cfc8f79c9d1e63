"""Two bots on one data directory: the second is refused at start in one line, the first goes on.

Two would both poll Telegram (409 Conflict), both send the outbox and both sweep deadlines.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.botapi import BotApiServer

from .harness import BotProcess


def test_a_second_bot_on_the_same_data_dir_is_refused(bot: BotProcess, botapi: BotApiServer):
    bot.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATA_DIR"))}
    second = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", str(bot.env_file), "run"],
        cwd=bot.workdir, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert second.returncode == 2, second.stdout + second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in second.stderr, second.stderr
    assert "bot lain sudah berjalan" in lines[0] and str(bot.workdir / "data") in lines[0]
    assert bot.proc is not None and bot.proc.poll() is None  # the first one still runs
    assert bot.stop() == 0
