"""The Account type (a person's own login), and the inputs and payloads of account mutations."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import strawberry

import models
from domain import accounts
from domain.access_log import client_access_log
from schema.audit import AuditEvent
from schema.errors import UserError
from schema.members import Member
from schema.pagination import Page, paginate
from schema.records import NotificationSettings
from schema.types import Info


@strawberry.enum
class Language(StrEnum):
    EN = "en"
    NL = "nl"


@strawberry.type
class Account:
    id: strawberry.ID
    email: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    language: Language
    email_verified: bool
    row: strawberry.Private[models.Account]

    @classmethod
    def from_row(cls, row: models.Account) -> Account:
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            date_of_birth=row.date_of_birth,
            language=Language(row.language),
            email_verified=row.email_verified,
            row=row,
        )

    @strawberry.field(description="My active memberships, one per Healthspace.")
    async def memberships(self, info: Info) -> list[Member]:
        viewer = info.context.viewer
        if viewer.account is not None and viewer.account.id == self.row.id:
            rows = await viewer.active_memberships()  # read once per request, Healthspaces too
        else:
            rows = await accounts.active_memberships(self.row.id)
        info.context.loaders.prime_members(rows)
        return [Member.from_row(row) for row in rows]

    @strawberry.field(description="Who opened my record, newest first.")
    async def access_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[AuditEvent]:
        return await paginate(client_access_log(self.row.id), first, after, AuditEvent.from_row)

    @strawberry.field(description="Which emails I get (all on unless switched off).")
    def notification_settings(self) -> NotificationSettings:
        return NotificationSettings.of(self.row)


@strawberry.input
class SignUpInput:
    email: str
    password: str
    first_name: str
    last_name: str
    language: Language = Language.EN
    date_of_birth: dt.date | None = None


@strawberry.input
class UpdateAccountInput:
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: dt.date | None = None
    language: Language | None = None


@strawberry.type
class SignUpPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignInPayload:
    token: str | None = None
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignOutPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class VerifyEmailPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ResetPasswordPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RequestPasswordResetPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)
