"""Live updates over graphql-transport-ws on /graphql. One field for now: `tasksChanged`, the
staff task counts of a Healthspace (the scale issue fills live updates out).

A subscription outlives the request that started it, so access is checked again at every poll:
a session that ends (sign-out, expiry) or a membership that ends or stops being staff ends the
subscription with the same error the guard gives at the start."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator

import strawberry

import models
from permissions.errors import NotFound, Unauthenticated
from permissions.guards import IsStaff, acting_member, guard
from permissions.scopes import healthspace_argument
from resolvers.app import viewer_for
from schema.loaders import Loaders
from schema.tasks import HealthspaceTasks, TaskCounts
from schema.types import Info

# Seconds between two looks at the task counts (and at the subscriber's access).
POLL_SECONDS = 2.0


async def _still_staff(info: Info, healthspace_id: uuid.UUID) -> None:
    """Look the subscriber up again, as a new request would; raise when their access ended."""
    context = info.context
    context.viewer = await viewer_for(context.request, context.settings)
    context.loaders = Loaders()
    if not context.viewer.is_authenticated:
        raise Unauthenticated()
    member = await context.viewer.member_of(healthspace_id)
    if member is None or member.kind != models.MemberKind.STAFF:
        raise NotFound()


@strawberry.type
class Subscription:
    @strawberry.subscription(
        extensions=[guard(IsStaff(healthspace_argument()))],
        description="The staff task counts of a Healthspace: now, then whenever they change "
        f"(looked at every {POLL_SECONDS:g} seconds). Staff only; ends when the subscriber's "
        "session or membership ends.",
    )
    async def tasks_changed(
        self, info: Info, healthspace_id: strawberry.ID
    ) -> AsyncGenerator[TaskCounts, None]:
        hid = acting_member(info).healthspace_id
        last: TaskCounts | None = None
        while True:
            counts = await HealthspaceTasks(healthspace_id=hid).counts(info)
            if counts != last:
                last = counts
                yield counts
            await asyncio.sleep(POLL_SECONDS)
            await _still_staff(info, hid)
