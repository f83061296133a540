"""Root fields of the client record: `record(clientId)`, and the record mutations (addNote,
planAssignment, updateAssignmentProgress, submitAssignment, reviewAssignment, logVideoCall),
plus notification settings and Healthspace API tokens. Each: the guard, one domain call, the
payload."""

from __future__ import annotations

import strawberry
from strawberry.permission import PermissionExtension

import models
from domain import assignments as assignment_rules
from domain import records as record_rules
from domain.api_tokens import create_api_token, revoke_api_token
from domain.errors import DomainError, ErrorCode
from domain.notifications import update_settings
from permissions.guards import HasPermission, IsAuthenticated, acting_member, found, guard
from permissions.objects import RecordAccess
from permissions.record_guards import (
    OpensClientRecord,
    client_argument,
    client_of_assignment,
    record_guard,
)
from permissions.roles import Permission
from permissions.scopes import healthspace_argument, healthspace_of, parse_id
from resolvers.mutations import returns_errors
from schema.records import (
    ApiToken,
    ApiTokenPayload,
    Assignment,
    AssignmentPayload,
    CreateApiTokenInput,
    LogVideoCallInput,
    Note,
    NotePayload,
    NotificationSettings,
    NotificationSettingsInput,
    NotificationSettingsPayload,
    PlanAssignmentInput,
    Record,
    VideoCall,
    VideoCallPayload,
)
from schema.types import Info

Section = models.RecordSection


def _open(info: Info, *field: str) -> RecordAccess:
    """The record the guard opened; a closed one is NOT_FOUND, exactly like a missing id."""
    access: RecordAccess | None = found(info).target
    if access is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such record.", list(field or ["clientId"]))
    return access


def _assignment_guard() -> PermissionExtension:
    return record_guard(OpensClientRecord(client_of_assignment("id"), Section.ASSIGNMENTS))


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[record_guard(OpensClientRecord(client_argument("client_id")))],
        description="A client's record in their Healthspace: for the client themself and for "
        "clinicians with a current connection (both active); null for anyone else, as for an "
        "id that does not exist. Every section read is in the access log.",
    )
    async def record(self, info: Info, client_id: strawberry.ID) -> Record | None:
        access: RecordAccess | None = found(info).target
        return Record.of(access) if access else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[record_guard(OpensClientRecord(client_argument(), Section.NOTES))],
        description="Add a note to a client's record (connected staff; append-only).",
    )
    @returns_errors(NotePayload)
    async def add_note(self, info: Info, client_id: strawberry.ID, body: str) -> NotePayload:
        note = await record_rules.add_note(info.context.viewer, _open(info), body)
        return NotePayload(note=Note.from_row(note))

    @strawberry.mutation(
        extensions=[record_guard(OpensClientRecord(client_argument(), Section.ASSIGNMENTS))],
        description="Plan an assignment for a client (connected staff); the client is mailed.",
    )
    @returns_errors(AssignmentPayload)
    async def plan_assignment(self, info: Info, input: PlanAssignmentInput) -> AssignmentPayload:
        row = await assignment_rules.plan(
            info.context.viewer,
            _open(info, "input", "clientId"),
            title=input.title,
            instructions=input.instructions,
            available_from=input.available_from,
            due_at=input.due_at,
        )
        return AssignmentPayload(assignment=Assignment.from_row(row))

    @strawberry.mutation(
        extensions=[_assignment_guard()],
        description="The client records progress (0-100) and may save a draft answer.",
    )
    @returns_errors(AssignmentPayload)
    async def update_assignment_progress(
        self, info: Info, id: strawberry.ID, progress: int, draft_answer: str | None = None
    ) -> AssignmentPayload:
        row = await assignment_rules.update_progress(
            info.context.viewer, _open(info, "id"), parse_id(id), progress, draft_answer
        )
        return AssignmentPayload(assignment=Assignment.from_row(row))

    @strawberry.mutation(
        extensions=[_assignment_guard()],
        description="The client submits their answer; connected clinicians are mailed.",
    )
    @returns_errors(AssignmentPayload)
    async def submit_assignment(
        self, info: Info, id: strawberry.ID, answer: str
    ) -> AssignmentPayload:
        row = await assignment_rules.submit(
            info.context.viewer, _open(info, "id"), parse_id(id), answer
        )
        return AssignmentPayload(assignment=Assignment.from_row(row))

    @strawberry.mutation(
        extensions=[_assignment_guard()],
        description="Connected staff give feedback on a submitted assignment; it is closed.",
    )
    @returns_errors(AssignmentPayload)
    async def review_assignment(
        self, info: Info, id: strawberry.ID, feedback: str
    ) -> AssignmentPayload:
        row = await assignment_rules.review(
            info.context.viewer, _open(info, "id"), parse_id(id), feedback
        )
        return AssignmentPayload(assignment=Assignment.from_row(row))

    @strawberry.mutation(
        extensions=[
            record_guard(
                OpensClientRecord(client_argument(), Section.VIDEO_CALLS, integrations=True)
            )
        ],
        description="Log a video call: by connected staff, or by an integration holding a "
        "Healthspace API token with the LOG_VIDEO_CALLS scope (Authorization: Bearer).",
    )
    @returns_errors(VideoCallPayload)
    async def log_video_call(self, info: Info, input: LogVideoCallInput) -> VideoCallPayload:
        call = await record_rules.log_video_call(
            info.context.viewer,
            _open(info, "input", "clientId"),
            input.started_at,
            input.duration_seconds,
            input.staff_id,
        )
        return VideoCallPayload(video_call=VideoCall.from_row(call))

    @strawberry.mutation(
        extensions=[guard(IsAuthenticated())],
        description="Switch kinds of email on or off for my account (all on by default).",
    )
    @returns_errors(NotificationSettingsPayload)
    async def update_notification_settings(
        self, info: Info, input: NotificationSettingsInput
    ) -> NotificationSettingsPayload:
        account = info.context.viewer.account
        assert account is not None
        await update_settings(account, input.changes())
        return NotificationSettingsPayload(notification_settings=NotificationSettings.of(account))

    @strawberry.mutation(
        extensions=[
            guard(
                HasPermission(
                    Permission.MANAGE_HEALTHSPACE, scope=healthspace_argument("healthspace_id")
                )
            )
        ],
        description="Create an API token for an integration (MANAGE_HEALTHSPACE); the token "
        "is in the payload this once.",
    )
    @returns_errors(ApiTokenPayload)
    async def create_api_token(self, info: Info, input: CreateApiTokenInput) -> ApiTokenPayload:
        actor = acting_member(info)
        row, token = await create_api_token(info.context.viewer, actor, input.name, input.scope)
        return ApiTokenPayload(api_token=ApiToken.from_row(row), token=token)

    @strawberry.mutation(
        extensions=[
            guard(
                HasPermission(Permission.MANAGE_HEALTHSPACE, scope=healthspace_of(models.ApiToken))
            )
        ],
        description="Revoke an integration's API token (MANAGE_HEALTHSPACE).",
    )
    @returns_errors(ApiTokenPayload)
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> ApiTokenPayload:
        actor = acting_member(info)
        row = await revoke_api_token(info.context.viewer, actor, parse_id(id))
        return ApiTokenPayload(api_token=ApiToken.from_row(row))
