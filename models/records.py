"""The client record's rows: assignments, notes and video calls, plus the Healthspace API tokens
an integration uses to write to a record.

Each record section has its own table keyed by (healthspace, client), so later sections (files:
FHIR DocumentReference; messages: FHIR Communication) slot in the same way. Names follow FHIR
where it has a word for the thing: an assignment is a Task, a video call an Encounter of class
"virtual", a note a staff-only DocumentReference.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows

if TYPE_CHECKING:
    from models.healthspaces import Healthspace
    from models.members import Member


class RecordSection(StrEnum):
    """The sections of a record, as named in the audit log."""

    CLIENT = "CLIENT"
    ASSIGNMENTS = "ASSIGNMENTS"
    NOTES = "NOTES"
    VIDEO_CALLS = "VIDEO_CALLS"
    FILES = "FILES"
    MESSAGES = "MESSAGES"


class AssignmentStatus(StrEnum):
    """FHIR Task status, in the words of the product: requested, in-progress, completed,
    and completed-with-feedback."""

    PLANNED = "PLANNED"
    IN_PROGRESS = "IN_PROGRESS"
    SUBMITTED = "SUBMITTED"
    REVIEWED = "REVIEWED"


class Assignment(FastRows, Model):
    """A treatment assignment (FHIR Task) planned by staff for one client."""

    id = fields.UUIDField(primary_key=True)
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name=False, on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    client: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="assignments", on_delete=fields.RESTRICT
    )
    client_id: uuid.UUID
    title = fields.CharField(max_length=200)
    instructions = fields.TextField(default="")
    status = fields.CharEnumField(AssignmentStatus, max_length=12, default=AssignmentStatus.PLANNED)
    progress = fields.SmallIntField(default=0)
    available_from = fields.DatetimeField(null=True)
    due_at = fields.DatetimeField(null=True)
    draft_answer = fields.TextField(default="")
    answer = fields.TextField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    feedback = fields.TextField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    planned_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    planned_by_id: uuid.UUID | None
    reviewed_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    reviewed_by_id: uuid.UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "assignment"
        indexes = (("client_id", "status"),)


class Note(FastRows, Model):
    """A staff-only note in the record of a client, append-only.

    The migration installs triggers that refuse UPDATE and DELETE of these rows."""

    id = fields.UUIDField(primary_key=True)
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name=False, on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    client: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="notes", on_delete=fields.RESTRICT
    )
    client_id: uuid.UUID
    author: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, on_delete=fields.RESTRICT
    )
    author_id: uuid.UUID
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "note"


class VideoCall(FastRows, Model):
    """One video call (FHIR Encounter, class virtual) with when, with whom and how long.

    Never its content. Written by connected staff or by an integration holding an API token."""

    id = fields.UUIDField(primary_key=True)
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name=False, on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    client: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="video_calls", on_delete=fields.RESTRICT
    )
    client_id: uuid.UUID
    staff: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    staff_id: uuid.UUID | None
    started_at = fields.DatetimeField(db_index=True)
    duration_seconds = fields.IntField()
    logged_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    logged_by_id: uuid.UUID | None
    api_token: fields.ForeignKeyNullableRelation[ApiToken] = fields.ForeignKeyField(
        "models.ApiToken", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    api_token_id: uuid.UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "video_call"


class ApiTokenScope(StrEnum):
    """What an integration's token may do; one scope per token."""

    LOG_VIDEO_CALLS = "LOG_VIDEO_CALLS"


class ApiToken(FastRows, Model):
    """A token of a Healthspace for an integration such as the video-call service.

    Only the SHA-256 of the token is stored; revoked tokens stay as history."""

    id = fields.UUIDField(primary_key=True)
    healthspace: fields.ForeignKeyRelation[Healthspace] = fields.ForeignKeyField(
        "models.Healthspace", related_name=False, on_delete=fields.RESTRICT
    )
    healthspace_id: uuid.UUID
    name = fields.CharField(max_length=100)
    scope = fields.CharEnumField(ApiTokenScope, max_length=30)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: uuid.UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
