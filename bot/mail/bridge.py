"""The mail bridge component: plugs the outbox, the inbox reader and the staff view into the bot.

``install`` adds the outbox listener (queue rows inside the SOP step's transaction), the
after-commit wake-up and the Telegram outbox kinds (:mod:`bot.registration` adds the
``m:``/``q:`` handlers); ``start`` launches three asyncio tasks (the
SMTP sender, the IMAP reader, and a sweep that processes stored mail and posts pending notices);
``stop`` cancels them and waits. The tasks are plain ``asyncio`` tasks whose handles the bridge
keeps, not ``Application.create_task``, because they never end on their own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from telegram import Bot

from bot.mail.compose import FileFetcher, TelegramFileFetcher
from bot.mail.inbox import Checkpoint, InboxReader
from bot.mail.ingest import Ingestor
from bot.mail.outbox import Outbox, raise_if_cancelled
from bot.mail.staff_view import StaffView

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.services import Services

log = logging.getLogger(__name__)

#: How often stored-but-unprocessed mail and unposted notices are looked for.
SWEEP_SECONDS = 30.0
#: How long ``stop`` waits for the tasks to end.
STOP_SECONDS = 10.0


class MailBridge:
    """The bridge's parts and background tasks.

    Args:
        services: The bot's services.
        bot: Sends staff notices and downloads the user's files.
        fetcher: Where the user's files come from (default: Telegram via ``bot``).
        checkpoint: Test hook handed to the inbox reader (crash tests).
    """

    def __init__(
        self,
        services: Services,
        bot: Bot,
        fetcher: FileFetcher | None = None,
        checkpoint: Checkpoint | None = None,
        poll_seconds: float = 5.0,
    ) -> None:
        self.services = services
        self.staff = StaffView(services, bot)
        self.ingestor = Ingestor(services)
        self.outbox = Outbox(services, fetcher or TelegramFileFetcher(bot), self.staff,
                             poll_seconds)  # fmt: skip
        self.inbox = InboxReader(services, self.process, checkpoint)
        self.tasks: list[asyncio.Task[None]] = []
        self._registered = False
        self._process_lock = asyncio.Lock()

    def register(self, application: Application[Any, Any, Any, Any, Any, Any] | None) -> None:
        """Add the outbox listener and wake-up hook (and the outbox kinds, given an app)."""
        if not self._registered:
            self.services.workflow.add_listener(self.outbox.on_step)
            self.services.workflow.add_after_commit(self.outbox.after_commit)
            self._registered = True
        if application is not None:
            self.staff.install()

    async def process(self) -> None:
        """Process every stored email, then post whatever staff have not seen yet."""
        async with self._process_lock:
            while True:
                done = await self.ingestor.ingest_pending(limit=100)
                if len(done) < 100:
                    break
            await self.staff.flush()

    async def start(self) -> None:
        """Launch the sender, the reader and the sweep."""
        if self.tasks:
            return
        self.tasks = [
            asyncio.create_task(self.outbox.run(), name="mail-outbox"),
            asyncio.create_task(self.inbox.run(), name="mail-inbox"),
            asyncio.create_task(self._sweep(), name="mail-sweep"),
        ]

    async def stop(self) -> None:
        """Cancel the tasks and wait for them, so nothing runs on a closed database."""
        tasks, self.tasks = self.tasks, []
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=STOP_SECONDS)
        for task in pending:
            log.error("mail task %s did not stop within %s s", task.get_name(), STOP_SECONDS)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                log.error("mail task %s had failed: %r", task.get_name(), task.exception())

    async def _sweep(self) -> None:
        while True:
            try:
                await self.process()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mail sweep failed")
            raise_if_cancelled()
            await asyncio.sleep(SWEEP_SECONDS)


def install(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Create the mail bridge in ``services`` and hook it into the workflow and the outbox."""
    bridge = MailBridge(services, application.bot)
    services.mail = bridge
    bridge.register(application)


async def start(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    assert services.mail is not None
    await services.mail.start()


async def stop(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    if services.mail is not None:
        await services.mail.stop()
