"""The invitation reminder schedule (filled in by the invitations work)."""

from __future__ import annotations

import asyncio

from schema.settings import Settings


async def run_reminder_schedule(settings: Settings, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
