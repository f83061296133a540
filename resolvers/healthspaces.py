"""Healthspaces: finding them, reading them, changing their settings and appearance."""

from __future__ import annotations

import strawberry
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.search import healthspace_search
from domain.validation import MAX_NAME_LENGTH, require_text
from permissions.audit import record_event
from permissions.guards import HasPermission, IsAuthenticated, guard
from permissions.objects import can_see_healthspace
from permissions.roles import Permission
from permissions.scopes import healthspace_argument, parse_id
from resolvers.mutations import returns_errors
from schema.healthspaces import Healthspace, HealthspacePayload, UpdateHealthspaceInput
from schema.pagination import Page, paginate
from schema.types import Info

MAX_TEXT_LENGTH = 5000
MAX_URL_LENGTH = 500


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[guard(IsAuthenticated())],
        description="A Healthspace I am a member of, or one that lets clients find it; null otherwise.",
    )
    async def healthspace(self, info: Info, id: strawberry.ID) -> Healthspace | None:
        healthspace_id = parse_id(id)
        row = await models.Healthspace.get_or_none(id=healthspace_id) if healthspace_id else None
        if row is None or not await can_see_healthspace(info.context.viewer, row):
            return None
        return Healthspace.from_row(row)

    @strawberry.field(
        extensions=[guard(IsAuthenticated())],
        description="My Healthspaces and those that let clients find them, by name.",
    )
    async def healthspaces(
        self,
        info: Info,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[Healthspace]:
        account = info.context.viewer.account
        assert account is not None
        mine = models.Member.filter(
            account_id=account.id, status=models.MemberStatus.ACTIVE
        ).values_list("healthspace_id", flat=True)
        query = models.Healthspace.filter(Q(findable=True) | Q(id__in=await mine))
        if search and search.strip():
            query = query.filter(healthspace_search(search))
        return await paginate(query.order_by("name", "id"), first, after, Healthspace.from_row)


def _apply_settings(row: models.Healthspace, input: UpdateHealthspaceInput) -> list[str]:
    changed: list[str] = []
    if input.name is not None:
        row.name = require_text(input.name, "name", max_length=MAX_NAME_LENGTH * 2, required=True)
        changed.append("name")
    for field in ("description", "welcome_text", "address", "opening_hours"):
        value = getattr(input, field)
        if value is not None:
            setattr(row, field, require_text(value, _camel(field), max_length=MAX_TEXT_LENGTH))
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


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[
            guard(HasPermission(Permission.MANAGE_HEALTHSPACE, scope=healthspace_argument()))
        ],
        description="Change a Healthspace's general settings and appearance.",
    )
    @returns_errors(HealthspacePayload)
    async def update_healthspace(
        self, info: Info, input: UpdateHealthspaceInput
    ) -> HealthspacePayload:
        healthspace_id = parse_id(input.healthspace_id)
        async with in_transaction():
            row = await models.Healthspace.select_for_update().get(id=healthspace_id)
            changed = _apply_settings(row, input)
            if changed:
                await row.save(update_fields=changed)
                actor = await info.context.viewer.member_of(row.id)
                await record_event(
                    info.context.viewer,
                    "HEALTHSPACE_UPDATED",
                    healthspace_id=row.id,
                    actor=actor,
                    subject_id=row.id,
                    details={"fields": changed},
                )
        return HealthspacePayload(healthspace=Healthspace.from_row(row))
