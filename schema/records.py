"""The client record on the GraphQL surface: Record with its sections as pages, Assignment,
Note, VideoCall, the notification settings and API token types, and the payloads of the record
mutations. Every section read writes one access-log line (domain.records.audit_reads); the
response waits for those lines and fails without data if they could not be written
(AccessLogWritten)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import field as dataclass_field
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension

import models
from domain import records as record_rules
from domain.assignments import assignments, clients_with_submitted_assignments
from domain.notifications import NotificationKind, settings_of
from models import ApiTokenScope, AssignmentStatus
from permissions.objects import RecordAccess
from schema.errors import UserError
from schema.members import Member, visible_member
from schema.pagination import Page, paginate
from schema.task_sources import register_task_source
from schema.types import Info

Section = models.RecordSection
T = TypeVar("T")

# A submitted assignment waiting for review is a task for the client's connected staff.
register_task_source("SUBMITTED_ASSIGNMENT", clients_with_submitted_assignments)


async def _member(info: Info, member_id: uuid.UUID | None) -> Member | None:
    """A person named by a record row (planned by, reviewed by, author, in the call): shown
    exactly when `member(id:)` would show them, so a client sees no staff member they are not
    connected to and an integration's token sees nobody."""
    return await visible_member(info, member_id)


@strawberry.type(description="A treatment assignment (FHIR Task) in a client's record.")
class Assignment:
    id: strawberry.ID
    title: str
    instructions: str
    status: AssignmentStatus
    progress: int = strawberry.field(description="0 to 100, as the client recorded it.")
    available_from: dt.datetime | None = strawberry.field(
        description="The client sees the assignment from this moment on."
    )
    due_at: dt.datetime | None
    draft_answer: str = strawberry.field(description="The client's saved, unsubmitted answer.")
    answer: str | None
    submitted_at: dt.datetime | None
    feedback: str | None
    reviewed_at: dt.datetime | None
    created_at: dt.datetime
    row: strawberry.Private[models.Assignment]

    @classmethod
    def from_row(cls, row: models.Assignment) -> Assignment:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            instructions=row.instructions,
            status=row.status,
            progress=row.progress,
            available_from=row.available_from,
            due_at=row.due_at,
            draft_answer=row.draft_answer,
            answer=row.answer,
            submitted_at=row.submitted_at,
            feedback=row.feedback,
            reviewed_at=row.reviewed_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field
    async def planned_by(self, info: Info) -> Member | None:
        return await _member(info, self.row.planned_by_id)

    @strawberry.field
    async def reviewed_by(self, info: Info) -> Member | None:
        return await _member(info, self.row.reviewed_by_id)


@strawberry.type(description="A staff-only note; append-only, never changed or deleted.")
class Note:
    id: strawberry.ID
    body: str
    created_at: dt.datetime
    row: strawberry.Private[models.Note]

    @classmethod
    def from_row(cls, row: models.Note) -> Note:
        return cls(id=strawberry.ID(str(row.id)), body=row.body, created_at=row.created_at, row=row)

    @strawberry.field
    async def author(self, info: Info) -> Member | None:
        return await _member(info, self.row.author_id)


@strawberry.type(description="One video call (when, with whom, how long); never its content.")
class VideoCall:
    id: strawberry.ID
    started_at: dt.datetime
    duration_seconds: int
    row: strawberry.Private[models.VideoCall]

    @classmethod
    def from_row(cls, row: models.VideoCall) -> VideoCall:
        return cls(
            id=strawberry.ID(str(row.id)),
            started_at=row.started_at,
            duration_seconds=row.duration_seconds,
            row=row,
        )

    @strawberry.field
    def ended_at(self) -> dt.datetime:
        return self.row.started_at + dt.timedelta(seconds=self.row.duration_seconds)

    @strawberry.field(description="The staff member in the call.")
    async def staff(self, info: Info) -> Member | None:
        return await _member(info, self.row.staff_id)


@strawberry.type(
    description="A client's record in one Healthspace, open to the client (all but notes) and "
    "to staff with a current connection. Each section is a page; each section read is one line "
    "in the access log."
)
class Record:
    access: strawberry.Private[RecordAccess]
    # The sections of this record read in this request, each with its access-log write.
    reads: strawberry.Private[dict[Section, asyncio.Future[None]]] = dataclass_field(
        default_factory=dict
    )
    log: strawberry.Private[DataLoader[Section, None] | None] = None

    @classmethod
    def of(cls, access: RecordAccess) -> Record:
        return cls(access=access)

    async def _reading(self, info: Info, section: Section, read: Awaitable[T]) -> T:
        """`read` (the section's data), with the section's access-log line on its way."""
        self._log(info, section)
        return await read

    def _log(self, info: Info, section: Section) -> None:
        """Start the access-log line for reading `section` (once per section per request).
        The sections of one page resolve side by side, so their lines are gathered into one
        INSERT (a loader batch), which runs while the page is put together; the response
        waits for it, and if it fails the request fails without data (AccessLogWritten)."""
        if self.log is None:

            async def write(sections: list[Section]) -> list[None]:
                await record_rules.audit_reads(info.context.viewer, self.access, sections)
                return [None] * len(sections)

            self.log = DataLoader(write, cache=False)
        if section not in self.reads:
            self.reads[section] = asyncio.ensure_future(self.log.load(section))
            info.context.audit_writes.append(self.reads[section])

    @strawberry.field(
        description="Client data: names, date of birth, identification number, "
        "email, member since (createdAt)."
    )
    async def client(self, info: Info) -> Member:
        self._log(info, Section.CLIENT)
        info.context.loaders.prime_members([self.access.client])
        return Member.from_row(self.access.client)

    @strawberry.field(description="The clinicians connected to the client now (client data).")
    async def connected_clinicians(self, info: Info) -> list[Member]:
        rows = await self._reading(
            info, Section.CLIENT, record_rules.connected_clinicians(self.access)
        )
        # Not primed into the member loader: the sections resolve side by side, so whether
        # they would find them there would depend on timing; they load in one batch instead.
        return [Member.from_row(row) for row in rows]

    @strawberry.field(
        description="Open assignments first (with progress), then finished ones, newest "
        "submission first. The client does not see an assignment before its availableFrom."
    )
    async def assignments(
        self,
        info: Info,
        status: AssignmentStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[Assignment]:
        read = paginate(assignments(self.access, status), first, after, Assignment.from_row)
        return await self._reading(info, Section.ASSIGNMENTS, read)

    @strawberry.field(description="Staff-only notes, newest first; always empty for the client.")
    async def notes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[Note]:
        read = paginate(record_rules.notes(self.access), first, after, Note.from_row)
        return await self._reading(info, Section.NOTES, read)

    @strawberry.field(description="The log of video calls, newest first.")
    async def video_calls(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[VideoCall]:
        read = paginate(record_rules.video_calls(self.access), first, after, VideoCall.from_row)
        return await self._reading(info, Section.VIDEO_CALLS, read)


class AccessLogWritten(SchemaExtension):
    """No record data leaves before its access-log lines are written (NEN 7513; issue 11): at
    the end of each operation, wait for the request's pending section writes; if any failed,
    the whole request fails with no data (the error is masked and logged like any fault)."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        writes = getattr(context, "audit_writes", None)
        if not writes:
            return
        outcomes = await asyncio.gather(*writes, return_exceptions=True)
        writes.clear()
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        result = self.execution_context.result
        if failures and result is not None:
            result.data = None
            first = failures[0]
            result.errors = [
                GraphQLError(
                    "The access log could not be written.",
                    original_error=first if isinstance(first, Exception) else None,
                )
            ]


@strawberry.type(description="Which emails I get; every kind is on unless switched off.")
class NotificationSettings:
    assignment_planned: bool = strawberry.field(description="A clinician planned an assignment.")
    assignment_feedback: bool = strawberry.field(description="A clinician gave feedback.")
    assignment_submitted: bool = strawberry.field(description="My client submitted one (staff).")

    @classmethod
    def of(cls, account: models.Account) -> NotificationSettings:
        on = settings_of(account)
        return cls(
            assignment_planned=on[NotificationKind.ASSIGNMENT_PLANNED],
            assignment_feedback=on[NotificationKind.ASSIGNMENT_FEEDBACK],
            assignment_submitted=on[NotificationKind.ASSIGNMENT_SUBMITTED],
        )


@strawberry.input
class NotificationSettingsInput:
    assignment_planned: bool | None = None
    assignment_feedback: bool | None = None
    assignment_submitted: bool | None = None

    def changes(self) -> dict[NotificationKind, bool]:
        given = {
            NotificationKind.ASSIGNMENT_PLANNED: self.assignment_planned,
            NotificationKind.ASSIGNMENT_FEEDBACK: self.assignment_feedback,
            NotificationKind.ASSIGNMENT_SUBMITTED: self.assignment_submitted,
        }
        return {kind: on for kind, on in given.items() if on is not None}


@strawberry.type(description="An integration's token of a Healthspace (the token is shown once).")
class ApiToken:
    id: strawberry.ID
    name: str
    scope: ApiTokenScope
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: models.ApiToken) -> ApiToken:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            scope=row.scope,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.input
class PlanAssignmentInput:
    client_id: strawberry.ID
    title: str
    instructions: str | None = None
    available_from: dt.datetime | None = None
    due_at: dt.datetime | None = None


@strawberry.input
class LogVideoCallInput:
    client_id: strawberry.ID
    started_at: dt.datetime
    duration_seconds: int
    staff_id: strawberry.ID | None = strawberry.field(
        default=None, description="For integrations: the staff member in the call."
    )


@strawberry.input
class CreateApiTokenInput:
    healthspace_id: strawberry.ID
    name: str
    scope: ApiTokenScope


@strawberry.type
class NotePayload:
    note: Note | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AssignmentPayload:
    assignment: Assignment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class VideoCallPayload:
    video_call: VideoCall | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationSettingsPayload:
    notification_settings: NotificationSettings | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiTokenPayload:
    api_token: ApiToken | None = None
    token: str | None = strawberry.field(default=None, description="Shown this once only.")
    errors: list[UserError] = strawberry.field(default_factory=list)
