"""Invitations to join a Healthspace, and roster batches (one bulk invitation run each)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows

if TYPE_CHECKING:
    from models.healthspaces import Healthspace
    from models.members import Member


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"


class RosterBatch(FastRows, Model):
    id = fields.UUIDField(primary_key=True)
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name="roster_batches", on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    created_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: uuid.UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    roster = fields.TextField()
    default_note = fields.TextField(default="")
    connect_to: fields.JSONField[list[str]] = fields.JSONField(default=list)
    require_existing_account = fields.BooleanField(default=False)
    # Outcome counts and one outcome per roster line, as returned by inviteRoster.
    counts: fields.JSONField[dict[str, int]] = fields.JSONField(default=dict)
    rows: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)

    invitations: fields.ReverseRelation[Invitation]

    class Meta:
        table = "roster_batch"


class Invitation(FastRows, Model):
    id = fields.UUIDField(primary_key=True)
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name="invitations", on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    kind = fields.CharField(max_length=10)  # MemberKind
    email = fields.CharField(max_length=254, db_index=True)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    note = fields.TextField(default="")
    # The mail language for an invitee without an account, decided when invited and kept, so
    # the invitation, its reminders and a resend agree (domain.invitations.mail_language).
    language = fields.CharField(max_length=2, default="en")
    roles: fields.JSONField[list[str]] = fields.JSONField(default=list)
    granted_permissions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # Staff member ids to connect to the client on acceptance.
    connect_to: fields.JSONField[list[str]] = fields.JSONField(default=list)
    identification_number = fields.CharField(max_length=50, null=True)
    date_of_birth = fields.DateField(null=True)
    status = fields.CharEnumField(InvitationStatus, max_length=10, default=InvitationStatus.PENDING)
    token_hash = fields.CharField(max_length=64, unique=True)
    invited_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    invited_by_id: uuid.UUID | None
    batch: fields.ForeignKeyNullableRelation[RosterBatch] = fields.ForeignKeyField(
        "models.RosterBatch", related_name="invitations", null=True, on_delete=fields.SET_NULL
    )
    batch_id: uuid.UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    last_sent_at = fields.DatetimeField()
    reminders_sent = fields.IntField(default=0)
    # The reminder sweep reads only rows due by this column, hence the index.
    next_reminder_at = fields.DatetimeField(null=True, db_index=True)
    expires_at = fields.DatetimeField(db_index=True)
    decided_at = fields.DatetimeField(null=True)
    accepted_member: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    accepted_member_id: uuid.UUID | None
    # "<healthspace id>:<email>" while pending, NULL otherwise: at most one pending invitation
    # per person and Healthspace, enforced by the database.
    pending_key = fields.CharField(max_length=300, null=True, unique=True)

    class Meta:
        table = "invitation"
        # Open and expiring invitations of one Healthspace (the task counts and lists).
        indexes = (("healthspace_id", "status", "expires_at"),)
