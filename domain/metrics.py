"""Counters the domain keeps for `/metrics` (prometheus-client's process-wide registry; the
HTTP and GraphQL metrics of one app live in resolvers/operations.py)."""

from __future__ import annotations

from prometheus_client import Counter

# Reminder sweeps run in the lifespan task (domain/reminders.py), one per process.
REMINDER_SWEEPS = Counter(
    "carespace_reminder_sweeps", "Invitation reminder sweeps run, by outcome.", ["outcome"]
)
