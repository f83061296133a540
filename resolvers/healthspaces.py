"""Healthspaces: finding them, reading them, changing their settings and appearance. Guard,
one call into `domain.healthspaces`, the payload."""

from __future__ import annotations

import dataclasses

import strawberry

from domain import healthspaces
from permissions.guards import HasPermission, IsAuthenticated, found, guard
from permissions.roles import Permission
from permissions.scopes import healthspace_argument, parse_id
from resolvers.mutations import returns_errors
from schema.healthspaces import Healthspace, HealthspacePayload, UpdateHealthspaceInput
from schema.pagination import Page, paginate
from schema.types import Info


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[guard(IsAuthenticated())],
        description="A Healthspace I am a member of, or one that lets clients find it; null otherwise.",
    )
    async def healthspace(self, info: Info, id: strawberry.ID) -> Healthspace | None:
        row = await healthspaces.find_visible(info.context.viewer, parse_id(id))
        return Healthspace.from_row(row) if row else None

    @strawberry.field(
        extensions=[guard(IsAuthenticated())],
        description="My Healthspaces and those that let clients find them, by name.",
    )
    async def healthspaces(
        self,
        info: Info,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[Healthspace]:
        query = await healthspaces.mine_and_findable(info.context.viewer, search)
        return await paginate(query, first, after, Healthspace.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[
            guard(HasPermission(Permission.MANAGE_HEALTHSPACE, scope=healthspace_argument()))
        ],
        description="Change a Healthspace's general settings and appearance.",
    )
    @returns_errors(HealthspacePayload)
    async def update_healthspace(
        self, info: Info, input: UpdateHealthspaceInput
    ) -> HealthspacePayload:
        changes = healthspaces.HealthspaceChanges(
            **{
                field.name: getattr(input, field.name)
                for field in dataclasses.fields(healthspaces.HealthspaceChanges)
            }
        )
        actor = found(info).member
        assert actor is not None  # HasPermission hands over the acting member of that Healthspace
        row = await healthspaces.update(info.context.viewer, actor, actor.healthspace_id, changes)
        return HealthspacePayload(healthspace=Healthspace.from_row(row))
