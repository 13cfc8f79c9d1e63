"""The mail backlog the health report counts: waiting, refused and quarantined mail."""

from __future__ import annotations

from datetime import timedelta

from bot.services import Services
from bot.storage.backlog import MailBacklog, mail_backlog
from bot.storage.mail import MailStore
from tests.support.backlog import quarantine, queue_email
from tests.support.clock import FakeClock


async def test_an_empty_database_owes_nothing(services: Services) -> None:
    assert await mail_backlog(services.db) == MailBacklog(0, None, 0, 0)


async def test_waiting_failed_and_quarantined_mail_are_counted_apart(
    services: Services, clock: FakeClock
) -> None:
    oldest = clock.now - timedelta(minutes=30)
    await queue_email(services, oldest)
    await queue_email(services, clock.now - timedelta(minutes=2))
    await queue_email(services, clock.now - timedelta(hours=5), failed=True)
    sent = await queue_email(services, clock.now - timedelta(hours=6))
    async with services.db.transaction():
        await MailStore(services.db).mark_sent(sent, clock.now)
    await quarantine(services, "<a@asing.example>", clock.now)
    await quarantine(services, "<b@asing.example>", clock.now)

    backlog = await mail_backlog(services.db)

    assert backlog == MailBacklog(waiting=2, oldest_waiting=oldest, failed=1, quarantined=2)
