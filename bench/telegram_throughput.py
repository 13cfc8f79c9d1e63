"""Benchmark: the bot's Telegram path under load, against a bare python-telegram-bot echo bot.

Run from the repository root::

    .venv/bin/python bench/telegram_throughput.py [--updates 2000] [--chats 100]
        [--bots lpse,echo] [--rate-limiter]

Both bots poll the repository's fake Bot API server (:mod:`tests.support.botapi`) through
python-telegram-bot's real HTTP stack. Each bot runs in a child process of its own (the same
script with ``--serve-bot``), so its peak RSS is its own and it does not share a GIL with the
server; this process hosts the server and plays the users.

The load is ``--updates`` updates spread evenly over ``--chats`` private chats that run at the
same time. Each chat sends its next update only once the bot answered the previous one (a
closed loop, like real users), so about ``--chats`` updates wait in line at any moment.

* ``lpse``: the real bot (:func:`bot.app.build_application`, SQLite in a temporary folder, a
  :class:`~tests.support.clock.FakeClock` on a Monday 09:00 WIB). Each chat walks 20 updates:
  /start, the whole /lapor intake to "Kirim" (buttons and typed answers; the ticket card also
  goes to the staff group), /tiket, a free message (a reply to the "ticket created" message)
  filed on the new ticket, which refreshes its staff card, and /tiket <number>; then again.
* ``echo``: an Application with one MessageHandler that replies with the text; each chat sends
  plain text messages.

Latency is from the update being queued at the server to the reply the user waits for (the
bot's ``sendMessage`` to that chat with the expected text) arriving at the server. Throughput
is updates divided by the time from the first update queued to the last reply. Telegram's
limits (30 messages/s overall, 1/s per private chat, 20/minute per group) are off by default,
since they would make this measure the limits: the real bot's outbox gets limits far above
them, the echo bot no ``AIORateLimiter``; ``--rate-limiter`` puts Telegram's limits on for
both (the outbox's pacing for the real bot, ``AIORateLimiter`` for the echo bot).

Prints one row per bot (updates answered, seconds, updates/s, latency p50/p95/p99, peak RSS of
the bot process, size of the SQLite files) and, per bot, the limiter and concurrency in use,
Bot API calls per update and the CPU share of the bot process and of this process during the
load. Read the latencies with the closed loop in mind: they are about ``--chats`` divided by
the throughput (``--chats 1`` shows one update on an idle bot). The server here is one
loopback hop away, Telegram tens to hundreds of milliseconds, and updates are handled one at a
time (``concurrent_updates`` 1): in production, that round trip times the calls per update
bounds the throughput long before the CPU figures here do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.bench_driver import LPSE_FLOW, Chat, Outcome, Router, Step, TimedServer, drive
from tests.support.botapi import make_user
from tests.support.settings import STAFF_CHAT_ID, TOKEN, make_settings

FIRST_USER_ID = 700_000
WARMUP_USER_ID = 690_000
SCRIPT = Path(__file__).resolve()


def steps_for(kind: str, chat: int, count: int) -> list[Step]:
    """The ``count`` updates chat number ``chat`` sends (the flow repeats when longer)."""
    if kind == "echo":
        texts = [f"Pesan {i + 1} dari chat {chat}: mohon info jadwal tender" for i in range(count)]
        return [Step("say", text, text) for text in texts]
    return [LPSE_FLOW[i % len(LPSE_FLOW)] for i in range(count)]


# ---------------------------------------------------------------------------- the bot process


def build_lpse(api_url: str, data_dir: Path, limiter: bool) -> Any:
    """The real Application, as :mod:`bot.app` builds it; without ``limiter`` the outbox's
    pacing gets limits far above Telegram's (``TELEGRAM_*_PER_*`` settings), so the figures
    measure the bot, not Telegram's limits; with it, Telegram's documented limits."""
    import bot.app
    from bot.config import Settings
    from tests.support.clock import FakeClock

    names = ("telegram_overall_per_second", "telegram_private_per_second",
             "telegram_group_per_minute")  # fmt: skip
    # The bot's defaults are Telegram's documented limits; the test settings raise the group's.
    limits = {name: Settings.model_fields[name].default for name in names} if limiter else {
        "telegram_overall_per_second": 100_000, "telegram_private_per_second": 100_000,
        "telegram_group_per_minute": 1_000_000,
    }  # fmt: skip
    settings = make_settings(
        data_dir,
        telegram_bot_token=TOKEN,
        telegram_base_url=f"{api_url}/bot",
        telegram_base_file_url=f"{api_url}/file/bot",
        **limits,
    )
    return bot.app.build_application(settings, FakeClock())


def build_echo(api_url: str, limiter: bool) -> Any:
    """A bare Application: one MessageHandler that replies with the text."""
    from telegram import Update
    from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        await message.reply_text(message.text)

    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
    )
    if limiter:  # the same limiter bot.app uses
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


def peak_rss_kb() -> int:
    """This process's peak RSS in KiB: ``VmHWM`` where ``/proc`` has it, else ``ru_maxrss``.

    Linux keeps ``ru_maxrss`` across ``fork``/``exec``, so a child started by a 300 MB parent
    reports at least 300 MB; ``VmHWM`` belongs to the new program image only.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def serve_bot(kind: str, api_url: str, data_dir: Path, limiter: bool) -> None:
    """Child process: poll until stdin closes, then report peak RSS as one JSON line."""
    app = (
        build_lpse(api_url, data_dir, limiter) if kind == "lpse" else build_echo(api_url, limiter)
    )
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=10)  # run_polling's defaults
    rate_limiter = app.bot.rate_limiter
    ready = {
        "rate_limiter": type(rate_limiter).__name__ if rate_limiter is not None else None,
        "concurrent_updates": app.concurrent_updates,
        "start_rss_kb": peak_rss_kb(),
    }
    print(json.dumps(ready), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until EOF
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    print(json.dumps({"peak_rss_kb": peak_rss_kb()}))


# ---------------------------------------------------------------------------- the users


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux ``/proc``), or ``None``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Result:
    bot: str
    updates: int
    seconds: float
    latencies: list[float]
    peak_rss_mb: float
    start_rss_mb: float
    db_mb: float | None
    rate_limiter: str | None
    concurrent_updates: int
    bot_cpu: float | None
    server_cpu: float
    failures: list[str]
    api_calls: int
    api_errors: list[str]
    log_lines: list[str]


async def run_bot(kind: str, args: argparse.Namespace) -> Result:
    loop = asyncio.get_running_loop()
    router = Router(loop)
    with tempfile.TemporaryDirectory(prefix="bench-telegram-") as tmp, TimedServer(TOKEN) as api:
        api.latency = args.latency_ms / 1000
        api.add_group(STAFF_CHAT_ID, "Staf LPSE Batang")
        api.listener = router.from_server
        data_dir = Path(tmp) / "data"
        command = [
            sys.executable,
            str(SCRIPT),
            "--serve-bot",
            kind,
            "--api-url",
            api.url,
            "--data-dir",
            str(data_dir),
        ]
        if args.rate_limiter:
            command.append("--rate-limiter")
        log_path = Path(tmp) / "bot.log"
        with log_path.open("wb") as log:
            child = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
            assert child.stdin is not None and child.stdout is not None
            try:
                line = await asyncio.wait_for(child.stdout.readline(), 60)
                if not line:
                    raise RuntimeError(f"{kind} bot did not start:\n{log_path.read_text()}")
                ready = json.loads(line)

                def chats(first_id: int, count: int) -> list[Chat]:
                    made = [
                        Chat(
                            make_user(
                                first_id + i, "Budi", f"budi{first_id + i}", last_name="Santoso"
                            )
                        )
                        for i in range(count)
                    ]
                    router.chats.update({c.chat_id: c for c in made})
                    return made

                warm = Outcome()
                await asyncio.gather(
                    *(
                        drive(api, chat, steps_for(kind, i, len(LPSE_FLOW)), args.timeout, warm)
                        for i, chat in enumerate(chats(WARMUP_USER_ID, args.warmup))
                    )
                )
                if warm.failures:
                    raise RuntimeError(f"{kind} bot failed the warm-up: {warm.failures[:3]}")

                outcome = Outcome()
                counts = split(args.updates, args.chats)
                plans = [steps_for(kind, i, n) for i, n in enumerate(counts)]
                users = chats(FIRST_USER_ID, args.chats)
                mark = api.mark()
                bot_cpu = cpu_seconds(child.pid)
                server_cpu = own_cpu_seconds()
                started = time.monotonic()
                await asyncio.gather(
                    *(
                        drive(api, chat, plan, args.timeout, outcome)
                        for chat, plan in zip(users, plans, strict=True)
                    )
                )
                elapsed = max(outcome.last_reply - started, 1e-9)
                server_cpu = own_cpu_seconds() - server_cpu
                bot_cpu_after = cpu_seconds(child.pid)
                if bot_cpu is not None and bot_cpu_after is not None:
                    bot_cpu = bot_cpu_after - bot_cpu
            finally:
                child.stdin.close()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    await child.stdin.wait_closed()
                out = await asyncio.wait_for(child.stdout.read(), 60)
                await child.wait()
        if child.returncode != 0:
            raise RuntimeError(
                f"{kind} bot exited with {child.returncode}:\n{log_path.read_text()}"
            )
        final = json.loads(out.decode().strip().splitlines()[-1])
        # No IMAP server runs here: the mail bridge's reconnect attempts are expected noise.
        log_lines = [
            line
            for line in log_path.read_text(errors="replace").splitlines()
            if line.strip() and not line.startswith("IMAP connect failed")
        ]
        db_files = list(data_dir.glob("*.sqlite3*")) if kind == "lpse" else []
        db_mb = sum(f.stat().st_size for f in db_files) / 2**20 if db_files else None
        calls = [c for c in api.calls if c.seq > mark and c.method != "getUpdates"]
        api_errors = [
            f"{c.method} chat {c.chat_id} {c.status} {c.description}" for c in calls if not c.ok
        ]
    return Result(
        bot=kind,
        updates=len(outcome.latencies),
        seconds=elapsed,
        latencies=outcome.latencies,
        peak_rss_mb=final["peak_rss_kb"] / 1024,
        start_rss_mb=ready["start_rss_kb"] / 1024,
        db_mb=db_mb,
        rate_limiter=ready["rate_limiter"],
        concurrent_updates=ready["concurrent_updates"],
        bot_cpu=bot_cpu,
        server_cpu=server_cpu,
        failures=outcome.failures,
        api_calls=len(calls),
        api_errors=api_errors,
        log_lines=log_lines,
    )


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        only = values[0] if values else float("nan")
        return only, only, only
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


async def main(args: argparse.Namespace) -> int:
    bots = [name.strip() for name in args.bots.split(",") if name.strip()]
    limiter = "ON (Telegram's limits, both bots)" if args.rate_limiter else "off"
    print(
        f"{args.updates:,} updates over {args.chats} private chats per bot, after a warm-up "
        f"of {args.warmup} chat(s); rate limiter: {limiter}; simulated Bot API round trip: "
        f"{args.latency_ms:g} ms"
    )
    results = []
    for kind in bots:
        results.append(await run_bot(kind, args))
    print(
        f"{'bot':<6} {'updates':>8} {'seconds':>8} {'updates/s':>10} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'peak RSS MB':>12} {'DB MB':>7}"
    )
    for r in results:
        p50, p95, p99 = (v * 1000 for v in percentiles(r.latencies))
        db = f"{r.db_mb:.1f}" if r.db_mb is not None else "-"
        print(
            f"{r.bot:<6} {r.updates:>8,} {r.seconds:>8.2f} {r.updates / r.seconds:>10,.0f} "
            f"{p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {r.peak_rss_mb:>12.0f} {db:>7}"
        )
    for r in results:
        bot_cpu = f"{r.bot_cpu / r.seconds:.0%}" if r.bot_cpu is not None else "?"
        print(
            f"{r.bot}: rate limiter {r.rate_limiter or 'none'}, concurrent_updates "
            f"{r.concurrent_updates}, RSS after start {r.start_rss_mb:.0f} MB, "
            f"{r.api_calls / max(r.updates, 1):.1f} Bot API calls per update (besides "
            f"getUpdates); CPU during the load: bot process {bot_cpu}, fake server + users "
            f"{r.server_cpu / r.seconds:.0%}"
        )
        for problem in r.failures[:5]:
            print(f"  FAILED: {problem}")
        if len(r.failures) > 5:
            print(f"  ... {len(r.failures)} chats failed in all")
        for error, count in Counter(r.api_errors).most_common():
            print(f"  Telegram refused {count}x: {error}")
        if r.log_lines:
            print(f"  bot log: {len(r.log_lines)} line(s), first: {r.log_lines[0]}")
    by_name = {r.bot: r for r in results}
    if "lpse" in by_name and "echo" in by_name:
        lpse, echo = by_name["lpse"], by_name["echo"]
        per_update = (lpse.seconds / lpse.updates - echo.seconds / echo.updates) * 1000
        print(
            f"real bot: {lpse.updates / lpse.seconds / (echo.updates / echo.seconds):.0%} of "
            f"the echo bot's throughput, {per_update:.2f} ms more per update"
        )
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates per bot")
    parser.add_argument("--chats", type=int, default=100, help="private chats at the same time")
    parser.add_argument("--bots", default="lpse,echo", help="lpse, echo or both (default)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="chats that walk the flow once before timing"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds a chat waits for one reply"
    )
    parser.add_argument(
        "--rate-limiter",
        action="store_true",
        help="use AIORateLimiter in both bots, as production does (slow)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="simulated round trip to the Bot API per call (Telegram from Indonesia: ~50-150)",
    )
    parser.add_argument("--serve-bot", choices=["lpse", "echo"], help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bot:
        asyncio.run(serve_bot(args.serve_bot, args.api_url, args.data_dir, args.rate_limiter))
    else:
        sys.exit(asyncio.run(main(args)))
