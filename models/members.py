"""An account's membership of one Healthspace, as client or staff."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.search import SearchColumn, SearchManager


class MemberKind(StrEnum):
    CLIENT = "CLIENT"
    STAFF = "STAFF"


class MemberStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class Member(SearchColumn, Model):
    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Account", related_name="memberships", on_delete=fields.RESTRICT
    )
    healthspace: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Healthspace", related_name="members", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(MemberKind, max_length=10)
    # Role names (staff only) and permissions granted one by one on top of the roles.
    roles = fields.JSONField(default=list)
    granted_permissions = fields.JSONField(default=list)
    status = fields.CharEnumField(MemberStatus, max_length=12, default=MemberStatus.ACTIVE)
    identification_number = fields.CharField(max_length=50, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    deactivated_at = fields.DatetimeField(null=True)
    # The identification number normalised for search (models.search), kept up to date on save.
    SEARCHED_FIELDS = ("identification_number",)
    search_text = fields.CharField(max_length=60, default="")

    class Meta:
        table = "member"
        manager = SearchManager()
        unique_together = (("account", "healthspace"),)
        # Member lists and counts of one Healthspace, by kind and status.
        indexes = (("healthspace_id", "kind", "status"),)
