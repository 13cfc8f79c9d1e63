"""Before pytest-timeout ends a hung test, print where every asyncio task is waiting.

pytest-timeout dumps thread stacks, which for an asyncio test only show the event loop idling in
``select``. The coroutine that never resumes is what a reader needs: this plugin starts a timer
thread per test; when it fires, it asks each running event loop (from its own thread) to print
the stack of every pending task to stderr, which pytest shows under the failed test.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Iterator

import pytest

WATCHDOG_SHARE = 0.8
"""The dump comes at this share of the test's timeout, leaving time for the dump itself."""


def _dump(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    print(f"\n=== hang watchdog: {len(tasks)} pending asyncio tasks ===", file=sys.stderr)
    for task in tasks:
        print(f"--- {task.get_name()} ---", file=sys.stderr)
        task.print_stack(limit=30, file=sys.stderr)


def _fire() -> None:
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]
    for loop in loops:
        if loop.is_running():
            loop.call_soon_threadsafe(_dump, loop)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    marker = item.get_closest_marker("timeout")
    timeout = float(marker.args[0]) if marker and marker.args else None
    if timeout is None:
        timeout = float(item.config.getini("timeout") or 0)
    timer = threading.Timer(timeout * WATCHDOG_SHARE, _fire) if timeout > 0 else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
