"""Kept so that server.py's lifespan import still works until server.py is split; the sweep
lives in domain/reminders.py."""

from __future__ import annotations

from domain.reminders import SweepResult, run_reminder_schedule, sweep

__all__ = ["SweepResult", "run_reminder_schedule", "sweep"]
