"""Where the client-record work registers its task sources (see `domain.task_sources`)."""

from __future__ import annotations

from domain.task_sources import (
    TaskFinder,
    TaskSource,
    clients_with_tasks,
    register_task_source,
    task_sources,
    unregister_task_source,
)

__all__ = [
    "TaskFinder",
    "TaskSource",
    "clients_with_tasks",
    "register_task_source",
    "task_sources",
    "unregister_task_source",
]
