"""What every adapter needs, built once at start-up and shared through ``bot_data``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.clock import Now
from bot.config import Settings
from bot.domain.priority import PriorityTable
from bot.storage.db import Database
from bot.storage.tickets import TicketStore
from bot.text import Texts
from bot.workdays import OfficeHours, WorkingCalendar
from bot.workflow import Workflow

if TYPE_CHECKING:
    from bot.deadlines.clocks import ClockKeeper
    from bot.deadlines.sweep import Sweeper
    from bot.domain.ticket import Ticket
    from bot.handlers.cards import Cards
    from bot.handlers.user_notify import UserNotifier
    from bot.kb.base import KnowledgeBase
    from bot.mail.bridge import MailBridge
    from bot.outbox.incidents import Incidents
    from bot.outbox.queue import TelegramQueue
    from bot.outbox.sender import Sender
    from bot.storage.drafts import DraftStore
    from bot.web.component import WebRuntime

SERVICES_KEY = "services"


@dataclass(slots=True)
class Services:
    """The bot's long-lived parts, each a typed field (no lookup by name).

    The first seven are built by :func:`build_services`. The others belong to the components
    (:mod:`bot.registration` creates them in order) and stay ``None`` where a component is not
    part of the running bot: a test that wires only the deadlines, or no dashboard configured
    (``web``). The ``*_of`` helpers of each component raise when a required one is missing.
    """

    settings: Settings
    db: Database
    workflow: Workflow
    texts: Texts
    calendar: WorkingCalendar
    priorities: PriorityTable
    clock: Now
    # --- the Telegram outbox (bot.outbox) ----------------------------------------------------
    telegram_queue: TelegramQueue | None = None
    sender: Sender | None = None
    incidents: Incidents | None = None
    # --- the staff and user sides (bot.handlers, bot.conversations, bot.kb) --------------------
    cards: Cards | None = None
    similar_for_card: Callable[[Ticket], Awaitable[list[Any]]] | None = None
    """Similar entries and solved tickets for a card (the knowledge base's); each item has
    ``kind``, ``title``, ``ref`` and ``id``."""
    card_buttons: Callable[[Ticket], list[tuple[str, str]]] | None = None
    """Buttons other components add to a ticket's card."""
    user_notifier: UserNotifier | None = None
    drafts: DraftStore | None = None
    knowledge: KnowledgeBase | None = None
    # --- mail, deadlines, health, dashboard -----------------------------------------------------
    mail: MailBridge | None = None
    clock_keeper: ClockKeeper | None = None
    sweeper: Sweeper | None = None
    last_sweep: datetime | None = None
    """When the repeating sweep last finished (services clock): ``/kesehatan``'s pulse."""
    started: datetime | None = None
    """When the bot started (services clock): before the first sweep, the scheduler is not late."""
    web: WebRuntime | None = None
    """The running dashboard; ``None`` when none is configured or before it started."""

    @property
    def tickets(self) -> TicketStore:
        """Reading tickets, their events and attachments; every change goes through
        :attr:`workflow`, which writes through this same store."""
        return self.workflow.store

    async def open(self) -> None:
        """Open the database (upgrading it) and load local closures.

        The database is closed again if any of it fails. A recompute of the clocks that a
        migration queued needs the deadline rules above this module: the bot opens its
        services with :func:`bot.deadlines.recompute.open_recomputed`, which runs it.
        """
        await self.db.ensure_ready()
        try:
            await self.reload_calendar()
        except BaseException:
            await self.db.close()
            raise

    async def reload_calendar(self) -> WorkingCalendar:
        """Re-read local closures after staff change them (``/libur``)."""
        closures, openings = await self.tickets.calendar_overrides()
        self.calendar = self.calendar.with_overrides(closures, openings)
        return self.calendar


def build_services(settings: Settings, clock: Now, db: Database | None = None) -> Services:
    """The services, not yet connected: load the priority table, set up the calendar.

    Nothing here touches the database, so the components can be wired before
    ``Application.initialize``; :meth:`Services.open` connects them in ``post_init``.

    Args:
        db: The bot's one :class:`Database`, if already created (shared with the conversation
            persistence); a new one on ``settings.db_path`` otherwise.
    """
    priorities = PriorityTable.load(settings.priority_table_file)
    db = db or Database(settings.db_path)
    calendar = WorkingCalendar(
        settings.tz,
        office_hours=OfficeHours(
            settings.working_hours_start,
            settings.working_hours_end,
            settings.friday_hours_start,
            settings.friday_hours_end,
        ),
    )
    return Services(
        settings=settings,
        db=db,
        workflow=Workflow(
            db,
            settings.lpse_code,
            priorities,
            clock,
            auto_forward_user_data=settings.auto_forward_user_data,
        ),
        texts=Texts(settings.tz),
        calendar=calendar,
        priorities=priorities,
        clock=clock,
    )


async def open_services(settings: Settings, clock: Now, db: Database | None = None) -> Services:
    """:func:`build_services`, then :meth:`Services.open`: ready to use."""
    services = build_services(settings, clock, db)
    await services.open()
    return services
