"""The Member type: an account's membership of one Healthspace."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment
from strawberry.utils.await_maybe import await_maybe

import models
from domain.connections import own_side
from domain.member_lists import MemberList
from models import MemberKind, MemberStatus
from permissions.guards import found
from permissions.objects import sees_member
from permissions.record_guards import OpensClientRecord, record_guard, this_member
from permissions.roles import Permission, Role
from permissions.viewer import UNKNOWN, Unknown, member_permissions
from schema.errors import UserError
from schema.loaders import NOT_READY, NotReady, existing, ready, side_key
from schema.pagination import Page, page_of
from schema.people import AccountOf, PersonFields
from schema.plain_fields import row_field
from schema.types import Info

if TYPE_CHECKING:
    from schema.connections import Connection
    from schema.healthspaces import Healthspace
    from schema.records import Record


@strawberry.type
class Member(PersonFields):
    row: strawberry.Private[models.Member]
    id: strawberry.ID = row_field("id", convert=str)
    kind: MemberKind = row_field("kind")
    status: MemberStatus = row_field("status")
    identification_number: str | None = row_field("identification_number")
    created_at: dt.datetime = row_field("created_at")

    @classmethod
    def from_row(cls, row: models.Member) -> Member:
        return cls(row=row, account=AccountOf(row))

    @strawberry.field
    def roles(self) -> list[Role]:
        return [Role(role) for role in self.row.roles]

    @strawberry.field(description="Everything this member may do: their roles' and granted ones.")
    def permissions(self) -> list[Permission]:
        return sorted(member_permissions(self.row))

    @strawberry.field(description="Permissions granted one by one on top of the roles.")
    def granted_permissions(self) -> list[Permission]:
        return [Permission(name) for name in self.row.granted_permissions]

    @strawberry.field
    def healthspace(
        self, info: Info
    ) -> Annotated[Healthspace, strawberry.lazy("schema.healthspaces")]:
        from schema.healthspaces import Healthspace

        row = self.row.__dict__.get("_healthspace")  # fetched with the viewer's memberships
        if row is None:
            row = ready(info.context.loaders.healthspace, self.row.healthspace_id)
        if row is NOT_READY:
            return self._healthspace_later(info)  # type: ignore[return-value]
        return Healthspace.from_row(existing(row))

    async def _healthspace_later(self, info: Info) -> Healthspace:
        from schema.healthspaces import Healthspace

        row = await info.context.loaders.healthspace.load(self.row.healthspace_id)
        return Healthspace.from_row(existing(row))

    @strawberry.field(description="This member's current connections, as client or as staff.")
    def connections(
        self, info: Info
    ) -> list[Annotated[Connection, strawberry.lazy("schema.connections")]]:
        rows = ready(info.context.loaders.current_connections, side_key(self.row))
        seen = self._seen_now(info)
        if rows is NOT_READY or seen is UNKNOWN:
            return self._connections_later(info)  # type: ignore[return-value]
        return self._own_connections(rows, seen)

    async def _connections_later(self, info: Info) -> list[Connection]:
        rows = await info.context.loaders.current_connections.load(side_key(self.row))
        mine = await info.context.viewer.member_of(self.row.healthspace_id)
        return self._own_connections(rows, _Seen(mine, self._in_full(mine)))

    def _own_connections(self, rows: list[models.Connection], seen: _Seen) -> list[Connection]:
        from schema.connections import Connection

        if not seen.in_full:
            # A client looking at their clinician sees only the connection with themselves,
            # never the clinician's other clients.
            mine = seen.mine
            rows = [row for row in rows if mine is not None and row.client_id == mine.id]
        return [Connection.from_row(row) for row in rows]

    @strawberry.field
    def date_of_birth(self, info: Info) -> dt.date | None:
        """Shown to the member themselves and to staff; a client does not see a clinician's."""
        seen = self._seen_now(info)
        if seen is UNKNOWN:
            return self._date_of_birth_later(info)  # type: ignore[return-value]
        return self.account.value("date_of_birth") if seen.in_full else None

    async def _date_of_birth_later(self, info: Info) -> dt.date | None:
        mine = await info.context.viewer.member_of(self.row.healthspace_id)
        if not self._in_full(mine):
            return None
        date_of_birth: dt.date | None = await await_maybe(self.account.value("date_of_birth"))
        return date_of_birth

    def _in_full(self, mine: models.Member | None) -> bool:
        """Staff of this Healthspace and the member themselves see everything about a member."""
        return mine is not None and (mine.kind == models.MemberKind.STAFF or mine.id == self.row.id)

    def _seen_now(self, info: Info) -> _Seen | Unknown:
        """The viewer's membership here and `_in_full`, from the memberships this request has
        read already (the list's guard read them); UNKNOWN when not read yet."""
        mine = info.context.viewer.member_of_now(self.row.healthspace_id)
        if mine is UNKNOWN:
            return UNKNOWN
        return _Seen(mine, self._in_full(mine))

    @strawberry.field(
        description="Whether the viewer has a current connection with this member: a staff "
        "viewer with this client, or a client viewer with this staff member."
    )
    def connected_to_viewer(self, info: Info) -> bool:
        mine = info.context.viewer.member_of_now(self.row.healthspace_id)
        if mine is UNKNOWN:
            return self._connected_to_viewer_later(info)  # type: ignore[return-value]
        key = self._pair_with(mine)
        if key is None:
            return False
        connected = ready(info.context.loaders.connected_pair, key)
        if connected is NOT_READY:
            return info.context.loaders.connected_pair.load(key)  # type: ignore[return-value]
        return connected

    async def _connected_to_viewer_later(self, info: Info) -> bool:
        mine = await info.context.viewer.member_of(self.row.healthspace_id)
        key = self._pair_with(mine)
        return key is not None and await info.context.loaders.connected_pair.load(key)

    def _pair_with(self, mine: models.Member | None) -> str | None:
        """The `connected_pair` key of this member and the viewer's membership, or None when
        they cannot be connected (no membership, or of the same kind)."""
        if mine is None or mine.kind == self.row.kind:
            return None
        client, staff = (
            (self.row, mine) if self.row.kind == models.MemberKind.CLIENT else (mine, self.row)
        )
        return models.connection_key(client.id, staff.id)

    @strawberry.field(
        description="This client's record, when the viewer may open it (see Query.record); "
        "null otherwise.",
        extensions=[record_guard(OpensClientRecord(this_member()))],
    )
    async def record(
        self, info: Info
    ) -> Annotated[Record, strawberry.lazy("schema.records")] | None:
        from schema.records import Record

        access = found(info).target
        return Record.of(access) if access else None


@dataclass(frozen=True)
class _Seen:
    """The viewer's active membership of a member's Healthspace and whether it sees the member
    in full (`Member._in_full`)."""

    mine: models.Member | None
    in_full: bool


async def visible_member(info: Info, member_id: uuid.UUID | None) -> Member | None:
    """The member with this id as a field nested anywhere may show it: exactly when
    `member(id:)` would (`permissions.objects.sees_member`), else None. Batched: the rows and the
    client-to-clinician connections are read through the request's loaders."""
    if member_id is None:
        return None
    row = await info.context.loaders.member.load(member_id)
    if row is None:
        return None
    mine = await info.context.viewer.member_of(row.healthspace_id)
    connected = (
        mine is not None
        and mine.kind == models.MemberKind.CLIENT
        and row.kind == models.MemberKind.STAFF
        and await info.context.loaders.connected_pair.load(models.connection_key(mine.id, row.id))
    )
    return Member.from_row(row) if sees_member(mine, row, connected) else None


async def visible_members(info: Info, member_ids: Sequence[uuid.UUID]) -> list[Member]:
    """`visible_member` for each id, in order, leaving out those the viewer may not see."""
    found = [await visible_member(info, member_id) for member_id in member_ids]
    return [member for member in found if member is not None]


def visible_member_now(
    info: Info, member_id: uuid.UUID | None
) -> Member | Awaitable[Member | None] | None:
    """`visible_member`, answered at once when the request's loaders already hold the row, the
    viewer's memberships and (for a client viewer) the connection; else its awaitable. The same
    rule (`sees_member`) either way."""
    if member_id is None:
        return None
    loaders = info.context.loaders
    row = ready(loaders.member, member_id)
    mine = (
        UNKNOWN
        if row is NOT_READY or row is None
        else (info.context.viewer.member_of_now(row.healthspace_id))
    )
    if row is NOT_READY or mine is UNKNOWN:
        return visible_member(info, member_id)
    if row is None:
        return None
    connected = False
    if (
        mine is not None
        and mine.kind == models.MemberKind.CLIENT
        and row.kind == models.MemberKind.STAFF
    ):
        pair = ready(loaders.connected_pair, models.connection_key(mine.id, row.id))
        if isinstance(pair, NotReady):
            return visible_member(info, member_id)
        connected = pair
    return Member.from_row(row) if sees_member(mine, row, connected) else None


async def member_page(
    info: Info, members: MemberList, first: int | None, after: str | None
) -> Page[Member]:
    """The page of `members` asked for, its nodes prepared together (`prepare_member_nodes`);
    `info` is the list field's. A bad `first` or `after` is refused (BAD_USER_INPUT)."""
    return await page_of(
        members.rows,
        members.count,
        first,
        after,
        Member.from_row,
        lambda rows: prepare_member_nodes(info, rows),
    )


async def prepare_member_nodes(info: Info, rows: Sequence[models.Member]) -> None:
    """Read at once, for a whole page of members, what the selected fields of its nodes will
    ask the loaders for: their current connections and the members on those connections. The
    same statements the loaders would make, made before the nodes resolve, so that each node
    answers synchronously instead of becoming asyncio tasks (issue 10). `info` is the list
    field's; rows are the page's members (accounts fetched with them)."""
    loaders = info.context.loaders
    page_fields = [selection for field in info.selected_fields for selection in field.selections]
    nodes = _selections_of(page_fields, "nodes")
    connection_fields = _selections_of(nodes, "connections")
    if not rows or connection_fields is None:
        return
    for healthspace_id in {row.healthspace_id for row in rows}:
        await info.context.viewer.member_of(healthspace_id)
    keys = [side_key(row) for row in rows]
    await loaders.read_now(loaders.current_connections, keys)
    connections: list[list[models.Connection]] = []
    for key in keys:
        held = ready(loaders.current_connections, key)
        if held is NOT_READY:  # still being read by an earlier load: wait for all of them
            connections = await loaders.current_connections.load_many(keys)
            break
        connections.append(held)
    wanted = [
        column
        for field, column in (
            ("client", "client_id"),
            ("staff", "staff_id"),
            ("createdBy", "created_by_id"),
            ("endedBy", "ended_by_id"),
        )
        if _selections_of(connection_fields, field) is not None
    ]
    far_sides = {"client_id", "staff_id"} - {own_side(row.kind) for row in rows}
    if set(wanted) - far_sides:
        # Not only the far side: the members asked for may be the page's own nodes.
        loaders.prime_members(rows)
    member_ids = {
        getattr(connection, column)
        for of_member in connections
        for connection in of_member
        for column in wanted
    }
    member_ids.discard(None)
    await loaders.read_now(loaders.member, list(member_ids))


def _selections_of(selections: Sequence[Any] | None, name: str) -> list[Any] | None:
    """The sub-selections of field `name` among `selections` (fragments looked into), merged;
    None when the field is not selected."""
    if selections is None:
        return None
    found: list[Any] | None = None
    for selection in selections:
        if isinstance(selection, (FragmentSpread, InlineFragment)):
            inner = _selections_of(selection.selections, name)
        elif selection.name == name:
            inner = list(selection.selections)
        else:
            continue
        if inner is not None:
            found = (found or []) + inner
    return found


@strawberry.type
class MemberPayload:
    member: Member | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateMemberInput:
    member_id: strawberry.ID
    identification_number: str | None = None
