"""An account's membership of one Healthspace, as client or staff."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows
from models.search import SearchColumn, SearchManager

if TYPE_CHECKING:
    from models.accounts import Account
    from models.connections import Connection
    from models.healthspaces import Healthspace
    from models.records import Assignment, Note, VideoCall


class MemberKind(StrEnum):
    CLIENT = "CLIENT"
    STAFF = "STAFF"


class MemberStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class Member(SearchColumn, FastRows, Model):
    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="memberships", on_delete=fields.RESTRICT
    )
    account_id: uuid.UUID
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name="members", on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    kind = fields.CharEnumField(MemberKind, max_length=10)
    # Role names (staff only) and permissions granted one by one on top of the roles.
    roles: fields.JSONField[list[str]] = fields.JSONField(default=list)
    granted_permissions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    status = fields.CharEnumField(MemberStatus, max_length=12, default=MemberStatus.ACTIVE)
    identification_number = fields.CharField(max_length=50, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    deactivated_at = fields.DatetimeField(null=True)
    # The identification number normalised for search (models.search), kept up to date on save.
    SEARCHED_FIELDS = ("identification_number",)
    search_text = fields.CharField(max_length=60, default="")

    client_connections: fields.ReverseRelation[Connection]
    staff_connections: fields.ReverseRelation[Connection]
    assignments: fields.ReverseRelation[Assignment]
    notes: fields.ReverseRelation[Note]
    video_calls: fields.ReverseRelation[VideoCall]

    class Meta:
        table = "member"
        manager = SearchManager()
        unique_together = (("account", "healthspace"),)
        # Member lists and counts of one Healthspace, by kind and status.
        indexes = (("healthspace_id", "kind", "status"),)
