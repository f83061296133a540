"""Where "this client needs something" comes from: a registry of task sources.

A source answers, for one staff member in one Healthspace, which of the given clients have an
open task for them (an unread message, a submitted assignment, a newly shared file...). The
record domain registers its sources when its module is imported:

    register_task_source("UNREAD_MESSAGE", clients_with_unread_messages)

`Healthspace.myClients(withTasks: true)` and `Healthspace.tasks` consult every registered
source; with none registered nobody has tasks. A source gets the whole list at once and should
answer with one query, so a page of clients costs one query per source, not one per client.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

# (healthspace id, staff member id, client member ids) -> the ids of those clients with tasks
TaskFinder = Callable[[uuid.UUID, uuid.UUID, Sequence[uuid.UUID]], Awaitable[Collection[uuid.UUID]]]


@dataclass(frozen=True)
class TaskSource:
    name: str
    find: TaskFinder


_SOURCES: dict[str, TaskSource] = {}


def register_task_source(name: str, find: TaskFinder) -> TaskSource:
    if name in _SOURCES:
        raise ValueError(f"A task source named {name!r} is registered already.")
    source = TaskSource(name, find)
    _SOURCES[name] = source
    return source


def unregister_task_source(name: str) -> None:
    _SOURCES.pop(name, None)


def task_sources() -> list[TaskSource]:
    return list(_SOURCES.values())


async def clients_with_tasks(
    healthspace_id: uuid.UUID, staff_member_id: uuid.UUID, client_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """The clients among `client_ids` that at least one source has a task for."""
    asked = set(client_ids)
    found: set[uuid.UUID] = set()
    if not asked:
        return found
    for source in task_sources():
        # A source can only narrow the list it was given, never add clients to it.
        found |= asked & set(await source.find(healthspace_id, staff_member_id, client_ids))
    return found
