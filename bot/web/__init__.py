"""The read-only web dashboard for the Koordinator and Ketua LPSE (``WEB_LISTEN``).

Served by aiohttp inside the bot's own asyncio loop (:mod:`bot.web.component`), from its own
read-only database connection, with pages rendered from ``locales/id/web/``.
"""
