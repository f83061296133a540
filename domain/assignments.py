"""Assignments in a client's record (FHIR Task): planned by connected staff, made and submitted
by the client, reviewed by staff with feedback (issue 11; seed 002 "Assignments", seed 003
"Dashboard").

The states run one way, enforced here and nowhere else:
PLANNED -> IN_PROGRESS -> SUBMITTED -> REVIEWED. The client records progress and submits;
staff plan and review; feedback only on a submitted assignment; a reviewed one is closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from tortoise.expressions import Case, Q, When
from tortoise.queryset import QuerySet

import models
from domain.errors import DomainError, ErrorCode, Problem
from domain.notifications import NotificationKind, notify
from domain.people import display_name, member_name
from domain.records import (
    CREATE,
    UPDATE,
    Section,
    as_utc,
    audit,
    audited_change,
    connected_clinicians,
    require_staff,
)
from domain.validation import require_text
from mailer.messages import compose
from models.columns import column_values
from permissions.objects import RecordAccess, RecordRole
from permissions.viewer import Viewer

Status = models.AssignmentStatus
OPEN = (Status.PLANNED, Status.IN_PROGRESS)
FINISHED = (Status.SUBMITTED, Status.REVIEWED)

MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 50_000


def assignments(
    access: RecordAccess, status: Status | None = None, *, now: datetime | None = None
) -> QuerySet[models.Assignment]:
    """The record's assignments: open ones first (soonest due, then oldest planned), then
    finished ones newest submission first. The client does not see one before its
    `available_from`."""
    query = models.Assignment.filter(client_id=access.client.id)
    if status is not None:
        query = query.filter(status=status)
    if access.role != RecordRole.STAFF:
        query = query.filter(
            Q(available_from__isnull=True) | Q(available_from__lte=now or datetime.now(UTC))
        )
    return query.annotate(
        finished=Case(When(submitted_at__isnull=True, then="0"), default="1")
    ).order_by("finished", "-submitted_at", "due_at", "created_at", "id")


async def _assignment(access: RecordAccess, assignment_id: uuid.UUID | None) -> models.Assignment:
    """The assignment, locked for this change; NOT_FOUND when it is not in this record, not yet
    available to the client, or the id is malformed (None)."""
    row = (
        await assignments(access).filter(id=assignment_id).select_for_update().first()
        if assignment_id is not None
        else None
    )
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such assignment.", ["id"])
    return row


def _text(
    value: str | None, field: list[str], *, required: bool, maximum: int, multiline: bool = True
) -> str:
    """The text checked as `require_text` checks all user text (issue 7, item 10): a title is
    one line, instructions, answers and feedback may hold line breaks; no control characters."""
    return require_text(value, field, max_length=maximum, required=required, multiline=multiline)


async def plan(
    viewer: Viewer,
    access: RecordAccess,
    *,
    title: str,
    instructions: str | None,
    available_from: datetime | None,
    due_at: datetime | None,
) -> models.Assignment:
    """Plan an assignment (connected staff). The client is mailed (ASSIGNMENT_PLANNED), not
    before it is available. Raises DomainError: FORBIDDEN for anyone but connected staff;
    REQUIRED / TOO_LONG for the title or instructions; INVALID for a due date before the
    assignment is available (several problems at once)."""
    async with audited_change(viewer, access, Section.ASSIGNMENTS, "planAssignment"):
        staff = require_staff(access, "Only connected staff plan assignments.")
        available_from = as_utc(available_from, ["input", "availableFrom"])
        due_at = as_utc(due_at, ["input", "dueAt"])
        problems: list[Problem] = []
        texts = {}
        for name, value, required, maximum in (
            ("title", title, True, MAX_TITLE_LENGTH),
            ("instructions", instructions, False, MAX_TEXT_LENGTH),
        ):
            try:
                texts[name] = _text(
                    value,
                    ["input", name],
                    required=required,
                    maximum=maximum,
                    multiline=name != "title",
                )
            except DomainError as error:
                problems += error.problems
        if available_from and due_at and due_at < available_from:
            problems.append(
                Problem(
                    ("input", "dueAt"),
                    ErrorCode.INVALID,
                    "The due date lies before the assignment becomes available.",
                )
            )
        if problems:
            raise DomainError.of(problems)
        row = await models.Assignment.create(
            healthspace_id=access.healthspace_id,
            client=access.client,
            title=texts["title"],
            instructions=texts["instructions"],
            available_from=available_from,
            due_at=due_at,
            planned_by=staff,
        )
        await audit(viewer, access, CREATE, Section.ASSIGNMENTS, subject_id=row.id)
        await _mail_client(access, staff, row, "assignment_planned", available_from)
    return row


async def update_progress(
    viewer: Viewer,
    access: RecordAccess,
    assignment_id: uuid.UUID | None,
    progress: int,
    draft_answer: str | None,
) -> models.Assignment:
    """The client records progress (0-100) and optionally saves a draft answer; a PLANNED
    assignment becomes IN_PROGRESS. Raises DomainError: FORBIDDEN for staff, NOT_FOUND,
    INVALID for progress outside 0-100, INVALID_STATE once submitted, TOO_LONG."""
    async with audited_change(viewer, access, Section.ASSIGNMENTS, "updateAssignmentProgress"):
        _require_client(access, "Only the client works on an assignment.")
        row = await _assignment(access, assignment_id)
        if not 0 <= progress <= 100:
            raise DomainError(ErrorCode.INVALID, "Progress is 0 to 100.", ["progress"])
        _require_open(row)
        row.progress = progress
        if draft_answer is not None:
            row.draft_answer = _text(
                draft_answer, ["draftAnswer"], required=False, maximum=MAX_TEXT_LENGTH
            )
        row.status = Status.IN_PROGRESS
        await row.save()
        await audit(viewer, access, UPDATE, Section.ASSIGNMENTS, subject_id=row.id)
    return row


async def submit(
    viewer: Viewer, access: RecordAccess, assignment_id: uuid.UUID | None, answer: str
) -> models.Assignment:
    """The client submits their answer: SUBMITTED, progress 100. The connected clinicians are
    mailed (ASSIGNMENT_SUBMITTED) and it becomes their task. Raises DomainError: FORBIDDEN for
    staff (nobody submits for the client), NOT_FOUND, REQUIRED / TOO_LONG for the answer,
    INVALID_STATE when already submitted or reviewed."""
    async with audited_change(viewer, access, Section.ASSIGNMENTS, "submitAssignment"):
        _require_client(access, "Only the client submits an assignment.")
        row = await _assignment(access, assignment_id)
        text = _text(answer, ["answer"], required=True, maximum=MAX_TEXT_LENGTH)
        _require_open(row)
        row.status = Status.SUBMITTED
        row.answer = text
        row.progress = 100
        row.submitted_at = datetime.now(UTC)
        await row.save()
        await audit(viewer, access, UPDATE, Section.ASSIGNMENTS, subject_id=row.id)
        await _mail_staff(access, row)
    return row


async def review(
    viewer: Viewer, access: RecordAccess, assignment_id: uuid.UUID | None, feedback: str
) -> models.Assignment:
    """Connected staff give written feedback on a SUBMITTED assignment: REVIEWED, closed. The
    client is mailed (ASSIGNMENT_FEEDBACK). Raises DomainError: FORBIDDEN for the client,
    NOT_FOUND, REQUIRED / TOO_LONG for the feedback, INVALID_STATE unless SUBMITTED."""
    async with audited_change(viewer, access, Section.ASSIGNMENTS, "reviewAssignment"):
        staff = require_staff(access, "Only connected staff review an assignment.")
        row = await _assignment(access, assignment_id)
        text = _text(feedback, ["feedback"], required=True, maximum=MAX_TEXT_LENGTH)
        if row.status != Status.SUBMITTED:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                "Feedback goes on a submitted assignment; this one is "
                f"{row.status.value.lower().replace('_', ' ')}.",
                ["id"],
            )
        row.status = Status.REVIEWED
        row.feedback = text
        row.reviewed_at = datetime.now(UTC)
        row.reviewed_by = staff
        await row.save()
        await audit(viewer, access, UPDATE, Section.ASSIGNMENTS, subject_id=row.id)
        await _mail_client(access, staff, row, "assignment_feedback", None)
    return row


def _require_client(access: RecordAccess, message: str) -> None:
    if access.role != RecordRole.CLIENT:
        raise DomainError(ErrorCode.FORBIDDEN, message)


def _require_open(row: models.Assignment) -> None:
    if row.status not in OPEN:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "This assignment was submitted already and can no longer be changed.",
            ["id"],
        )


async def _mail_client(
    access: RecordAccess,
    staff: models.Member,
    row: models.Assignment,
    template: str,
    not_before: datetime | None,
) -> None:
    account = access.client.account
    healthspace = await models.Healthspace.get(id=access.healthspace_id)
    kind = (
        NotificationKind.ASSIGNMENT_PLANNED
        if template == "assignment_planned"
        else NotificationKind.ASSIGNMENT_FEEDBACK
    )
    await staff.fetch_related("account")
    message = compose(
        template,
        account.language,
        account.email,
        first_name=account.first_name,
        staff_name=member_name(staff),
        healthspace=healthspace.name,
        title=row.title,
    )
    await notify(account, kind, message, not_before=not_before)


async def _mail_staff(access: RecordAccess, row: models.Assignment) -> None:
    healthspace = await models.Healthspace.get(id=access.healthspace_id)
    for staff in await connected_clinicians(access):
        account = staff.account
        message = compose(
            "assignment_submitted",
            account.language,
            account.email,
            first_name=account.first_name,
            client_name=display_name(access.client.account),
            healthspace=healthspace.name,
            title=row.title,
        )
        await notify(account, NotificationKind.ASSIGNMENT_SUBMITTED, message)


async def clients_with_submitted_assignments(
    healthspace_id: uuid.UUID, staff_member_id: uuid.UUID, client_ids: Sequence[uuid.UUID]
) -> Collection[uuid.UUID]:
    """Task source: the clients among `client_ids` with an assignment waiting for review (one
    query). A reviewed assignment is no task for anyone any more."""
    rows = await column_values(
        models.Assignment.filter(
            healthspace_id=healthspace_id, client_id__in=list(client_ids), status=Status.SUBMITTED
        ),
        "client_id",
        uuid.UUID,
    )
    return set(rows)
