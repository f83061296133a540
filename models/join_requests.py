"""A person asking to become a client of a Healthspace."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows

if TYPE_CHECKING:
    from models.accounts import Account
    from models.healthspaces import Healthspace
    from models.members import Member


class JoinRequestStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class JoinRequest(FastRows, Model):
    id = fields.UUIDField(primary_key=True)
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name="join_requests", on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="join_requests", on_delete=fields.RESTRICT
    )
    account_id: uuid.UUID
    message = fields.TextField(default="")
    status = fields.CharEnumField(
        JoinRequestStatus, max_length=10, default=JoinRequestStatus.PENDING
    )
    reason = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)
    decided_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    decided_by_id: uuid.UUID | None
    # "<healthspace id>:<account id>" while pending: one pending request per person.
    pending_key = fields.CharField(max_length=73, null=True, unique=True)

    class Meta:
        table = "join_request"
        # Pending requests of one Healthspace, oldest first.
        indexes = (("healthspace_id", "status", "created_at"),)
