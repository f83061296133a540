"""The staff task lists (the Admin → Tasks screen) and the "I can't find my patient" lookup.

Every task is a query over the current state, never a stored flag: a task disappears for every
staff member as soon as anyone handles it (connects the client, decides the request, ...).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from domain import join_requests, member_lists
from domain.tasks import count_open_invitations, open_invitations
from permissions.guards import HasPermission, IsStaff, found, guard
from permissions.roles import Permission
from permissions.scopes import Scope, Scoped, parse_id
from permissions.viewer import member_permissions
from schema.connections import my_clients_page
from schema.invitations import Invitation
from schema.join_requests import JoinRequest
from schema.members import Member, member_page
from schema.pagination import Page, paginate
from schema.types import Info


def _tasks_healthspace() -> Scope:
    """For fields of HealthspaceTasks: the Healthspace the tasks belong to."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> Scoped | None:
        healthspace_id = parse_id(source.healthspace_id)
        return Scoped(healthspace_id) if healthspace_id else None

    return scope


def _needs(*permissions: Permission) -> BasePermission:
    return HasPermission(*permissions, scope=_tasks_healthspace())


CONNECTING = (Permission.MANAGE_CONNECTIONS, Permission.MANAGE_OWN_CONNECTIONS)
INVITING = (Permission.INVITE_CLIENTS, Permission.INVITE_STAFF)


@strawberry.type(description="How many of each task there are; null for a list you may not see.")
class TaskCounts:
    clients_without_connection: int | None
    pending_join_requests: int | None
    open_invitations: int | None
    expiring_invitations: int | None
    my_clients_with_tasks: int


@strawberry.type(
    description="The staff task lists. Each list needs the permission to handle its tasks: "
    "clientsWithoutConnection MANAGE_CONNECTIONS or MANAGE_OWN_CONNECTIONS, pendingJoinRequests "
    "REVIEW_JOIN_REQUESTS, the invitation lists INVITE_CLIENTS or INVITE_STAFF; "
    "myClientsWithTasks any staff member. `counts` shows what the viewer may see."
)
class HealthspaceTasks:
    healthspace_id: strawberry.Private[uuid.UUID]

    @strawberry.field(extensions=[guard(IsStaff(_tasks_healthspace()))])
    async def counts(self, info: Info) -> TaskCounts:
        mine = found(info).member
        assert mine is not None  # IsStaff hands over the viewer's staff membership
        allowed = member_permissions(mine)

        async def count_if(
            permissions: tuple[Permission, ...], count: Callable[[], Awaitable[int]]
        ) -> int | None:
            return await count() if allowed & set(permissions) else None

        async def invitations() -> tuple[int | None, int | None]:
            if allowed & set(INVITING):
                return await count_open_invitations(self.healthspace_id, allowed)
            return None, None

        # The counts read side by side: on PostgreSQL each on a connection of its own, on
        # SQLite queued together (models/sqlite.py), so the screen waits for the slowest only.
        unconnected, pending, (opened, expiring), with_tasks = await asyncio.gather(
            count_if(CONNECTING, member_lists.unconnected_clients(self.healthspace_id).count),
            count_if(
                (Permission.REVIEW_JOIN_REQUESTS,), join_requests.pending(self.healthspace_id).count
            ),
            invitations(),
            member_lists.count_my_clients_with_tasks(self.healthspace_id, mine),
        )
        return TaskCounts(
            clients_without_connection=unconnected,
            pending_join_requests=pending,
            open_invitations=opened,
            expiring_invitations=expiring,
            my_clients_with_tasks=with_tasks,
        )

    @strawberry.field(
        description="Active clients nobody is connected to yet, by surname.",
        extensions=[guard(_needs(*CONNECTING))],
    )
    async def clients_without_connection(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[Member]:
        return await member_page(
            info, member_lists.unconnected_clients(self.healthspace_id), first, after
        )

    @strawberry.field(
        description="Join requests waiting for a decision, oldest first.",
        extensions=[guard(_needs(Permission.REVIEW_JOIN_REQUESTS))],
    )
    async def pending_join_requests(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[JoinRequest]:
        query = join_requests.pending(self.healthspace_id)
        return await paginate(query, first, after, JoinRequest.from_row)

    @strawberry.field(
        description="Invitations not yet accepted, withdrawn or expired, soonest expiry first.",
        extensions=[guard(_needs(*INVITING))],
    )
    async def open_invitations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[Invitation]:
        allowed = member_permissions(found(info).member)
        query = open_invitations(self.healthspace_id, allowed)
        return await paginate(query, first, after, Invitation.from_row)

    @strawberry.field(
        description="Open invitations that expire within 3 days, soonest first.",
        extensions=[guard(_needs(*INVITING))],
    )
    async def expiring_invitations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[Invitation]:
        allowed = member_permissions(found(info).member)
        query = open_invitations(self.healthspace_id, allowed, expiring=True)
        return await paginate(query, first, after, Invitation.from_row)

    @strawberry.field(
        description="My clients who need something from me (Clients with tasks).",
        extensions=[guard(IsStaff(_tasks_healthspace()))],
    )
    async def my_clients_with_tasks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[Member]:
        return await my_clients_page(
            info, self.healthspace_id, found(info).member, None, True, first, after
        )


# --- "I can't find my patient" -------------------------------------------------------------


@strawberry.enum
class MemberLookupStatus(StrEnum):
    ACTIVE_MEMBER = "ACTIVE_MEMBER"
    DEACTIVATED_MEMBER = "DEACTIVATED_MEMBER"
    INVITED = "INVITED"
    INVITATION_ENDED = "INVITATION_ENDED"
    UNKNOWN = "UNKNOWN"


@strawberry.enum
class MemberLookupAdvice(StrEnum):
    CONNECT = "CONNECT"
    NOTHING_TO_DO = "NOTHING_TO_DO"
    REACTIVATE = "REACTIVATE"
    WAIT_OR_RESEND = "WAIT_OR_RESEND"
    INVITE = "INVITE"


@strawberry.type(
    description="What a Healthspace knows about an email address, for staff who cannot find "
    "a client: a member (active or deactivated), a pending invitation, an invitation that ended "
    "(expired, withdrawn), or nothing at all."
)
class MemberLookup:
    email: str = strawberry.field(description="The address as looked up (trimmed, lower case).")
    status: MemberLookupStatus
    advice: MemberLookupAdvice
    message: str = strawberry.field(description="The advice in a sentence, for the screen.")
    member: Member | None = strawberry.field(
        description="The membership with this address (see its kind and status)."
    )
    invitation: Invitation | None = strawberry.field(
        description="The pending invitation, or else the latest one: when it was sent, "
        "reminders sent, the next reminder and the expiry."
    )
