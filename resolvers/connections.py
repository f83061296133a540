"""Connections between a client member and a staff member with the CLINICIAN role: who may make
or end them, the rules each one meets, and the mail the client gets."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import strawberry
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from mailer import messages, outbox
from mailer.messages import Message
from permissions.audit import record_event
from permissions.guards import MayChangeConnections, guard
from permissions.roles import Role
from permissions.scopes import healthspace_of, parse_id
from permissions.viewer import Viewer
from resolvers.mutations import returns_errors
from schema.connections import Connection, ConnectionPayload, SetConnectionsPayload
from schema.members import Member
from schema.types import Info

# One "Save" of the connections dialog; far more than any real list, small enough to stay cheap.
MAX_CONNECTIONS_PER_CHANGE = 1000


def check_connectable(client: models.Member, staff: models.Member) -> None:
    """The rules every new connection meets, whoever makes it."""
    if client.healthspace_id != staff.healthspace_id:  # type: ignore[attr-defined]
        raise DomainError(
            ErrorCode.NOT_FOUND, "Both members must belong to the same Healthspace.", ["staffId"]
        )
    if client.kind != models.MemberKind.CLIENT:
        raise DomainError(
            ErrorCode.NOT_A_CLIENT,
            "Connections link a client to a clinician; this member is not a client.",
            ["clientId"],
        )
    if staff.kind != models.MemberKind.STAFF or Role.CLINICIAN.value not in staff.roles:
        raise DomainError(
            ErrorCode.NOT_A_CLINICIAN,
            "Only staff members with the clinician role can be connected to a client.",
            ["staffId"],
        )
    for member, field_name in ((client, "clientId"), (staff, "staffId")):
        if member.status != models.MemberStatus.ACTIVE:
            raise DomainError(
                ErrorCode.MEMBER_DEACTIVATED,
                "Deactivated members cannot be connected.",
                [field_name],
            )


async def connect(
    viewer: Viewer | None,
    client: models.Member,
    staff: models.Member,
    *,
    created_by: models.Member | None,
) -> models.Connection:
    """Create a current connection (call inside a transaction). Twice is ALREADY_CONNECTED: the
    unique `current_key` keeps that true under concurrent requests too. Sends no mail: callers
    that change connections on someone's behalf mail the client (see `ConnectionMail`)."""
    check_connectable(client, staff)
    key = f"{client.id}:{staff.id}"
    if await models.Connection.exists(current_key=key):
        raise DomainError(
            ErrorCode.ALREADY_CONNECTED, "These members are connected already.", ["staffId"]
        )
    connection = await models.Connection.create(
        healthspace_id=client.healthspace_id,  # type: ignore[attr-defined]
        client=client,
        staff=staff,
        created_by=created_by,
        current_key=key,
    )
    await record_event(
        viewer,
        "CONNECTION_ADDED",
        healthspace_id=client.healthspace_id,  # type: ignore[attr-defined]
        actor=created_by,
        client_member_id=client.id,
        subject_id=connection.id,
        details={"staff_member_id": str(staff.id)},
    )
    return connection


async def disconnect(
    viewer: Viewer | None,
    client: models.Member,
    staff: models.Member,
    *,
    ended_by: models.Member | None,
) -> models.Connection:
    """End the current connection (call inside a transaction). The row stays as history, with
    who ended it and when; a pair that is not connected is NOT_CONNECTED."""
    key = f"{client.id}:{staff.id}"
    connection = await models.Connection.select_for_update().get_or_none(current_key=key)
    now = datetime.now(UTC)
    # The conditional update makes two concurrent removals end the connection once.
    if connection is None or not await models.Connection.filter(
        id=connection.id, current_key=key
    ).update(ended_at=now, ended_by_id=ended_by.id if ended_by else None, current_key=None):
        raise DomainError(ErrorCode.NOT_CONNECTED, "These members are not connected.", ["staffId"])
    connection.ended_at = now
    connection.ended_by_id = ended_by.id if ended_by else None  # type: ignore[attr-defined]
    connection.current_key = None
    await record_event(
        viewer,
        "CONNECTION_ENDED",
        healthspace_id=client.healthspace_id,  # type: ignore[attr-defined]
        actor=ended_by,
        client_member_id=client.id,
        subject_id=connection.id,
        details={"staff_member_id": str(staff.id)},
    )
    return connection


def _name(member: models.Member) -> str:
    account = member.account
    return f"{account.first_name} {account.last_name}".strip() or account.email


@dataclass
class ConnectionMail:
    """The mail to each client whose connections changed in one mutation: one message per
    client, naming every clinician connected or disconnected. Members need their account."""

    healthspace: models.Healthspace
    added: dict[uuid.UUID, list[models.Member]] = field(default_factory=lambda: defaultdict(list))
    ended: dict[uuid.UUID, list[models.Member]] = field(default_factory=lambda: defaultdict(list))
    clients: dict[uuid.UUID, models.Member] = field(default_factory=dict)

    def connected(self, client: models.Member, staff: models.Member) -> None:
        self.clients[client.id] = client
        self.added[client.id].append(staff)

    def disconnected(self, client: models.Member, staff: models.Member) -> None:
        self.clients[client.id] = client
        self.ended[client.id].append(staff)

    def messages(self) -> list[Message]:
        result = []
        for client_id, client in self.clients.items():
            # A deactivated client no longer uses this Healthspace: tidying up their
            # connections is not news to them.
            if client.status != models.MemberStatus.ACTIVE:
                continue
            result.append(self._message(client, self.added[client_id], self.ended[client_id]))
        return result

    def _message(
        self, client: models.Member, added: list[models.Member], ended: list[models.Member]
    ) -> Message:
        account = client.account
        common: dict[str, Any] = {
            "to": account.email,
            "language": account.language,
            "first_name": account.first_name,
            "healthspace": self.healthspace.name,
        }
        if len(added) + len(ended) > 1:
            return messages.connections_changed(
                **common, added=[_name(m) for m in added], ended=[_name(m) for m in ended]
            )
        if added:
            return messages.connection_added(**common, staff_name=_name(added[0]))
        return messages.connection_ended(**common, staff_name=_name(ended[0]))

    async def send(self) -> None:
        letters = self.messages()
        if letters:
            await outbox.enqueue_many(letters)


def _still_allowed(member: models.Member, connection: models.Connection) -> bool:
    """Whether the member's kind and roles still allow this current connection of theirs: a
    client on the client side, a staff member with the clinician role on the staff side."""
    if member.kind == models.MemberKind.CLIENT:
        return connection.client_id == member.id  # type: ignore[attr-defined]
    return connection.staff_id == member.id and Role.CLINICIAN.value in member.roles  # type: ignore[attr-defined]


async def end_disallowed_connections(
    viewer: Viewer | None, member: models.Member, *, ended_by: models.Member | None
) -> list[models.Connection]:
    """End the member's current connections that their (new) kind or roles no longer allow, e.g.
    a clinician who lost the role, or a former clinician who comes back as a client (call inside
    a transaction). They stay as history, and each client is mailed as for any ended one."""
    rows = await models.Connection.filter(
        Q(client_id=member.id) | Q(staff_id=member.id), current_key__not_isnull=True
    )
    ending = [row for row in rows if not _still_allowed(member, row)]
    if not ending:
        return []
    ids = {row.client_id for row in ending} | {row.staff_id for row in ending}  # type: ignore[attr-defined]
    found = {
        row.id: row
        for row in await models.Member.filter(id__in=list(ids)).select_related("account")
    }
    mail = ConnectionMail(await models.Healthspace.get(id=member.healthspace_id))  # type: ignore[attr-defined]
    ended = []
    for row in ending:
        client, staff = found[row.client_id], found[row.staff_id]  # type: ignore[attr-defined]
        ended.append(await disconnect(viewer, client, staff, ended_by=ended_by))
        mail.disconnected(client, staff)
    await mail.send()
    return ended


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
                    for other in sorted(leaving, key=_name):
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
