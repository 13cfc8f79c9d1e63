"""Bot Eskalasi LPSE: SPSE helpdesk on Telegram with SOP escalation to LKPP by email."""
