"""Accounts (a person's platform-wide login), their sessions and one-time email-link tokens."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows
from models.search import SearchColumn, SearchManager

if TYPE_CHECKING:
    from models.join_requests import JoinRequest
    from models.members import Member


class Account(SearchColumn, FastRows, Model):
    id = fields.UUIDField(primary_key=True)
    # Stored lower-cased, so the unique index makes email unique case-insensitively.
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255, null=True)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    date_of_birth = fields.DateField(null=True)
    language = fields.CharField(max_length=2, default="en")
    email_verified = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Set when the person closes their account: it can no longer sign in.
    deactivated_at = fields.DatetimeField(null=True)
    # Names normalised for search (models.search), kept up to date on save.
    SEARCHED_FIELDS = ("last_name", "first_name")
    search_text = fields.CharField(max_length=500, default="")
    # Email kinds this person switched off or on ({"ASSIGNMENT_PLANNED": false}); a kind not
    # named here is on (see domain.notifications).
    notification_settings: fields.JSONField[dict[str, bool]] = fields.JSONField(default=dict)

    memberships: fields.ReverseRelation[Member]
    join_requests: fields.ReverseRelation[JoinRequest]
    sessions: fields.ReverseRelation[Session]
    email_tokens: fields.ReverseRelation[EmailToken]

    class Meta:
        table = "account"
        manager = SearchManager()


class Session(FastRows, Model):
    """A signed-in session. Only the SHA-256 of the bearer token is stored."""

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: uuid.UUID
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    ip_address = fields.CharField(max_length=45, null=True)
    user_agent = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "session"


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "VERIFY_EMAIL"
    RESET_PASSWORD = "RESET_PASSWORD"
    SIGN_IN = "SIGN_IN"


class EmailToken(FastRows, Model):
    """A single-use, expiring token sent by email (verification, password reset, sign-in link)."""

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="email_tokens", on_delete=fields.CASCADE
    )
    account_id: uuid.UUID
    purpose = fields.CharEnumField(TokenPurpose, max_length=20)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "email_token"
