"""Connections between a client member and a staff member with the CLINICIAN role: who may make
or end them, the rules each one meets, and the mail the client gets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import strawberry
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain.connections import (
    MAX_CONNECTIONS_PER_CHANGE,
    ConnectionMail,
    connect,
    disconnect,
)
from domain.errors import DomainError, ErrorCode
from domain.people import member_name
from permissions.guards import MayChangeConnections, guard
from permissions.scopes import healthspace_of, parse_id
from resolvers.mutations import returns_errors
from schema.connections import Connection, ConnectionPayload, SetConnectionsPayload
from schema.members import Member
from schema.types import Info


def _pair_of(member: models.Member, other: models.Member) -> tuple[models.Member, models.Member]:
    """(client, staff) for a member and a counterpart, whichever side the member is on."""
    return (member, other) if member.kind == models.MemberKind.CLIENT else (other, member)


async def _pair(
    client_id: strawberry.ID, staff_id: strawberry.ID
) -> tuple[models.Member, models.Member]:
    ids = [parse_id(client_id), parse_id(staff_id)]
    rows = await models.Member.filter(id__in=[i for i in ids if i]).select_related("account")
    found = {row.id: row for row in rows}
    client = found.get(ids[0])  # type: ignore[arg-type]
    staff = found.get(ids[1])  # type: ignore[arg-type]
    if client is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such client.", ["clientId"])
    if staff is None or staff.healthspace_id != client.healthspace_id:  # type: ignore[attr-defined]
        # Another Healthspace's member is as unknown here as one that does not exist.
        raise DomainError(
            ErrorCode.NOT_FOUND, "No such staff member in this Healthspace.", ["staffId"]
        )
    return client, staff


async def _counterparts(
    member: models.Member, member_ids: Sequence[strawberry.ID]
) -> dict[uuid.UUID, tuple[int, models.Member]]:
    """The members named in `member_ids` (index in the list, row with account); one that does
    not exist or belongs to another Healthspace is NOT_FOUND."""
    wanted: dict[uuid.UUID, int] = {}
    for index, value in enumerate(member_ids):
        member_id = parse_id(value)
        if member_id is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such member.", ["memberIds", str(index)])
        wanted.setdefault(member_id, index)
    rows = await models.Member.filter(
        id__in=list(wanted),
        healthspace_id=member.healthspace_id,  # type: ignore[attr-defined]
    ).select_related("account")
    found = {row.id: row for row in rows}
    for member_id, index in wanted.items():
        if member_id not in found:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                "No such member in this Healthspace.",
                ["memberIds", str(index)],
            )
    return {member_id: (index, found[member_id]) for member_id, index in wanted.items()}


def _for_list(rejected: DomainError, member: models.Member, index: int) -> DomainError:
    """A connection rule broken inside setConnections, pointed at `memberId` or the entry of
    `memberIds` it concerns."""
    error = rejected.problems[0]
    member_side = "clientId" if member.kind == models.MemberKind.CLIENT else "staffId"
    field_path = ["memberId"] if error.field == (member_side,) else ["memberIds", str(index)]
    return DomainError(error.code, error.message, field_path)


async def _current_of(member: models.Member) -> list[models.Connection]:
    side = "client_id" if member.kind == models.MemberKind.CLIENT else "staff_id"
    return await models.Connection.filter(
        **{side: member.id}, current_key__not_isnull=True
    ).order_by("created_at", "id")


client_scope = healthspace_of(models.Member, "client_id")
member_scope = healthspace_of(models.Member, "member_id")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(MayChangeConnections(client_scope, own="staff_id"))],
        description="Connect a client and a clinician of the same Healthspace (both active); the "
        "client is emailed. MANAGE_CONNECTIONS connects anyone, MANAGE_OWN_CONNECTIONS only "
        "the viewer as the clinician.",
    )
    @returns_errors(ConnectionPayload)
    async def add_connection(
        self, info: Info, client_id: strawberry.ID, staff_id: strawberry.ID
    ) -> ConnectionPayload:
        viewer = info.context.viewer
        try:
            async with in_transaction():
                client, staff = await _pair(client_id, staff_id)
                actor = await viewer.member_of(client.healthspace_id)  # type: ignore[attr-defined]
                connection = await connect(viewer, client, staff, created_by=actor)
                mail = ConnectionMail(await client.healthspace)
                mail.connected(client, staff)
                await mail.send()
        except IntegrityError:  # the same pair connected by a concurrent request
            raise DomainError(
                ErrorCode.ALREADY_CONNECTED, "These members are connected already.", ["staffId"]
            ) from None
        return ConnectionPayload(connection=Connection.from_row(connection))

    @strawberry.mutation(
        extensions=[guard(MayChangeConnections(client_scope, own="staff_id"))],
        description="End a connection; it stays as history (endedAt, endedBy) and the client is "
        "emailed. Same permissions as addConnection.",
    )
    @returns_errors(ConnectionPayload)
    async def remove_connection(
        self, info: Info, client_id: strawberry.ID, staff_id: strawberry.ID
    ) -> ConnectionPayload:
        viewer = info.context.viewer
        async with in_transaction():
            client, staff = await _pair(client_id, staff_id)
            actor = await viewer.member_of(client.healthspace_id)  # type: ignore[attr-defined]
            connection = await disconnect(viewer, client, staff, ended_by=actor)
            mail = ConnectionMail(await client.healthspace)
            mail.disconnected(client, staff)
            await mail.send()
        return ConnectionPayload(connection=Connection.from_row(connection))

    @strawberry.mutation(
        extensions=[guard(MayChangeConnections(member_scope, own="member_id"))],
        description="Set a member's whole list of connections in one change (the connections "
        "dialog's Save): a client's clinicians, or a clinician's clients. Connections missing "
        "from `memberIds` end, new ones are made; all or nothing. Every client whose "
        "connections changed gets one mail. MANAGE_CONNECTIONS for anyone, "
        "MANAGE_OWN_CONNECTIONS for the viewer's own list.",
    )
    @returns_errors(SetConnectionsPayload)
    async def set_connections(
        self, info: Info, member_id: strawberry.ID, member_ids: list[strawberry.ID]
    ) -> SetConnectionsPayload:
        viewer = info.context.viewer
        if len(member_ids) > MAX_CONNECTIONS_PER_CHANGE:
            raise DomainError(
                ErrorCode.TOO_LONG,
                f"Set at most {MAX_CONNECTIONS_PER_CHANGE} connections at once.",
                ["memberIds"],
            )
        try:
            async with in_transaction():
                member = await models.Member.select_for_update().get(id=parse_id(member_id))
                await member.fetch_related("account", "healthspace")
                actor = await viewer.member_of(member.healthspace_id)  # type: ignore[attr-defined]
                wanted = await _counterparts(member, member_ids)
                side = "staff" if member.kind == models.MemberKind.CLIENT else "client"
                current = {getattr(row, f"{side}_id"): row for row in await _current_of(member)}
                mail = ConnectionMail(member.healthspace)
                ended, added = [], []
                if current.keys() - wanted.keys():
                    leaving = await models.Member.filter(
                        id__in=list(current.keys() - wanted.keys())
                    ).select_related("account")
                    for other in sorted(leaving, key=member_name):
                        client, staff = _pair_of(member, other)
                        ended.append(await disconnect(viewer, client, staff, ended_by=actor))
                        mail.disconnected(client, staff)
                for other_id, (index, other) in wanted.items():
                    if other_id in current:
                        continue
                    client, staff = _pair_of(member, other)
                    try:
                        added.append(await connect(viewer, client, staff, created_by=actor))
                    except DomainError as rejected:
                        raise _for_list(rejected, member, index) from None
                    mail.connected(client, staff)
                await mail.send()
        except IntegrityError:
            raise DomainError(
                ErrorCode.ALREADY_CONNECTED,
                "These connections were changed at the same time by someone else; try again.",
                ["memberIds"],
            ) from None
        return SetConnectionsPayload(
            member=Member.from_row(member),
            connections=[Connection.from_row(row) for row in await _current_of(member)],
            added=[Connection.from_row(row) for row in added],
            ended=[Connection.from_row(row) for row in ended],
        )
