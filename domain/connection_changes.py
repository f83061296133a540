"""Changing connections on someone's behalf: one connection made or ended (the client is mailed),
or a member's whole list set in one change (the connections dialog's Save). Who may do it is
the guard's business (`permissions.guards.MayChangeConnections`); the rules are here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain.connections import (
    MAX_CONNECTIONS_PER_CHANGE,
    ConnectionMail,
    connect,
    current_connections_on_side,
    disconnect,
)
from domain.errors import DomainError, ErrorCode
from domain.people import member_name
from permissions.scopes import parse_id
from permissions.viewer import Viewer


def _pair_of(member: models.Member, other: models.Member) -> tuple[models.Member, models.Member]:
    """(client, staff) for a member and a counterpart, whichever side the member is on."""
    return (member, other) if member.kind == models.MemberKind.CLIENT else (other, member)


async def _pair(client_id: object, staff_id: object) -> tuple[models.Member, models.Member]:
    client_uuid, staff_uuid = parse_id(client_id), parse_id(staff_id)
    ids = [member_id for member_id in (client_uuid, staff_uuid) if member_id]
    rows = await models.Member.filter(id__in=ids).select_related("account")
    found = {row.id: row for row in rows}
    client = found.get(client_uuid) if client_uuid else None
    staff = found.get(staff_uuid) if staff_uuid else None
    if client is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such client.", ["clientId"])
    if staff is None or staff.healthspace_id != client.healthspace_id:
        # Another Healthspace's member is as unknown here as one that does not exist.
        raise DomainError(
            ErrorCode.NOT_FOUND, "No such staff member in this Healthspace.", ["staffId"]
        )
    return client, staff


async def _counterparts(
    member: models.Member, member_ids: Sequence[object]
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
        healthspace_id=member.healthspace_id,
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


async def current_of(member: models.Member) -> list[models.Connection]:
    """The member's current connections on the side of their kind, oldest first."""
    return await current_connections_on_side(member.kind, [member.id])


async def add_connection(
    viewer: Viewer, actor: models.Member | None, client_id: object, staff_id: object
) -> models.Connection:
    """Connect a client and a clinician of one Healthspace (both active) and mail the client.
    NOT_FOUND for an unknown member or one of another Healthspace; the rules of
    `domain.connections.connect` (ALREADY_CONNECTED also under concurrency)."""
    try:
        async with in_transaction():
            client, staff = await _pair(client_id, staff_id)
            connection = await connect(viewer, client, staff, created_by=actor)
            mail = ConnectionMail(await client.healthspace)
            mail.connected(client, staff)
            await mail.send()
    except IntegrityError:  # the same pair connected by a concurrent request
        raise DomainError(
            ErrorCode.ALREADY_CONNECTED, "These members are connected already.", ["staffId"]
        ) from None
    return connection


async def remove_connection(
    viewer: Viewer, actor: models.Member | None, client_id: object, staff_id: object
) -> models.Connection:
    """End a connection (kept as history) and mail the client; NOT_CONNECTED when there is none."""
    async with in_transaction():
        client, staff = await _pair(client_id, staff_id)
        connection = await disconnect(viewer, client, staff, ended_by=actor)
        mail = ConnectionMail(await client.healthspace)
        mail.disconnected(client, staff)
        await mail.send()
    return connection


@dataclass
class ConnectionsSet:
    """What `set_connections` did: the member, their current connections after the change,
    and the connections added and ended."""

    member: models.Member
    current: list[models.Connection] = field(default_factory=list)
    added: list[models.Connection] = field(default_factory=list)
    ended: list[models.Connection] = field(default_factory=list)


async def set_connections(
    viewer: Viewer, actor: models.Member | None, target: models.Member, member_ids: Sequence[object]
) -> ConnectionsSet:
    """Set a member's whole list of connections in one change, all or nothing: a client's
    clinicians or a clinician's clients. Every client whose connections changed gets one mail.
    TOO_LONG over MAX_CONNECTIONS_PER_CHANGE; a broken rule names the `memberIds` entry."""
    if len(member_ids) > MAX_CONNECTIONS_PER_CHANGE:
        raise DomainError(
            ErrorCode.TOO_LONG,
            f"Set at most {MAX_CONNECTIONS_PER_CHANGE} connections at once.",
            ["memberIds"],
        )
    try:
        async with in_transaction():
            member = await models.Member.select_for_update().get(id=target.id)
            await member.fetch_related("account", "healthspace")
            wanted = await _counterparts(member, member_ids)
            side = "staff" if member.kind == models.MemberKind.CLIENT else "client"
            current = {getattr(row, f"{side}_id"): row for row in await current_of(member)}
            mail = ConnectionMail(member.healthspace)
            result = ConnectionsSet(member)
            if current.keys() - wanted.keys():
                leaving = await models.Member.filter(
                    id__in=list(current.keys() - wanted.keys())
                ).select_related("account")
                for other in sorted(leaving, key=member_name):
                    client, staff = _pair_of(member, other)
                    result.ended.append(await disconnect(viewer, client, staff, ended_by=actor))
                    mail.disconnected(client, staff)
            for other_id, (index, other) in wanted.items():
                if other_id in current:
                    continue
                client, staff = _pair_of(member, other)
                try:
                    result.added.append(await connect(viewer, client, staff, created_by=actor))
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
    result.current = await current_of(member)
    return result
