"""The person fields (names, email) that types read from the account behind a row: a member, a
join request."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import strawberry

import models
from schema.deferred_pages import Deferred
from schema.plain_fields import plain_field


class AccountOf:
    """The account behind a row with an `account` foreign key: the one fetched with the row
    (every list fetches it), else one read of it, started the first time a value is awaited
    and shared by all the values asked of it."""

    def __init__(self, row: Any) -> None:
        self._row = row
        self._reading: Deferred[models.Account] | None = None

    def value(self, name: str) -> Any:
        """The account's attribute `name`, or an awaitable of it when the account is not here
        yet (GraphQL awaits it)."""
        fetched: models.Account | None = self._row.__dict__.get("_account")
        if fetched is not None:
            return getattr(fetched, name)
        if self._reading is None:
            account_id = self._row.account_id
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


def account_field(name: str, *, description: str | None = None) -> Any:
    """A `plain_field` answering the account's attribute `name` (the type's `account`, an
    `AccountOf`): the value, or an awaitable of it that GraphQL awaits."""
    return plain_field(lambda source: source.account.value(name), description=description)


@strawberry.type
class PersonFields:
    """Mixed into types wrapping a row with an `account` foreign key: the person's names and
    email, read from the account when asked for (`account_field`). Python code reads names
    from the row's account, not from these fields."""

    account: strawberry.Private[AccountOf]
    first_name: str = account_field("first_name")
    last_name: str = account_field("last_name")
    email: str = account_field("email")
