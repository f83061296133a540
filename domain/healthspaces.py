"""Healthspaces: which ones a viewer may see or find, and changing a Healthspace's settings and
appearance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.search import healthspace_search
from domain.validation import MAX_NAME_LENGTH, require_text
from permissions.audit import record_event
from permissions.objects import can_see_healthspace
from permissions.viewer import Viewer

MAX_TEXT_LENGTH = 5000
MAX_URL_LENGTH = 500


async def find_visible(
    viewer: Viewer, healthspace_id: uuid.UUID | None
) -> models.Healthspace | None:
    """The Healthspace when the viewer is a member or it lets clients find it; None otherwise,
    as for an unknown id. A member's Healthspace is the row read with the viewer's memberships
    (no statement of its own)."""
    if healthspace_id is None:
        return None
    mine = await viewer.member_of(healthspace_id)
    row = (
        mine.healthspace
        if mine is not None
        else await models.Healthspace.get_or_none(id=healthspace_id)
    )
    if row is None or not await can_see_healthspace(viewer, row):
        return None
    return row


async def mine_and_findable(viewer: Viewer, search: str | None) -> QuerySet[models.Healthspace]:
    """The viewer's Healthspaces and those that let clients find them, by name; `search`
    matches the name whatever its case and accents."""
    account = viewer.account
    assert account is not None
    mine = models.Member.filter(
        account_id=account.id, status=models.MemberStatus.ACTIVE
    ).values_list("healthspace_id", flat=True)
    query = models.Healthspace.filter(Q(findable=True) | Q(id__in=await mine))
    if search and search.strip():
        query = query.filter(healthspace_search(search))
    return query.order_by("name", "id")


@dataclass(frozen=True)
class HealthspaceChanges:
    """What `updateHealthspace` may change; None leaves a setting as it is."""

    name: str | None = None
    description: str | None = None
    welcome_text: str | None = None
    address: str | None = None
    opening_hours: str | None = None
    logo_url: str | None = None
    background_url: str | None = None
    reminder_days: list[int] | None = None
    invitation_lifetime_days: int | None = None
    findable: bool | None = None


def _apply(row: models.Healthspace, input: HealthspaceChanges) -> list[str]:
    changed: list[str] = []
    if input.name is not None:
        row.name = require_text(input.name, "name", max_length=MAX_NAME_LENGTH * 2, required=True)
        changed.append("name")
    for field in ("description", "welcome_text", "address", "opening_hours"):
        value = getattr(input, field)
        if value is not None:
            setattr(
                row,
                field,
                require_text(value, _camel(field), max_length=MAX_TEXT_LENGTH, multiline=True),
            )
            changed.append(field)
    for field in ("logo_url", "background_url"):
        value = getattr(input, field)
        if value is not None:
            url = require_text(value, _camel(field), max_length=MAX_URL_LENGTH)
            if url and not url.startswith(("https://", "http://")):
                raise DomainError(
                    ErrorCode.INVALID, "Use an http(s) address for images.", [_camel(field)]
                )
            setattr(row, field, url or None)
            changed.append(field)
    if input.reminder_days is not None:
        days = sorted(set(input.reminder_days))
        if len(days) > 5 or any(day < 1 or day > 365 for day in days):
            raise DomainError(
                ErrorCode.INVALID,
                "Reminder days are up to five whole days between 1 and 365.",
                ["reminderDays"],
            )
        row.reminder_days = days
        changed.append("reminder_days")
    if input.invitation_lifetime_days is not None:
        if not 1 <= input.invitation_lifetime_days <= 365:
            raise DomainError(
                ErrorCode.INVALID,
                "An invitation lives between 1 and 365 days.",
                ["invitationLifetimeDays"],
            )
        row.invitation_lifetime_days = input.invitation_lifetime_days
        changed.append("invitation_lifetime_days")
    if input.findable is not None:
        row.findable = input.findable
        changed.append("findable")
    return changed


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def update(
    viewer: Viewer,
    actor: models.Member | None,
    healthspace_id: uuid.UUID,
    changes: HealthspaceChanges,
) -> models.Healthspace:
    """Apply the changes (REQUIRED / TOO_LONG / INVALID for bad values, nothing written then)
    and audit which settings changed."""
    async with in_transaction():
        row = await models.Healthspace.select_for_update().get(id=healthspace_id)
        changed = _apply(row, changes)
        if changed:
            await row.save(update_fields=changed)
            await record_event(
                viewer,
                "HEALTHSPACE_UPDATED",
                healthspace_id=row.id,
                actor=actor,
                subject_id=row.id,
                details={"fields": changed},
            )
    return row
