"""The link between a client member and a staff member: the only way into a client's record."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.rows import FastRows

if TYPE_CHECKING:
    from models.healthspaces import Healthspace
    from models.members import Member


def connection_key(client_id: object, staff_id: object) -> str:
    """The `current_key` of the current connection between a client and a staff member: the
    one home of its format (the unique index relies on it)."""
    return f"{client_id}:{staff_id}"


def current_connection(client_id: object, staff_id: object) -> QuerySet[Connection]:
    """The current connection between this client and this staff member (at most one row)."""
    return Connection.filter(current_key=connection_key(client_id, staff_id))


def current_connections(*conditions: Any, **filters: Any) -> QuerySet[Connection]:
    """Connections that are current (not ended), narrowed by Tortoise `conditions`/`filters`:
    the one home of "current" for queries over many connections."""
    return Connection.filter(*conditions, current_key__not_isnull=True, **filters)


class Connection(FastRows, Model):
    id = fields.UUIDField(primary_key=True)
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name="connections", on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    client: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="client_connections", on_delete=fields.RESTRICT
    )
    client_id: uuid.UUID
    staff: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="staff_connections", on_delete=fields.RESTRICT
    )
    staff_id: uuid.UUID
    created_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: uuid.UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    ended_at = fields.DatetimeField(null=True)
    ended_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    ended_by_id: uuid.UUID | None
    # "<client id>:<staff id>" while the connection is current, NULL once ended: the unique
    # index keeps one current connection per pair even under concurrent requests.
    current_key = fields.CharField(max_length=73, null=True, unique=True)

    class Meta:
        table = "connection"
        # "My clients" reads one clinician's connections, a member's connections are read by
        # either side, and "clients without connection" reads one Healthspace's: each list has
        # its index, so it costs what it returns, not the size of the Healthspace.
        indexes = (("staff_id", "current_key"), ("client_id", "current_key"), ("healthspace_id",))
