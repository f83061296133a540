"""The lists of members a staff member reads: a Healthspace's members, "my clients", clients
without a connection. Each read returns an ordered query or a `MemberList` (the GraphQL layer
pages it) or, for counts, one statement for many Healthspaces at once. The lists every front
end polls ("My clients", a Healthspace's members) are prepared reads (models/prepared.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.functions import Count, Lower
from tortoise.queryset import QuerySet

import models
from domain.connections import current_connections_of_staff
from domain.search import client_search, member_search
from domain.task_sources import clients_with_tasks, task_sources
from models.columns import column_values
from models.prepared import Prepared


def ordered_by_name(query: QuerySet[models.Member]) -> QuerySet[models.Member]:
    """Members by surname, then first name, ignoring case, so that SQLite and PostgreSQL
    list "de Vries" in the same place."""
    return query.annotate(
        surname_key=Lower("account__last_name"), first_name_key=Lower("account__first_name")
    ).order_by("surname_key", "first_name_key", "id")


@dataclass(frozen=True)
class MemberFilter:
    """What `Healthspace.members` asks for: a kind, a status, search text (None: any)."""

    kind: models.MemberKind | None = None
    status: models.MemberStatus | None = None
    search: str | None = None


def _filtered(query: QuerySet[models.Member], wanted: MemberFilter) -> QuerySet[models.Member]:
    if wanted.kind is not None:
        query = query.filter(kind=wanted.kind)
    if wanted.status is not None:
        query = query.filter(status=wanted.status)
    if wanted.search and wanted.search.strip():
        query = query.filter(member_search(wanted.search.strip()))
    return query


@dataclass(frozen=True)
class MemberList:
    """An ordered list of members, read a page at a time: `rows(offset, limit)` (accounts
    fetched with them) and `count()` (how many in all)."""

    rows: Callable[[int, int], Awaitable[list[models.Member]]]
    count: Callable[[], Awaitable[int]]


def _searched(search: str | None) -> str | None:
    """Search text as the lists use it: None for none or blanks (they match everyone), so that
    a prepared read decides by its shape, not by the text (models/prepared.py)."""
    return search.strip() or None if search else None


def _members(
    healthspace_id: uuid.UUID,
    kind: models.MemberKind | None,
    status: models.MemberStatus | None,
    search: str | None,
) -> QuerySet[models.Member]:
    query = models.Member.filter(healthspace_id=healthspace_id).select_related("account")
    return ordered_by_name(_filtered(query, MemberFilter(kind, status, search)))


_MEMBERS = Prepared(_members)


def members(healthspace_id: uuid.UUID, wanted: MemberFilter) -> MemberList:
    """A Healthspace's members that match, by surname, with their accounts. Counted with
    `count_members` (one statement for many Healthspaces)."""
    values = (healthspace_id, wanted.kind, wanted.status, _searched(wanted.search))
    return MemberList(
        rows=lambda offset, limit: _MEMBERS.rows(*values, offset=offset, limit=limit),
        count=lambda: _MEMBERS.count(*values),
    )


_COUNTED = Prepared(
    lambda healthspace_id, kind, status, search: _filtered(
        models.Member.filter(healthspace_id=healthspace_id), MemberFilter(kind, status, search)
    )
)


async def count_members(healthspace_ids: Sequence[uuid.UUID], wanted: MemberFilter) -> list[int]:
    """How many members match in each Healthspace, in the order of `healthspace_ids`: one
    statement for all of them (the members list of many Healthspaces at once), prepared for
    one Healthspace (a front end polling its members list)."""
    if len(healthspace_ids) == 1:
        values = (wanted.kind, wanted.status, _searched(wanted.search))
        return [await _COUNTED.count(healthspace_ids[0], *values)]
    rows = (
        await _filtered(models.Member.filter(healthspace_id__in=list(healthspace_ids)), wanted)
        .annotate(count=Count("id"))
        .group_by("healthspace_id")
        .values("healthspace_id", "count")
    )
    counts = {row["healthspace_id"]: row["count"] for row in rows}
    return [counts.get(healthspace_id, 0) for healthspace_id in healthspace_ids]


def _my_clients(staff_id: uuid.UUID, search: str | None) -> QuerySet[models.Member]:
    # No healthspace filter: a connection links two members of one Healthspace
    # (`domain.connections.check_connectable`) and the staff member is a member of this one.
    # With it, SQLite walks every client of the Healthspace instead of the staff member's
    # connections.
    query = models.Member.filter(
        kind=models.MemberKind.CLIENT,
        status=models.MemberStatus.ACTIVE,
        id__in=Subquery(current_connections_of_staff(staff_id).values("client_id")),
    )
    if search and search.strip():
        query = query.filter(client_search(search.strip()))
    return query


_MY_CLIENTS = Prepared(
    lambda staff_id, search: ordered_by_name(
        _my_clients(staff_id, search).select_related("account")
    )
)


async def my_clients(
    healthspace_id: uuid.UUID, staff: models.Member, *, search: str | None, with_tasks: bool
) -> MemberList | None:
    """The active clients `staff` is connected to, by surname, with their accounts; search
    matches surname, first name, identification number or date of birth (every word);
    `with_tasks` keeps those a registered task source has a task for. None when nobody can
    match (no task sources, or no client with tasks, or `staff` not of this Healthspace)."""
    if staff.healthspace_id != healthspace_id:
        return None
    search = _searched(search)
    if not with_tasks:
        return MemberList(
            rows=lambda offset, limit: _MY_CLIENTS.rows(
                staff.id, search, offset=offset, limit=limit
            ),
            count=lambda: _MY_CLIENTS.count(staff.id, search),
        )
    if not task_sources():
        return None
    query = _my_clients(staff.id, search)
    client_ids = await column_values(query, "id", uuid.UUID)
    needing = await clients_with_tasks(healthspace_id, staff.id, list(client_ids))
    if not needing:
        return None
    with_tasks_query = ordered_by_name(query.filter(id__in=list(needing)).select_related("account"))
    return MemberList(
        rows=lambda offset, limit: with_tasks_query.offset(offset).limit(limit),
        count=with_tasks_query.count,
    )


async def count_my_clients_with_tasks(healthspace_id: uuid.UUID, staff: models.Member) -> int:
    """How many of `staff`'s active connected clients have a task for them."""
    if not task_sources():
        return 0
    client_ids = await column_values(
        current_connections_of_staff(staff.id).filter(client__status=models.MemberStatus.ACTIVE),
        "client_id",
        uuid.UUID,
    )
    return len(await clients_with_tasks(healthspace_id, staff.id, list(client_ids)))


def _unconnected(healthspace_id: uuid.UUID) -> QuerySet[models.Member]:
    connected = models.Connection.filter(
        healthspace_id=healthspace_id, current_key__not_isnull=True
    ).values("client_id")
    return models.Member.filter(
        healthspace_id=healthspace_id,
        kind=models.MemberKind.CLIENT,
        status=models.MemberStatus.ACTIVE,
    ).exclude(id__in=Subquery(connected))


_UNCONNECTED_ROWS = Prepared(
    lambda healthspace_id: ordered_by_name(_unconnected(healthspace_id).select_related("account"))
)
# Counted without the accounts: the join would cost a lookup per client for nothing.
_UNCONNECTED_COUNT = Prepared(_unconnected)


def unconnected_clients(healthspace_id: uuid.UUID) -> MemberList:
    """Active clients without any current connection, by surname, with their accounts."""
    return MemberList(
        rows=lambda offset, limit: _UNCONNECTED_ROWS.rows(
            healthspace_id, offset=offset, limit=limit
        ),
        count=lambda: _UNCONNECTED_COUNT.count(healthspace_id),
    )
