"""The person fields (names, email) that types read from the account behind a row: a member, a
join request."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import strawberry

import models
from schema.deferred_pages import Deferred


class AccountOf:
    """The account behind a row with an `account` foreign key: the one fetched with the row
    (every list fetches it), else one read of it, started the first time a value is awaited
    and shared by all the values asked of it."""

    def __init__(self, row: Any) -> None:
        self._fetched: models.Account | None = row.__dict__.get("_account")
        self._account_id = row.account_id
        self._reading: Deferred[models.Account] | None = None

    def value(self, name: str) -> Any:
        """The account's attribute `name`, or an awaitable of it when the account is not here
        yet (GraphQL awaits it)."""
        if self._fetched is not None:
            return getattr(self._fetched, name)
        if self._reading is None:
            account_id = self._account_id
            self._reading = Deferred(lambda: models.Account.get(id=account_id))
        return _Attribute(self._reading, name)


class _Attribute:
    """An awaitable of one attribute of the account a `Deferred` reads."""

    def __init__(self, account: Deferred[models.Account], name: str) -> None:
        self._account = account
        self._name = name

    def __await__(self) -> Generator[Any, None, Any]:
        account = yield from self._account.__await__()
        return getattr(account, self._name)


@strawberry.type
class PersonFields:
    """Mixed into types built from a row with an `account` foreign key. Plain fields, not
    resolvers, so that a page of 100 members answers them without a resolver call each (issue
    10). The annotations are the GraphQL types; when the account was not fetched with the row
    an attribute holds an awaitable of the value instead (`person_fields`), which GraphQL
    awaits: Python code reads names from the row's account, not from these attributes."""

    first_name: str
    last_name: str
    email: str


def person_fields(account: AccountOf) -> dict[str, Any]:
    """The `PersonFields` of a type, as keyword arguments: values, or awaitables of them when
    the account was not fetched with the row."""
    return {name: account.value(name) for name in ("first_name", "last_name", "email")}
