"""Connections between a client member and a staff member with the CLINICIAN role: the rules each
one meets, making and ending them, and the mail the client gets."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

import models
from domain.errors import DomainError, ErrorCode
from domain.people import member_name
from mailer import messages, outbox
from mailer.messages import Message
from models import current_connection
from permissions.audit import record_event
from permissions.roles import is_clinician
from permissions.viewer import Viewer

# One "Save" of the connections dialog; far more than any real list, small enough to stay cheap.
MAX_CONNECTIONS_PER_CHANGE = 1000


def current_connections_of_staff(staff_id: uuid.UUID) -> QuerySet[models.Connection]:
    """The staff member's current connections."""
    return models.current_connections(staff_id=staff_id)


def own_side(kind: models.MemberKind) -> str:
    """The connection column a member of this kind is on: `client_id` for a client, `staff_id`
    for staff. A connection left from when a member was of the other kind (a former clinician
    who came back as a client) is on the other side, and no longer theirs to show."""
    return "client_id" if kind == models.MemberKind.CLIENT else "staff_id"


def current_connections_on_side(
    kind: models.MemberKind, member_ids: Sequence[uuid.UUID]
) -> QuerySet[models.Connection]:
    """The current connections of these members, all of `kind`, on their own side
    (`own_side`), oldest first: one indexed lookup per member, for a page of members at once."""
    return models.current_connections(**{f"{own_side(kind)}__in": list(member_ids)}).order_by(
        "created_at", "id"
    )


def current_connections_of(member_ids: list[uuid.UUID]) -> QuerySet[models.Connection]:
    """The current connections of these members, on either side, oldest first."""
    return models.current_connections(
        Q(client_id__in=member_ids) | Q(staff_id__in=member_ids)
    ).order_by("created_at")


async def connected_keys(keys: list[str]) -> set[str]:
    """Which of these `models.connection_key` pairs are connected now."""
    rows = await models.Connection.filter(current_key__in=keys).values_list(
        "current_key", flat=True
    )
    return {str(key) for key in rows}


def check_connectable(client: models.Member, staff: models.Member) -> None:
    """The rules every new connection meets, whoever makes it."""
    if client.healthspace_id != staff.healthspace_id:
        raise DomainError(
            ErrorCode.NOT_FOUND, "Both members must belong to the same Healthspace.", ["staffId"]
        )
    if client.kind != models.MemberKind.CLIENT:
        raise DomainError(
            ErrorCode.NOT_A_CLIENT,
            "Connections link a client to a clinician; this member is not a client.",
            ["clientId"],
        )
    if not is_clinician(staff):
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
    key = models.connection_key(client.id, staff.id)
    if await current_connection(client.id, staff.id).exists():
        raise DomainError(
            ErrorCode.ALREADY_CONNECTED, "These members are connected already.", ["staffId"]
        )
    connection = await models.Connection.create(
        healthspace_id=client.healthspace_id,
        client=client,
        staff=staff,
        created_by=created_by,
        current_key=key,
    )
    await record_event(
        viewer,
        "CONNECTION_ADDED",
        healthspace_id=client.healthspace_id,
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
    key = models.connection_key(client.id, staff.id)
    connection = await current_connection(client.id, staff.id).select_for_update().first()
    now = datetime.now(UTC)
    # The conditional update makes two concurrent removals end the connection once.
    if connection is None or not await models.Connection.filter(
        id=connection.id, current_key=key
    ).update(ended_at=now, ended_by_id=ended_by.id if ended_by else None, current_key=None):
        raise DomainError(ErrorCode.NOT_CONNECTED, "These members are not connected.", ["staffId"])
    connection.ended_at = now
    connection.ended_by_id = ended_by.id if ended_by else None
    connection.current_key = None
    await record_event(
        viewer,
        "CONNECTION_ENDED",
        healthspace_id=client.healthspace_id,
        actor=ended_by,
        client_member_id=client.id,
        subject_id=connection.id,
        details={"staff_member_id": str(staff.id)},
    )
    return connection


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
                **common,
                added=[member_name(m) for m in added],
                ended=[member_name(m) for m in ended],
            )
        if added:
            return messages.connection_added(**common, staff_name=member_name(added[0]))
        return messages.connection_ended(**common, staff_name=member_name(ended[0]))

    async def send(self) -> None:
        letters = self.messages()
        if letters:
            await outbox.enqueue_many(letters)


def _still_allowed(member: models.Member, connection: models.Connection) -> bool:
    """Whether the member's kind and roles still allow this current connection of theirs: a
    client on the client side, a staff member with the clinician role on the staff side."""
    if member.kind == models.MemberKind.CLIENT:
        return connection.client_id == member.id
    return connection.staff_id == member.id and is_clinician(member)


async def end_disallowed_connections(
    viewer: Viewer | None, member: models.Member, *, ended_by: models.Member | None
) -> list[models.Connection]:
    """End the member's current connections that their (new) kind or roles no longer allow, e.g.
    a clinician who lost the role, or a former clinician who comes back as a client (call inside
    a transaction). They stay as history, and each client is mailed as for any ended one."""
    return await _end(viewer, member, ended_by, keep=lambda row: _still_allowed(member, row))


async def end_connections(
    viewer: Viewer | None, member: models.Member, *, ended_by: models.Member | None
) -> list[models.Connection]:
    """End every current connection of the member, on either side (call inside a transaction):
    a member leaving the Healthspace, or one coming back who must find none of the old ones
    (issue 7, item 7). Kept as history; each active client is mailed as for any ended one."""
    return await _end(viewer, member, ended_by, keep=lambda row: False)


async def _end(
    viewer: Viewer | None,
    member: models.Member,
    ended_by: models.Member | None,
    keep: Callable[[models.Connection], bool],
) -> list[models.Connection]:
    rows = await current_connections_of([member.id])
    ending = [row for row in rows if not keep(row)]
    if not ending:
        return []
    ids = {row.client_id for row in ending} | {row.staff_id for row in ending}
    found = {
        row.id: row
        for row in await models.Member.filter(id__in=list(ids)).select_related("account")
    }
    mail = ConnectionMail(await models.Healthspace.get(id=member.healthspace_id))
    ended = []
    for row in ending:
        client, staff = found[row.client_id], found[row.staff_id]
        ended.append(await disconnect(viewer, client, staff, ended_by=ended_by))
        mail.disconnected(client, staff)
    await mail.send()
    return ended
