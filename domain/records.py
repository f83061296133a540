"""The client record: reading its sections, notes and video calls, and the access log lines
every look at it and every change of it leaves (issue 11; DESIGN §1 "Record", §2).

Every function here takes a `RecordAccess`, which only `permissions.objects.record_access`
makes: holding one means the access decision was taken for this request. Assignments live in
`domain.assignments`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.validation import require_text
from permissions.audit import audit_event, record_event, record_events
from permissions.objects import RecordAccess, RecordRole
from permissions.roles import is_active_clinician
from permissions.scopes import parse_id
from permissions.viewer import Viewer

Section = models.RecordSection

# Audit actions of the record (the client's access log shows those starting with RECORD_).
READ = "RECORD_READ"
CREATE = "RECORD_CREATE"
UPDATE = "RECORD_UPDATE"
DENIED = "RECORD_DENIED"

MAX_NOTE_LENGTH = 20_000
# A call longer than a day is a clock or integration error, not a conversation.
MAX_CALL_SECONDS = 24 * 60 * 60
# How far a call's start may lie ahead of our clock (an integration's clock drifting).
CLOCK_SKEW = timedelta(minutes=5)


def _actor_fields(access: RecordAccess) -> dict[str, Any]:
    details: dict[str, Any] = {"as": access.role.value}
    if access.api_token is not None:
        details["api_token_id"] = str(access.api_token.id)
    return {
        "healthspace_id": access.healthspace_id,
        "actor": access.member,
        "client_member_id": access.client.id,
        "details": details,
    }


async def audit(
    viewer: Viewer,
    access: RecordAccess,
    action: str,
    section: Section,
    *,
    subject_id: uuid.UUID | None = None,
    outcome: models.AuditOutcome = models.AuditOutcome.SUCCESS,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one access-log line for this record (NEN 7513: who, which client, which section,
    what, when, from where, outcome). A failure to write raises: the caller's request fails and
    returns no record data."""
    fields = _actor_fields(access)
    fields["details"] |= details or {}
    await record_event(
        viewer, action, section=section.value, subject_id=subject_id, outcome=outcome, **fields
    )


async def audit_reads(viewer: Viewer, access: RecordAccess, sections: Sequence[Section]) -> None:
    """The access-log lines for reading `sections` of the record, one per section (not one per
    row), written in one statement. A section the viewer may not read (a client asking for the
    notes) is a RECORD_DENIED line instead. Raises when the write fails: no data may leave."""
    lines = []
    for section in sections:
        allowed = access.may_read(section)
        fields = _actor_fields(access)
        lines.append(
            audit_event(
                viewer,
                READ if allowed else DENIED,
                section=section.value,
                outcome=models.AuditOutcome.SUCCESS if allowed else models.AuditOutcome.DENIED,
                **fields,
            )
        )
    await record_events(lines)


@contextlib.asynccontextmanager
async def audited_change(
    viewer: Viewer, access: RecordAccess, section: Section, what: str
) -> AsyncIterator[None]:
    """Run one change of the record in a transaction. When a rule refuses it (DomainError),
    everything written is rolled back and the refusal is written to the access log afterwards,
    with its code; then the error goes on to the caller."""
    try:
        async with in_transaction():
            yield
    except DomainError as refused:
        await audit(
            viewer,
            access,
            DENIED,
            section,
            outcome=models.AuditOutcome.DENIED,
            details={"change": what, "codes": [p.code.value for p in refused.problems]},
        )
        raise


@overload
def as_utc(moment: datetime, field: Sequence[str]) -> datetime: ...
@overload
def as_utc(moment: None, field: Sequence[str]) -> None: ...
def as_utc(moment: datetime | None, field: Sequence[str]) -> datetime | None:
    """`moment` in UTC; one given without a time zone is read as UTC (DESIGN §3 asks clients
    for one). Raises DomainError INVALID on `field` for a moment that has no UTC form (the
    first or last hours of the calendar given with an offset), which no database can store."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise DomainError(ErrorCode.INVALID, "This is not a possible time.", list(field)) from None


def require_staff(access: RecordAccess, message: str) -> models.Member:
    """The acting staff member; FORBIDDEN for the client or an integration."""
    if access.role != RecordRole.STAFF or access.member is None:
        raise DomainError(ErrorCode.FORBIDDEN, message)
    return access.member


# --- client data -------------------------------------------------------------------------------


async def connected_clinicians(access: RecordAccess) -> list[models.Member]:
    """The active clinicians with a current connection to the client, by surname (with
    account)."""
    rows = await models.Member.filter(
        id__in=Subquery(models.current_connections(client_id=access.client.id).values("staff_id")),
        status=models.MemberStatus.ACTIVE,
    ).select_related("account")
    clinicians = [row for row in rows if is_active_clinician(row)]
    return sorted(clinicians, key=lambda m: (m.account.last_name.lower(), m.account.first_name))


# --- notes -------------------------------------------------------------------------------------


def notes(access: RecordAccess) -> QuerySet[models.Note]:
    """The client's notes, newest first; for staff only (the client never sees them)."""
    if not access.may_read(Section.NOTES):
        return models.Note.filter(id__in=[])
    return models.Note.filter(client_id=access.client.id).order_by("-created_at", "-id")


async def add_note(viewer: Viewer, access: RecordAccess, body: str) -> models.Note:
    """Append a note to the record (connected staff only; notes are never changed or deleted).
    Raises DomainError: FORBIDDEN for the client, REQUIRED for an empty body,
    INVALID_CHARACTERS for a control character other than a line break, TOO_LONG over
    MAX_NOTE_LENGTH characters. The refusal is in the access log."""
    async with audited_change(viewer, access, Section.NOTES, "addNote"):
        author = require_staff(access, "Only connected staff add notes.")
        text = require_text(
            body, ["body"], max_length=MAX_NOTE_LENGTH, required=True, multiline=True
        )
        note = await models.Note.create(
            healthspace_id=access.healthspace_id, client=access.client, author=author, body=text
        )
        await audit(viewer, access, CREATE, Section.NOTES, subject_id=note.id)
    return note


# --- video calls -------------------------------------------------------------------------------


def video_calls(access: RecordAccess) -> QuerySet[models.VideoCall]:
    """The client's video calls, newest first."""
    return models.VideoCall.filter(client_id=access.client.id).order_by("-started_at", "-id")


async def log_video_call(
    viewer: Viewer,
    access: RecordAccess,
    started_at: datetime,
    duration_seconds: int,
    staff_id: str | uuid.UUID | None = None,
) -> models.VideoCall:
    """Log one call (never its content). Connected staff log their own calls; an integration
    names the staff member with `staff_id` (optional; a staff member of this Healthspace).
    Raises DomainError: FORBIDDEN for the client, INVALID for a duration not in
    1..MAX_CALL_SECONDS, IN_THE_FUTURE for a start ahead of now, NOT_FOUND for an unknown
    `staff_id`. The refusal is in the access log."""
    async with audited_change(viewer, access, Section.VIDEO_CALLS, "logVideoCall"):
        if access.role == RecordRole.CLIENT:
            raise DomainError(ErrorCode.FORBIDDEN, "Clients do not log video calls.")
        if not 0 < duration_seconds <= MAX_CALL_SECONDS:
            raise DomainError(
                ErrorCode.INVALID,
                f"The duration is a number of seconds from 1 to {MAX_CALL_SECONDS}.",
                ["input", "durationSeconds"],
            )
        started_at = as_utc(started_at, ["input", "startedAt"])
        if started_at > datetime.now(UTC) + CLOCK_SKEW:
            raise DomainError(
                ErrorCode.IN_THE_FUTURE,
                "A call is logged after it took place.",
                ["input", "startedAt"],
            )
        staff = access.member
        if access.role == RecordRole.INTEGRATION and staff_id is not None:
            parsed = parse_id(staff_id)
            staff = (
                await models.Member.get_or_none(
                    id=parsed, healthspace_id=access.healthspace_id, kind=models.MemberKind.STAFF
                )
                if parsed
                else None
            )
            if staff is None:
                raise DomainError(
                    ErrorCode.NOT_FOUND, "No such staff member here.", ["input", "staffId"]
                )
        call = await models.VideoCall.create(
            healthspace_id=access.healthspace_id,
            client=access.client,
            staff=staff,
            started_at=started_at,
            duration_seconds=duration_seconds,
            logged_by=access.member,
            api_token=access.api_token,
        )
        await audit(viewer, access, CREATE, Section.VIDEO_CALLS, subject_id=call.id)
    return call
