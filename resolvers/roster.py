"""The roster fields: inviting a pasted roster (domain/roster.py) and reading a stored run.
Each is guard -> one domain call -> payload."""

from __future__ import annotations

import strawberry

import models
from domain import roster
from permissions.guards import HasPermission, acting_member, guard
from permissions.roles import Permission
from permissions.scopes import healthspace_argument, healthspace_of, parse_id
from resolvers.mutations import returns_errors
from schema.roster import InviteRosterInput, InviteRosterPayload, RosterBatch, roster_payload
from schema.types import Info


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[
            guard(
                HasPermission(Permission.INVITE_CLIENTS, scope=healthspace_of(models.RosterBatch))
            )
        ],
        description="A roster invitation run and its outcome per line.",
    )
    async def roster_batch(self, info: Info, id: strawberry.ID) -> RosterBatch | None:
        row = await roster.roster_batch(parse_id(id))
        return RosterBatch.from_row(row) if row else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.INVITE_CLIENTS, scope=healthspace_argument()))],
        description="Invite a pasted roster of up to 10,000 people as clients, in one "
        "all-or-nothing run that is safe to repeat; dryRun works out every outcome without "
        "writing or sending anything.",
    )
    @returns_errors(InviteRosterPayload)
    async def invite_roster(self, info: Info, input: InviteRosterInput) -> InviteRosterPayload:
        run = await roster.invite_roster(
            info.context.viewer,
            acting_member(info),
            input.roster,
            roster.RosterOptions(
                default_note=input.default_note,
                connect_to=None if input.connect_to is None else [str(i) for i in input.connect_to],
                dry_run=input.dry_run,
                require_existing_account=input.require_existing_account,
            ),
            info.context.settings,
        )
        return roster_payload(run)
