"""Join requests: a person asking to become a client of a Healthspace that lets clients find it,
the reviewers' decision (approve: a client membership and a mail; reject: a mail with the
reason), and the requester cancelling. One pending request per account and Healthspace."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.members import add_member
from domain.validation import MAX_NOTE_LENGTH, require_text
from mailer import messages, outbox
from permissions.audit import record_event
from permissions.viewer import Viewer


def pending_key(healthspace_id: uuid.UUID, account_id: uuid.UUID) -> str:
    """What makes one pending request per account and Healthspace unique."""
    return f"{healthspace_id}:{account_id}"


def of_healthspace(
    healthspace_id: uuid.UUID, status: models.JoinRequestStatus | None
) -> QuerySet[models.JoinRequest]:
    """A Healthspace's requests (with accounts): pending ones oldest first (a queue to work
    through), otherwise newest first."""
    query = models.JoinRequest.filter(healthspace_id=healthspace_id).select_related("account")
    if status is not None:
        query = query.filter(status=status)
    if status == models.JoinRequestStatus.PENDING:
        return query.order_by("created_at", "id")
    return query.order_by("-created_at", "-id")


def pending(healthspace_id: uuid.UUID) -> QuerySet[models.JoinRequest]:
    """The requests waiting for a decision, oldest first."""
    return of_healthspace(healthspace_id, models.JoinRequestStatus.PENDING)


def of_account(
    account_id: uuid.UUID,
    healthspace_id: uuid.UUID | None = None,
    status: models.JoinRequestStatus | None = None,
    *,
    any_healthspace: bool = True,
) -> QuerySet[models.JoinRequest]:
    """An account's own requests (with the account), newest first; one Healthspace's when
    `any_healthspace` is False (a malformed id given as None then matches nothing)."""
    query = models.JoinRequest.filter(account_id=account_id).select_related("account")
    if not any_healthspace:
        query = query.filter(healthspace_id=healthspace_id)
    if status is not None:
        query = query.filter(status=status)
    return query.order_by("-created_at", "-id")


async def request_to_join(
    viewer: Viewer, healthspace: models.Healthspace, message: str | None
) -> models.JoinRequest:
    """Ask to become a client: needs a verified email (EMAIL_NOT_VERIFIED); a member is
    ALREADY_MEMBER; a second pending request is ALREADY_REQUESTED (also under concurrency)."""
    account = viewer.account
    assert account is not None
    text = require_text(message, "message", max_length=MAX_NOTE_LENGTH, multiline=True)
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
                viewer, "JOIN_REQUESTED", healthspace_id=healthspace.id, subject_id=row.id
            )
    except IntegrityError:  # a concurrent request by the same account won
        raise already from None
    return row


async def _claim(
    request_id: uuid.UUID, status: models.JoinRequestStatus, **changes: Any
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
            ErrorCode.ALREADY_DECIDED, f"This request was {row.status.lower()} already.", ["id"]
        )
    return row


async def approve(
    viewer: Viewer, actor: models.Member, request: models.JoinRequest, *, link: str
) -> tuple[models.JoinRequest, models.Member]:
    """Approve a pending request: the person becomes a client (an identification number is
    generated) and is mailed `link` (their Healthspace's page). Returns the request and the new
    membership (its account loaded)."""
    async with in_transaction():
        row = await _claim(request.id, models.JoinRequestStatus.APPROVED, decided_by_id=actor.id)
        account: models.Account = row.account
        healthspace: models.Healthspace = row.healthspace
        member = await add_member(account, healthspace.id, models.MemberKind.CLIENT)
        await outbox.enqueue(
            messages.join_request_approved(
                to=account.email,
                language=account.language,
                first_name=account.first_name,
                healthspace=healthspace.name,
                link=link,
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
    return row, member


async def reject(
    viewer: Viewer, actor: models.Member, request: models.JoinRequest, reason: str | None
) -> models.JoinRequest:
    """Reject a pending request; the reason (at most 1,000 characters, may be empty) is mailed."""
    text = require_text(reason, "reason", max_length=MAX_NOTE_LENGTH, multiline=True)
    async with in_transaction():
        row = await _claim(
            request.id, models.JoinRequestStatus.REJECTED, decided_by_id=actor.id, reason=text
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
    return row


async def cancel(viewer: Viewer, request: models.JoinRequest) -> models.JoinRequest:
    """The requester withdraws their own pending request."""
    async with in_transaction():
        row = await _claim(request.id, models.JoinRequestStatus.CANCELLED)
        await record_event(
            viewer, "JOIN_REQUEST_CANCELLED", healthspace_id=row.healthspace.id, subject_id=row.id
        )
    return row
