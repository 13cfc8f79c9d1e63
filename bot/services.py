"""What every adapter needs, built once at start-up and shared through ``bot_data``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.clock import Now
from bot.config import Settings
from bot.domain.priority import PriorityTable
from bot.storage.db import Database
from bot.text import Texts
from bot.workdays import OfficeHours, WorkingCalendar
from bot.workflow import Workflow

SERVICES_KEY = "services"


@dataclass(slots=True)
class Services:
    """The bot's long-lived parts. Components may keep their own objects in ``extras``."""

    settings: Settings
    db: Database
    workflow: Workflow
    texts: Texts
    calendar: WorkingCalendar
    priorities: PriorityTable
    clock: Now
    extras: dict[str, Any] = field(default_factory=dict)

    async def reload_calendar(self) -> WorkingCalendar:
        """Re-read local closures after staff change them (``/libur``)."""
        closures, openings = await self.workflow.store.calendar_overrides()
        self.calendar = self.calendar.with_overrides(closures, openings)
        return self.calendar


async def open_services(settings: Settings, clock: Now, db: Database | None = None) -> Services:
    """Open the database (upgrading it), load the priority table and the calendar.

    A recompute of the clocks that a migration queued needs the deadline rules above this
    module: the bot's commands open the services with
    :func:`bot.deadlines.recompute.open_recomputed`, which runs it.

    Args:
        db: The bot's one :class:`Database`, if already created (shared with the conversation
            persistence); a new one on ``settings.db_path`` otherwise.
    """
    priorities = PriorityTable.load(settings.priority_table_file)
    db = db or Database(settings.db_path)
    await db.ensure_ready()
    try:
        workflow = Workflow(db, settings.lpse_code, priorities, clock)
        calendar = WorkingCalendar(
            settings.tz,
            office_hours=OfficeHours(
                settings.working_hours_start,
                settings.working_hours_end,
                settings.friday_hours_start,
                settings.friday_hours_end,
            ),
        )
        services = Services(
            settings=settings,
            db=db,
            workflow=workflow,
            texts=Texts(settings.tz),
            calendar=calendar,
            priorities=priorities,
            clock=clock,
        )
        await services.reload_calendar()
    except BaseException:
        await db.close()
        raise
    return services
