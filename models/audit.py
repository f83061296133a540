"""Append-only audit events: who did what, on whose behalf, to which client, when, from where."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows


class AuditOutcome(StrEnum):
    SUCCESS = "SUCCESS"
    DENIED = "DENIED"
    FAILURE = "FAILURE"


class AuditEvent(FastRows, Model):
    # Plain UUID columns, not foreign keys: an audit line must outlive whatever it names.
    id = fields.UUIDField(primary_key=True)
    occurred_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    action = fields.CharField(max_length=60)
    outcome = fields.CharEnumField(AuditOutcome, max_length=10, default=AuditOutcome.SUCCESS)
    healthspace_id = fields.UUIDField(null=True, db_index=True)
    actor_account_id = fields.UUIDField(null=True)
    actor_member_id = fields.UUIDField(null=True)
    on_behalf_of_account_id = fields.UUIDField(null=True)
    client_member_id = fields.UUIDField(null=True, db_index=True)
    subject_id = fields.UUIDField(null=True)
    section = fields.CharField(max_length=40, null=True)
    ip_address = fields.CharField(max_length=45, null=True)
    details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_event"
