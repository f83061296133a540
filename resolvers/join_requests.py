"""Join requests: asking to join a findable Healthspace, reviewing, cancelling. Guard, one
call into `domain.join_requests`, the payload."""

from __future__ import annotations

import strawberry

import models
from domain import join_requests
from models import JoinRequestStatus
from permissions.guards import (
    CanFindHealthspace,
    HasPermission,
    IsAuthenticated,
    IsRequester,
    acting_member,
    found,
    guard,
)
from permissions.roles import Permission
from permissions.scopes import healthspace_argument, object_of, parse_id
from resolvers.mutations import returns_errors
from schema.join_requests import JoinRequest, JoinRequestPayload
from schema.members import Member
from schema.pagination import Page, paginate
from schema.types import Info

request_scope = object_of(models.JoinRequest, "id")


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
        assert account is not None  # IsAuthenticated
        query = join_requests.of_account(
            account.id,
            parse_id(healthspace_id),
            status,
            any_healthspace=healthspace_id is None,
        )
        return await paginate(query, first, after, JoinRequest.from_row)


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
        row = await join_requests.request_to_join(info.context.viewer, found(info).target, message)
        return JoinRequestPayload(join_request=JoinRequest.from_row(row))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.REVIEW_JOIN_REQUESTS, scope=request_scope))],
        description="Approve a pending request: the person becomes a client (an identification "
        "number is generated) and gets a confirmation mail.",
    )
    @returns_errors(JoinRequestPayload)
    async def approve_join_request(self, info: Info, id: strawberry.ID) -> JoinRequestPayload:
        request: models.JoinRequest = found(info).target
        row, member = await join_requests.approve(
            info.context.viewer,
            acting_member(info),
            request,
            link=info.context.settings.link(f"/healthspaces/{request.healthspace_id}"),
        )
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
        row = await join_requests.reject(
            info.context.viewer, acting_member(info), found(info).target, reason
        )
        return JoinRequestPayload(join_request=JoinRequest.from_row(row))

    @strawberry.mutation(
        extensions=[guard(IsRequester())],
        description="Withdraw my own pending join request.",
    )
    @returns_errors(JoinRequestPayload)
    async def cancel_join_request(self, info: Info, id: strawberry.ID) -> JoinRequestPayload:
        row = await join_requests.cancel(info.context.viewer, found(info).target)
        return JoinRequestPayload(join_request=JoinRequest.from_row(row))
