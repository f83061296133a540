"""A Healthspace: one organisation's space, its appearance and its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows
from models.search import SearchColumn, SearchManager

if TYPE_CHECKING:
    from models.connections import Connection
    from models.invitations import Invitation, RosterBatch
    from models.join_requests import JoinRequest
    from models.members import Member


def default_reminder_days() -> list[int]:
    return [3, 7]


class Healthspace(SearchColumn, FastRows, Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    welcome_text = fields.TextField(default="")
    address = fields.TextField(default="")
    opening_hours = fields.TextField(default="")
    logo_url = fields.CharField(max_length=500, null=True)
    background_url = fields.CharField(max_length=500, null=True)
    # Days after sending at which an unanswered invitation gets a reminder.
    reminder_days: fields.JSONField[list[int]] = fields.JSONField(default=default_reminder_days)
    invitation_lifetime_days = fields.IntField(default=30)
    # Whether any signed-in account can find this Healthspace and ask to join as a client.
    findable = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The name normalised for search (models.search), kept up to date on save.
    SEARCHED_FIELDS = ("name",)
    search_text = fields.CharField(max_length=250, default="")

    members: fields.ReverseRelation[Member]
    invitations: fields.ReverseRelation[Invitation]
    roster_batches: fields.ReverseRelation[RosterBatch]
    join_requests: fields.ReverseRelation[JoinRequest]
    connections: fields.ReverseRelation[Connection]

    class Meta:
        table = "healthspace"
        manager = SearchManager()
