"""The person fields (names, email, date of birth) that types read from the account behind a
row: a member, a join request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

import models
from schema.loaders import existing
from schema.types import Info


@strawberry.type
class PersonFields:
    """Mixed into types whose `row` has an `account` foreign key. Reads the account fetched
    with the row when a list selected it, else through the per-request loader.

    The fields are synchronous: with the account fetched with the row (every list does) they
    answer at once, so a page of 50 members makes no asyncio task per field; otherwise they
    return an awaitable of the loader, which GraphQL awaits."""

    def _fetched_account(self) -> models.Account | None:
        row: Any = self.row  # type: ignore[attr-defined]
        fetched: models.Account | None = row.__dict__.get("_account")
        return fetched

    async def _account(self, info: Info) -> models.Account:
        row: Any = self.row  # type: ignore[attr-defined]
        return self._fetched_account() or existing(
            await info.context.loaders.account.load(row.account_id)
        )

    async def _account_value(self, info: Info, name: str) -> Any:
        return getattr(await self._account(info), name)

    def _person(self, info: Info, name: str) -> Any:
        """The account's attribute `name`, or an awaitable of it when the account is not here."""
        account = self._fetched_account()
        if account is not None:
            return getattr(account, name)
        return self._account_value(info, name)

    @strawberry.field
    def first_name(self, info: Info) -> str:
        return self._person(info, "first_name")  # type: ignore[no-any-return]

    @strawberry.field
    def last_name(self, info: Info) -> str:
        return self._person(info, "last_name")  # type: ignore[no-any-return]

    @strawberry.field
    def email(self, info: Info) -> str:
        return self._person(info, "email")  # type: ignore[no-any-return]

    @strawberry.field
    def date_of_birth(self, info: Info) -> dt.date | None:
        return self._person(info, "date_of_birth")  # type: ignore[no-any-return]
