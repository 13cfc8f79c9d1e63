"""Benchmark: a tender-deadline surge, with Telegram's real limits and a 60 ms round trip.

Run from the repository root::

    .venv/bin/python bench/surge.py [--users 300] [--spread 150] [--latency-ms 60]
        [--staff 2] [--think 1.0]

The real bot (``bench/telegram_throughput.py --serve-bot lpse --rate-limiter``: the outbox's
pacing at Telegram's documented limits, 20 messages per 60 s in the staff group) polls the
repository's fake Bot API server, which holds every call for the simulated round trip. Each of
``--users`` users starts at a random moment within ``--spread`` seconds and walks /lapor to
"Kirim" at machine speed. Meanwhile ``--staff`` staff members keep pressing, ``--think``
seconds apart: "Ambil" on the oldest ticket they can see (a card or an announcement of new
tickets), and on every second ticket they took "Tidak dapat ditangani" then "Kirim" (the
escalation, SOP step 1).

Prints: Kirim → ticket number p50/p95/p99 (the user's wait); staff press → answer p50/p99
(``answerCallbackQuery`` arriving at the server); the most messages the group received in any
60 s (sends; and sends plus edits); the slowest time from a report to its ticket number being
visible in the group; tickets taken and escalated during the surge; peak RSS of the bot.
Targets: ticket number p99 ≤ 3 s, staff press p99 ≤ 1 s, group ≤ 20 per 60 s, every ticket
visible ≤ 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.callbacks import TicketVerb, ticket_action
from tests.support.bench_driver import LPSE_FLOW, NUMBER, Chat, Outcome, Router, TimedServer, drive
from tests.support.botapi import inline_buttons, make_user
from tests.support.settings import STAFF_CHAT_ID, TOKEN

THROUGHPUT = Path(__file__).resolve().parent / "telegram_throughput.py"
FIRST_USER_ID = 600_000
STAFF_IDS = (9101, 9102, 9103, 9104)
KIRIM = next(i for i, step in enumerate(LPSE_FLOW) if step.expect == "nomor tiket")
GROUP_SENDS = ("sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage")


class SurgeServer(TimedServer):
    """The timed server, also reporting button answers and everything sent to the group."""

    on_answer: Any = None
    on_group: Any = None

    async def _execute(self, method: str, params: dict[str, Any], files: Any) -> Any:
        answer = await super()._execute(method, params, files)
        now = time.monotonic() - self.latency / 2
        if method == "answerCallbackQuery" and self.on_answer is not None:
            self.on_answer(now, str(params.get("callback_query_id")), params)
        elif self.on_group is not None and str(params.get("chat_id")) == str(STAFF_CHAT_ID):
            self.on_group(now, method, params, answer[0])
        return answer


@dataclass
class Board:
    """What the staff group shows: when each ticket became visible, and its "Ambil" button."""

    loop: asyncio.AbstractEventLoop
    visible: dict[str, float] = field(default_factory=dict)
    takeable: dict[str, tuple[int, str]] = field(default_factory=dict)  # number: (message, data)
    answers: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = field(default_factory=dict)

    def group(self, at: float, method: str, params: dict[str, Any], result: Any) -> None:
        if method not in (*GROUP_SENDS, "editMessageText", "editMessageReplyMarkup"):
            return
        if isinstance(result, dict) and "message_id" in result:
            message_id = int(result["message_id"])
        else:
            message_id = int(params.get("message_id") or 0)
        text = str(params.get("text") or params.get("caption") or "")
        buttons = [
            str(b["callback_data"])
            for b in inline_buttons(params.get("reply_markup"))
            if "callback_data" in b
        ]
        self.loop.call_soon_threadsafe(self._seen, at, message_id, text, buttons)

    def _seen(self, at: float, message_id: int, text: str, buttons: list[str]) -> None:
        for number in NUMBER.findall(text):
            self.visible.setdefault(number, at)
        for data in buttons:
            if data.startswith(f"t:{TicketVerb.TAKE}:"):
                self.takeable.setdefault(data.split(":")[2], (message_id, data))

    def answer(self, at: float, query_id: str, params: dict[str, Any]) -> None:
        def settle() -> None:
            future = self.answers.pop(query_id, None)
            if future is not None and not future.done():
                future.set_result((at, params))

        self.loop.call_soon_threadsafe(settle)


@dataclass
class StaffResult:
    press_latencies: list[float] = field(default_factory=list)
    taken: int = 0
    escalated: int = 0
    errors: list[str] = field(default_factory=list)


async def press(
    api: SurgeServer, board: Board, user: dict[str, Any], message_id: int, data: str,
    result: StaffResult,
) -> dict[str, Any] | None:  # fmt: skip
    """Press a button in the group; wait for its answer and record how long it took."""
    sent = time.monotonic()
    update = api.callback(user, STAFF_CHAT_ID, message_id, data, check=False)
    future = board.loop.create_future()
    board.answers[str(update["callback_query"]["id"])] = future
    try:
        at, params = await asyncio.wait_for(future, 30)
    except TimeoutError:
        result.errors.append(f"no answer to {data}")
        return None
    result.press_latencies.append(at - sent)
    return params


async def staff_member(
    api: SurgeServer, board: Board, user_id: int, think: float, stop: asyncio.Event,
    result: StaffResult, claimed: set[str],
) -> None:  # fmt: skip
    user = make_user(user_id, f"Staf{user_id}", f"staf{user_id}")
    own = 0
    while not stop.is_set():
        await asyncio.sleep(think)
        choices = [n for n in sorted(board.takeable) if n not in claimed]
        if not choices:
            continue
        number = choices[0]
        claimed.add(number)
        message_id, data = board.takeable[number]
        answer = await press(api, board, user, message_id, data, result)
        if answer is None or answer.get("show_alert"):
            continue
        result.taken += 1
        own += 1
        if own % 2:
            continue
        await asyncio.sleep(think)
        verb = ticket_action(TicketVerb.CANNOT_HANDLE, number)
        if await press(api, board, user, message_id, verb, result) is None:
            continue
        await asyncio.sleep(think)
        verb = ticket_action(TicketVerb.SEND_ESCALATION, number)
        answer = await press(api, board, user, message_id, verb, result)
        if answer is not None and not answer.get("show_alert"):
            result.escalated += 1


async def user(
    api: SurgeServer, chat: Chat, start: float, patience: float, walk: Outcome,
    kirim: Outcome, reported: dict[str, float],
) -> None:  # fmt: skip
    await asyncio.sleep(start)
    await drive(api, chat, LPSE_FLOW[:KIRIM], patience, walk)
    if walk.failures:
        return
    pressed = time.monotonic()
    await drive(api, chat, LPSE_FLOW[KIRIM : KIRIM + 1], patience, kirim)
    if chat.ticket:
        reported[chat.ticket] = pressed


def most_in_window(times: list[float], window: float = 60.0) -> int:
    times = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def run(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    router, board = Router(loop), Board(loop)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-surge-") as tmp, SurgeServer(TOKEN) as api:
        api.latency = args.latency_ms / 1000
        api.add_group(STAFF_CHAT_ID, "Staf LPSE Batang")
        api.listener = router.from_server
        api.on_answer, api.on_group = board.answer, board.group
        log_path = Path(tmp) / "bot.log"
        command = [sys.executable, str(THROUGHPUT), "--serve-bot", "lpse", "--api-url", api.url,
                   "--data-dir", str(Path(tmp) / "data"), "--rate-limiter"]  # fmt: skip
        with log_path.open("wb") as log:
            child = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )  # fmt: skip
            assert child.stdin is not None and child.stdout is not None
            try:
                if not await asyncio.wait_for(child.stdout.readline(), 60):
                    raise RuntimeError(f"bot did not start:\n{log_path.read_text()}")
                chats = [
                    Chat(make_user(FIRST_USER_ID + i, "Budi", f"u{i}", last_name="Santoso"))
                    for i in range(args.users)
                ]
                router.chats.update({c.chat_id: c for c in chats})
                walk, kirim, reported = Outcome(), Outcome(), {}
                staff, claimed, stop = StaffResult(), set[str](), asyncio.Event()
                mark = api.mark()
                started = time.monotonic()
                staff_tasks = [
                    asyncio.create_task(
                        staff_member(api, board, sid, args.think, stop, staff, claimed)
                    )
                    for sid in STAFF_IDS[: args.staff]
                ]
                starts = sorted(rng.uniform(0, args.spread) for _ in chats)
                await asyncio.gather(
                    *(user(api, c, s, args.timeout, walk, kirim, reported)
                      for c, s in zip(chats, starts, strict=True))
                )  # fmt: skip
                surge_end = time.monotonic()
                # Until every ticket is visible (or 90 s after the last report): a deadline on
                # what the server saw, polled.
                while set(reported) - set(board.visible) and time.monotonic() < surge_end + 90:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
                stop.set()
                for task in staff_tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            finally:
                child.stdin.close()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    await child.stdin.wait_closed()
                out = await asyncio.wait_for(child.stdout.read(), 60)
                await child.wait()
        final = json.loads(out.decode().strip().splitlines()[-1])
        calls = [c for c in api.calls[mark:] if c.chat_id == STAFF_CHAT_ID and c.ok]
        sends = [c.started for c in calls if c.method in GROUP_SENDS]
        shown = [c.started for c in calls if c.method in (*GROUP_SENDS, "editMessageText",
                                                         "editMessageReplyMarkup")]  # fmt: skip
    visible_after = [board.visible[n] - at for n, at in reported.items() if n in board.visible]
    invisible = len(set(reported) - set(board.visible))
    ms = [x * 1000 for x in kirim.latencies]
    press_ms = [x * 1000 for x in staff.press_latencies]
    print(
        f"{args.users} users over {args.spread:g} s, {args.staff} staff ({args.think:g} s apart), "
        f"simulated round trip {args.latency_ms:g} ms, Telegram's limits on; "
        f"surge took {surge_end - started:.0f} s"
    )
    print(f"Kirim → ticket number: p50 {pct(ms, 50):.0f} ms, p95 {pct(ms, 95):.0f} ms, "
          f"p99 {pct(ms, 99):.0f} ms ({len(ms)} reports)")  # fmt: skip
    print(f"staff press → answer: p50 {pct(press_ms, 50):.0f} ms, p99 {pct(press_ms, 99):.0f} ms "
          f"({len(press_ms)} presses)")  # fmt: skip
    print(f"staff group, most in any 60 s: {most_in_window(sends)} messages "
          f"({most_in_window(shown)} counting edits)")  # fmt: skip
    slowest = max(visible_after, default=float("nan"))
    if args.verbose:
        late = sorted(((board.visible[n] - at, n, at - started) for n, at in reported.items()
                       if n in board.visible), reverse=True)[:8]  # fmt: skip
        print(
            "slowest to show (s, ticket, reported at s):",
            [(round(a, 1), n, round(b, 1)) for a, n, b in late],
        )
    print(f"report → visible to staff: slowest {slowest:.1f} s, median "
          f"{pct(visible_after, 50):.1f} s; not visible: {invisible}")  # fmt: skip
    print(f"during the surge: {staff.taken} tickets taken, {staff.escalated} escalated")
    print(f"peak RSS of the bot: {final['peak_rss_kb'] / 1024:.0f} MB")
    failures = walk.failures + kirim.failures + staff.errors
    if failures:
        print(f"failures ({len(failures)}): {failures[:5]}")
    return 1 if failures or invisible else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument(
        "--spread", type=float, default=150.0, help="seconds over which users start"
    )
    parser.add_argument("--latency-ms", type=float, default=60.0)
    parser.add_argument("--staff", type=int, default=2, choices=range(1, len(STAFF_IDS) + 1))
    parser.add_argument("--think", type=float, default=1.0, help="seconds between staff presses")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a user waits")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--verbose", action="store_true", help="list the slowest tickets")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
