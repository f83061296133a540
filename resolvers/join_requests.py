"""Join requests: a signed-in person asks to become a client of a Healthspace that lets clients
find it; staff with REVIEW_JOIN_REQUESTS approve or reject; the requester may cancel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import strawberry
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.members import add_member
from domain.validation import MAX_NOTE_LENGTH, require_text
from mailer import messages, outbox
from permissions.audit import record_event
from permissions.guards import (
    CanFindHealthspace,
    HasPermission,
    IsAuthenticated,
    IsRequester,
    found,
    guard,
)
from permissions.roles import Permission
from permissions.scopes import healthspace_argument, healthspace_of, parse_id
from resolvers.mutations import returns_errors
from schema.enums import JoinRequestStatus
from schema.join_requests import JoinRequest, JoinRequestPayload
from schema.members import Member
from schema.pagination import Page, paginate
from schema.types import Info

request_scope = healthspace_of(models.JoinRequest, "id")


def pending_key(healthspace_id: uuid.UUID, account_id: uuid.UUID) -> str:
    """What makes one pending request per account and Healthspace unique."""
    return f"{healthspace_id}:{account_id}"


async def _claim(
    request_id: object, status: models.JoinRequestStatus, **changes: Any
) -> models.JoinRequest:
    """Move a pending request to `status` (inside a transaction). The conditional UPDATE lets
    exactly one of two concurrent decisions win; the other is ALREADY_DECIDED."""
    now = datetime.now(UTC)
    claimed = await models.JoinRequest.filter(
        id=request_id, status=models.JoinRequestStatus.PENDING
    ).update(status=status, decided_at=now, pending_key=None, **changes)
    row = await models.JoinRequest.get(id=request_id).select_related("account", "healthspace")
    if not claimed:
        if row.status == models.JoinRequestStatus.CANCELLED:
            raise DomainError(
                ErrorCode.NOT_PENDING,
                "This request is closed: the person cancelled it or joined meanwhile.",
                ["id"],
            )
        raise DomainError(
            ErrorCode.ALREADY_DECIDED,
            f"This request was {row.status.lower()} already.",
            ["id"],
        )
    return row


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[guard(IsAuthenticated())],
        description="My own join requests, newest first (optionally one Healthspace's).",
    )
    async def my_join_requests(
        self,
        info: Info,
        healthspace_id: strawberry.ID | None = None,
        status: JoinRequestStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[JoinRequest]:
        account = info.context.viewer.account
        assert account is not None
        query = models.JoinRequest.filter(account_id=account.id)
        if healthspace_id is not None:
            query = query.filter(healthspace_id=parse_id(healthspace_id))
        if status is not None:
            query = query.filter(status=status)
        return await paginate(
            query.order_by("-created_at", "-id"), first, after, JoinRequest.from_row
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(CanFindHealthspace(healthspace_argument()))],
        description="Ask to become a client of a Healthspace that lets clients find it. Needs a "
        "verified email address; one pending request per account and Healthspace.",
    )
    @returns_errors(JoinRequestPayload)
    async def request_to_join(
        self, info: Info, healthspace_id: strawberry.ID, message: str | None = None
    ) -> JoinRequestPayload:
        viewer = info.context.viewer
        account = viewer.account
        assert account is not None
        healthspace: models.Healthspace = found(info).target
        text = require_text(message, "message", max_length=MAX_NOTE_LENGTH)
        if not account.email_verified:
            raise DomainError(
                ErrorCode.EMAIL_NOT_VERIFIED,
                "Confirm your email address first (see the mail we sent you), then ask again.",
            )
        if await viewer.member_of(healthspace.id) is not None:
            raise DomainError(
                ErrorCode.ALREADY_MEMBER, f"You are a member of {healthspace.name} already."
            )
        already = DomainError(
            ErrorCode.ALREADY_REQUESTED,
            f"You asked to join {healthspace.name} already; they will let you know.",
        )
        key = pending_key(healthspace.id, account.id)
        if await models.JoinRequest.exists(pending_key=key):
            raise already
        try:
            async with in_transaction():
                row = await models.JoinRequest.create(
                    healthspace=healthspace, account=account, message=text, pending_key=key
                )
                await record_event(
                    viewer,
                    "JOIN_REQUESTED",
                    healthspace_id=healthspace.id,
                    subject_id=row.id,
                )
        except IntegrityError:  # a concurrent request by the same account won
            raise already from None
        return JoinRequestPayload(join_request=JoinRequest.from_row(row))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.REVIEW_JOIN_REQUESTS, scope=request_scope))],
        description="Approve a pending request: the person becomes a client (an identification "
        "number is generated) and gets a confirmation mail.",
    )
    @returns_errors(JoinRequestPayload)
    async def approve_join_request(self, info: Info, id: strawberry.ID) -> JoinRequestPayload:
        viewer = info.context.viewer
        actor = found(info).member
        async with in_transaction():
            row = await _claim(
                parse_id(id),
                models.JoinRequestStatus.APPROVED,
                decided_by_id=actor.id,  # type: ignore[union-attr]
            )
            account: models.Account = row.account
            healthspace: models.Healthspace = row.healthspace
            member = await add_member(account, healthspace.id, models.MemberKind.CLIENT)
            await outbox.enqueue(
                messages.join_request_approved(
                    to=account.email,
                    language=account.language,
                    first_name=account.first_name,
                    healthspace=healthspace.name,
                    link=info.context.settings.link(f"/healthspaces/{healthspace.id}"),
                )
            )
            await record_event(
                viewer,
                "JOIN_REQUEST_APPROVED",
                healthspace_id=healthspace.id,
                actor=actor,
                client_member_id=member.id,
                subject_id=row.id,
                details={"account_id": str(account.id)},
            )
        member.account = account
        return JoinRequestPayload(
            join_request=JoinRequest.from_row(row), member=Member.from_row(member)
        )

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.REVIEW_JOIN_REQUESTS, scope=request_scope))],
        description="Reject a pending request, optionally with a reason (at most 1,000 "
        "characters) that is included in the mail to the person.",
    )
    @returns_errors(JoinRequestPayload)
    async def reject_join_request(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> JoinRequestPayload:
        viewer = info.context.viewer
        text = require_text(reason, "reason", max_length=MAX_NOTE_LENGTH)
        actor = found(info).member
        async with in_transaction():
            row = await _claim(
                parse_id(id),
                models.JoinRequestStatus.REJECTED,
                decided_by_id=actor.id,  # type: ignore[union-attr]
                reason=text,
            )
            account: models.Account = row.account
            await outbox.enqueue(
                messages.join_request_rejected(
                    to=account.email,
                    language=account.language,
                    first_name=account.first_name,
                    healthspace=row.healthspace.name,
                    reason=text,
                )
            )
            await record_event(
                viewer,
                "JOIN_REQUEST_REJECTED",
                healthspace_id=row.healthspace.id,
                actor=actor,
                subject_id=row.id,
                details={"account_id": str(account.id), "reason_given": bool(text)},
            )
        return JoinRequestPayload(join_request=JoinRequest.from_row(row))

    @strawberry.mutation(
        extensions=[guard(IsRequester())],
        description="Withdraw my own pending join request.",
    )
    @returns_errors(JoinRequestPayload)
    async def cancel_join_request(self, info: Info, id: strawberry.ID) -> JoinRequestPayload:
        viewer = info.context.viewer
        async with in_transaction():
            row = await _claim(parse_id(id), models.JoinRequestStatus.CANCELLED)
            await record_event(
                viewer,
                "JOIN_REQUEST_CANCELLED",
                healthspace_id=row.healthspace.id,
                subject_id=row.id,
            )
        return JoinRequestPayload(join_request=JoinRequest.from_row(row))
