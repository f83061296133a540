"""Connections between a client member and a staff member with the CLINICIAN role: guard
(`MayChangeConnections`), one call into `domain.connection_changes`, the payload."""

from __future__ import annotations

import strawberry

import models
from domain import connection_changes
from permissions.guards import MayChangeConnections, found, guard
from permissions.scopes import object_of
from resolvers.mutations import returns_errors
from schema.connections import Connection, ConnectionPayload, SetConnectionsPayload
from schema.members import Member
from schema.types import Info

client_scope = object_of(models.Member, "client_id")
member_scope = object_of(models.Member, "member_id")


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
        connection = await connection_changes.add_connection(
            info.context.viewer, found(info).member, client_id, staff_id
        )
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
        connection = await connection_changes.remove_connection(
            info.context.viewer, found(info).member, client_id, staff_id
        )
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
        guarded = found(info)
        done = await connection_changes.set_connections(
            info.context.viewer, guarded.member, guarded.target, list(member_ids)
        )
        return SetConnectionsPayload(
            member=Member.from_row(done.member),
            connections=[Connection.from_row(row) for row in done.current],
            added=[Connection.from_row(row) for row in done.added],
            ended=[Connection.from_row(row) for row in done.ended],
        )
