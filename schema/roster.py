"""Roster invitations: the input, one outcome per roster line, and the stored roster batch."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.dataloader import DataLoader

import models
from domain.invitations import invitations_by_id
from domain.roster import RosterEntry, RosterOutcome, RosterRun
from schema.errors import UserError
from schema.healthspaces import Healthspace
from schema.loaders import existing
from schema.members import Member, visible_member, visible_members
from schema.types import Info

if TYPE_CHECKING:
    from schema.invitations import Invitation


# The domain's enum object itself becomes the GraphQL enum: one enum, no alias.
strawberry.enum(RosterOutcome, description="What inviting one roster line came to.")


@strawberry.input
class InviteRosterInput:
    healthspace_id: strawberry.ID
    roster: str = strawberry.field(
        description="One email address per line; `email, personal note` gives that line its own "
        "note; lines starting with # and blank lines are ignored. At most 10,000 people."
    )
    default_note: str | None = strawberry.field(
        default=None, description="The note for lines without their own (at most 1,000 characters)."
    )
    connect_to: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Clinicians to connect each client to on acceptance. Left out: the inviting "
        "clinician (none when the inviter is not a clinician); [] connects nobody.",
    )
    dry_run: bool = strawberry.field(
        default=False, description="Work out every outcome but write and send nothing."
    )
    require_existing_account: bool = strawberry.field(
        default=False,
        description="Invite only people who already have an account; the others are "
        "NOT_ON_PLATFORM and listed in notOnPlatform.",
    )


@strawberry.type(description="How many roster lines came to each outcome.")
class RosterCounts:
    total: int
    sent: int
    not_on_platform: int
    already_connected: int
    already_member: int
    already_invited: int
    duplicate: int
    invalid: int
    error: int

    @classmethod
    def from_mapping(cls, counts: Mapping[str, int]) -> RosterCounts:
        by_outcome = {outcome: counts.get(outcome.value, 0) for outcome in RosterOutcome}
        return cls(
            total=sum(by_outcome.values()),
            sent=by_outcome[RosterOutcome.SENT],
            not_on_platform=by_outcome[RosterOutcome.NOT_ON_PLATFORM],
            already_connected=by_outcome[RosterOutcome.ALREADY_CONNECTED],
            already_member=by_outcome[RosterOutcome.ALREADY_MEMBER],
            already_invited=by_outcome[RosterOutcome.ALREADY_INVITED],
            duplicate=by_outcome[RosterOutcome.DUPLICATE],
            invalid=by_outcome[RosterOutcome.INVALID],
            error=by_outcome[RosterOutcome.ERROR],
        )


class InvitationSource:
    """Where a list of rows finds its invitations: rows in memory right after a run, otherwise
    one query for all rows of the list."""

    def __init__(self) -> None:
        self._known: dict[uuid.UUID, models.Invitation] = {}
        self._loader: DataLoader[uuid.UUID, models.Invitation | None] = DataLoader(self._load)

    def prime(self, invitations: Sequence[models.Invitation]) -> None:
        self._known.update((invitation.id, invitation) for invitation in invitations)

    async def get(self, invitation_id: uuid.UUID) -> models.Invitation | None:
        known = self._known.get(invitation_id)
        return known if known is not None else await self._loader.load(invitation_id)

    @staticmethod
    async def _load(ids: list[uuid.UUID]) -> list[models.Invitation | None]:
        return await invitations_by_id(ids)


@strawberry.type(description="One person line of the roster and what became of it.")
class RosterRow:
    line: int = strawberry.field(description="The line number in the pasted roster.")
    email: str = strawberry.field(description="The address, lower-cased; as written if invalid.")
    note: str = strawberry.field(description="The note used: the line's own or the default.")
    outcome: RosterOutcome
    message: str
    invitation_id: strawberry.Private[uuid.UUID | None]
    source: strawberry.Private[InvitationSource]

    @strawberry.field(description="The invitation this line sent (SENT rows of a real run).")
    async def invitation(
        self, info: Info
    ) -> Annotated[Invitation, strawberry.lazy("schema.invitations")] | None:
        from schema.invitations import Invitation

        if self.invitation_id is None:
            return None
        row = await self.source.get(self.invitation_id)
        return Invitation.from_row(row) if row else None

    @classmethod
    def from_entry(cls, entry: RosterEntry, source: InvitationSource) -> RosterRow:
        return cls(
            line=entry.line,
            email=entry.email,
            note=entry.note,
            outcome=entry.outcome,
            message=entry.message,
            invitation_id=entry.invitation_id,
            source=source,
        )


def rows_with(rows: Sequence[RosterRow], outcomes: list[RosterOutcome] | None) -> list[RosterRow]:
    if not outcomes:
        return list(rows)
    wanted = set(outcomes)
    return [row for row in rows if row.outcome in wanted]


def not_on_platform(rows: Sequence[RosterRow]) -> list[str]:
    return [row.email for row in rows if row.outcome == RosterOutcome.NOT_ON_PLATFORM]


@strawberry.type(description="One roster invitation run, as it was submitted and came out.")
class RosterBatch:
    id: strawberry.ID
    created_at: dt.datetime
    roster: str = strawberry.field(description="The roster as pasted.")
    default_note: str
    require_existing_account: bool
    row: strawberry.Private[models.RosterBatch]
    all_rows: strawberry.Private[list[RosterRow]]

    @classmethod
    def from_row(cls, row: models.RosterBatch, rows: list[RosterRow] | None = None) -> RosterBatch:
        if rows is None:
            source = InvitationSource()
            rows = [
                RosterRow.from_entry(RosterEntry.from_stored(stored), source) for stored in row.rows
            ]
        return cls(
            id=strawberry.ID(str(row.id)),
            created_at=row.created_at,
            roster=row.roster,
            default_note=row.default_note,
            require_existing_account=row.require_existing_account,
            row=row,
            all_rows=rows,
        )

    @strawberry.field(description="How many invitations this run sent.")
    def ready(self) -> int:
        return int(self.row.counts.get(RosterOutcome.SENT.value, 0))

    @strawberry.field
    def counts(self) -> RosterCounts:
        return RosterCounts.from_mapping(self.row.counts)

    @strawberry.field(description="One row per person line, in roster order.")
    def rows(self, outcomes: list[RosterOutcome] | None = None) -> list[RosterRow]:
        return rows_with(self.all_rows, outcomes)

    @strawberry.field(description="Addresses without an account (requireExistingAccount).")
    def not_on_platform(self) -> list[str]:
        return not_on_platform(self.all_rows)

    @strawberry.field
    async def created_by(self, info: Info) -> Member | None:
        return await visible_member(info, self.row.created_by_id)

    @strawberry.field(description="The clinicians each invited client is connected to.")
    async def connect_to(self, info: Info) -> list[Member]:
        ids = [uuid.UUID(member_id) for member_id in self.row.connect_to]
        return await visible_members(info, ids)

    @strawberry.field
    async def healthspace(self, info: Info) -> Healthspace:
        row = existing(await info.context.loaders.healthspace.load(self.row.healthspace_id))
        return Healthspace.from_row(row)


@strawberry.type
class InviteRosterPayload:
    batch: RosterBatch | None = strawberry.field(
        default=None, description="The stored run; null for a dry run or when refused."
    )
    ready: int = strawberry.field(
        default=0, description="How many invitations were sent (a dry run: would be sent)."
    )
    counts: RosterCounts | None = None
    all_rows: strawberry.Private[list[RosterRow]] = dataclasses.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(description="One row per person line, in roster order.")
    def rows(self, outcomes: list[RosterOutcome] | None = None) -> list[RosterRow]:
        return rows_with(self.all_rows, outcomes)

    @strawberry.field(
        description="Addresses without an account, in roster order (requireExistingAccount): "
        "ask these people to sign up first."
    )
    def not_on_platform(self) -> list[str]:
        return not_on_platform(self.all_rows)


def roster_payload(run: RosterRun) -> InviteRosterPayload:
    """inviteRoster's payload for a run (a dry run has no batch); its rows find their new
    invitations in memory."""
    source = InvitationSource()
    source.prime(run.made)
    rows = [RosterRow.from_entry(entry, source) for entry in run.rows]
    return InviteRosterPayload(
        batch=RosterBatch.from_row(run.batch, rows) if run.batch else None,
        ready=run.ready,
        counts=RosterCounts.from_mapping(run.counts),
        all_rows=rows,
    )
