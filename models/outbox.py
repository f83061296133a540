"""The mail outbox: messages written in the same transaction as the change that causes them."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class OutboxMessage(FastRows, Model):
    id = fields.UUIDField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Which message this is (e.g. "invitation", "verify_email"): for logs and tests.
    template = fields.CharField(max_length=50)
    to_address = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    text_body = fields.TextField()
    html_body = fields.TextField()
    status = fields.CharEnumField(OutboxStatus, max_length=10, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # A relay claims a row until this time; another relay may take it over only afterwards.
    claimed_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=36, null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")

    class Meta:
        table = "outbox_message"
        # The relay's claim reads only PENDING rows that are due, however many were sent.
        indexes = (("status", "next_attempt_at"),)
