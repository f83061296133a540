"""The person fields (names, email, date of birth) that types read from the account behind a
row: a member, a join request."""

from __future__ import annotations

import datetime as dt

import strawberry

import models
from schema.loaders import existing
from schema.types import Info


@strawberry.type
class PersonFields:
    """Mixed into types whose `row` has an `account` foreign key. Reads the account fetched
    with the row when a list selected it, else through the per-request loader."""

    async def _account(self, info: Info) -> models.Account:
        row: models.Member | models.JoinRequest = self.row  # type: ignore[attr-defined]
        fetched: models.Account | None = row.__dict__.get("_account")
        return fetched or existing(await info.context.loaders.account.load(row.account_id))

    @strawberry.field
    async def first_name(self, info: Info) -> str:
        return (await self._account(info)).first_name

    @strawberry.field
    async def last_name(self, info: Info) -> str:
        return (await self._account(info)).last_name

    @strawberry.field
    async def email(self, info: Info) -> str:
        return (await self._account(info)).email

    @strawberry.field
    async def date_of_birth(self, info: Info) -> dt.date | None:
        return (await self._account(info)).date_of_birth
