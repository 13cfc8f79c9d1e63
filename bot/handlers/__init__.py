"""Telegram handlers: the staff group (``bot.handlers.staff``) and its helpers."""
