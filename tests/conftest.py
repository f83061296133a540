"""The suite's harness: one migrated database per run (SQLite by default, PostgreSQL when
CARESPACE_TEST_DATABASE_URL points there), emptied after every test; the ASGI app driven by
httpx; and role fixtures (anonymous, client, clinician, colleague, own_clinician, assistant,
administrator, outsider, and `person`/`actor` for role matrices). Plain helpers shared by several
test files live in tests/helpers.py, shared GraphQL documents in tests/documents.py."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from emptying import empty_all_tables
from smtp_sink import smtp_sink  # noqa: F401
from tortoise.connection import get_connection

import models
from domain.members import add_member
from models.database import close_database, migrate, open_database
from permissions.passwords import hash_password
from permissions.roles import Permission, Role
from permissions.tokens import hash_token, new_token
from schema.settings import Settings
from server import Environment, create_app

PASSWORD = "correct-horse-42"
PUBLIC_URL = "http://carespace.test"


def _test_database_url() -> str:
    """SQLite in memory, or a fresh database on the PostgreSQL server named by
    CARESPACE_TEST_DATABASE_URL, so runs never see each other's rows."""
    url = os.environ.get("CARESPACE_TEST_DATABASE_URL", "").strip()
    if not url or url.startswith("sqlite"):
        return url or "sqlite://:memory:"
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/carespace_test_{uuid.uuid4().hex[:12]}"))


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[str]:
    url = _test_database_url()
    postgres = not url.startswith("sqlite")
    try:
        await open_database(url, create=postgres)
    except OSError as error:  # connection refused and friends
        pytest.exit(f"Test database unreachable at {url}: {error}", returncode=3)
    await migrate(url)
    yield url
    connection = get_connection("default")
    if postgres:
        await connection.close()
        await connection.db_delete()
    await close_database()


@pytest.fixture
async def db(database: str) -> AsyncIterator[str]:
    yield database
    await empty_all_tables()


@pytest.fixture
def settings() -> Settings:
    return Settings(public_url=PUBLIC_URL)


@pytest.fixture
async def http(db: str, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Environment(database_url=db, settings=settings), lifespan_tasks=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://carespace.test") as client:
        yield client


async def execute(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    http.cookies.clear()  # each Person signs in by token; a cookie must not leak to the next
    assert response.status_code == 200, response.text
    return response.json()


def data_of(result: dict[str, Any]) -> dict[str, Any]:
    assert not result.get("errors"), result["errors"]
    return result["data"]


def error_code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None


@dataclass
class Person:
    """Someone using the API: their account, membership (if any) and a signed-in token."""

    http: httpx.AsyncClient
    account: models.Account | None
    member: models.Member | None = None
    token: str | None = None
    label: str = "anonymous"

    @property
    def id(self) -> str:
        assert self.member is not None
        return str(self.member.id)

    @property
    def email(self) -> str:
        assert self.account is not None
        return self.account.email

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        return await execute(self.http, query, variables, self.token)

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        return data_of(await self(query, **variables))


@dataclass
class People:
    """Makes accounts, members and sessions directly in the database (fast, no argon2 per
    person); the API is what tests exercise."""

    http: httpx.AsyncClient
    password_hash: str
    count: int = 0
    made: list[Person] = field(default_factory=list)

    async def account(
        self, email: str | None = None, *, verified: bool = True, **fields: Any
    ) -> models.Account:
        self.count += 1
        return await models.Account.create(
            email=email or f"person{self.count}-{uuid.uuid4().hex[:6]}@example.org",
            password_hash=self.password_hash,
            first_name=fields.pop("first_name", f"First{self.count}"),
            last_name=fields.pop("last_name", f"Last{self.count}"),
            email_verified=verified,
            **fields,
        )

    async def signed_in(
        self, account: models.Account, member: models.Member | None = None, label: str = ""
    ) -> Person:
        token = new_token()
        await models.Session.create(
            account=account,
            token_hash=hash_token(token),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        return Person(self.http, account, member, token, label or account.email)

    async def member(
        self,
        healthspace: models.Healthspace,
        kind: models.MemberKind,
        roles: list[Role] | None = None,
        granted: list[Permission] | None = None,
        *,
        email: str | None = None,
        label: str = "",
        **account_fields: Any,
    ) -> Person:
        account = await self.account(email, **account_fields)
        member = await add_member(
            account, healthspace.id, kind, roles=roles or [], granted_permissions=granted or []
        )
        return await self.signed_in(account, member, label)

    async def staff(
        self,
        healthspace: models.Healthspace,
        *roles: Role,
        granted: list[Permission] | None = None,
        **kw: Any,
    ) -> Person:
        return await self.member(healthspace, models.MemberKind.STAFF, list(roles), granted, **kw)

    async def client(self, healthspace: models.Healthspace, **kw: Any) -> Person:
        return await self.member(healthspace, models.MemberKind.CLIENT, **kw)


_PASSWORD_HASH: list[str] = []


@pytest.fixture
async def people(http: httpx.AsyncClient) -> People:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(await hash_password(PASSWORD))
    return People(http, _PASSWORD_HASH[0])


@pytest.fixture
async def healthspace(db: str) -> models.Healthspace:
    return await models.Healthspace.create(name="Praktijk De Linde", description="General practice")


@pytest.fixture
async def other_healthspace(db: str) -> models.Healthspace:
    return await models.Healthspace.create(name="Elsewhere Clinic")


@pytest.fixture
def anonymous(http: httpx.AsyncClient) -> Person:
    return Person(http, None)


@pytest.fixture
async def administrator(people: People, healthspace: models.Healthspace) -> Person:
    return await people.staff(
        healthspace, Role.ADMINISTRATOR, label="administrator", first_name="Ada", last_name="Admin"
    )


@pytest.fixture
async def assistant(people: People, healthspace: models.Healthspace) -> Person:
    return await people.staff(
        healthspace, Role.ASSISTANT, label="assistant", first_name="Assa", last_name="Assist"
    )


@pytest.fixture
async def clinician(people: People, healthspace: models.Healthspace) -> Person:
    return await people.staff(
        healthspace, Role.CLINICIAN, label="clinician", first_name="Clara", last_name="Clinic"
    )


@pytest.fixture
async def client(people: People, healthspace: models.Healthspace) -> Person:
    return await people.client(healthspace, label="client", first_name="Chris", last_name="Client")


@pytest.fixture
async def outsider(people: People, other_healthspace: models.Healthspace) -> Person:
    """An administrator, but of another Healthspace."""
    return await people.staff(other_healthspace, Role.ADMINISTRATOR, label="outsider")


@pytest.fixture
async def colleague(people: People, healthspace: models.Healthspace) -> Person:
    """A second clinician of the same Healthspace."""
    return await people.staff(
        healthspace, Role.CLINICIAN, label="colleague", first_name="Cor", last_name="Colleague"
    )


@pytest.fixture
async def own_clinician(people: People, healthspace: models.Healthspace) -> Person:
    """A clinician granted MANAGE_OWN_CONNECTIONS."""
    return await people.staff(
        healthspace,
        Role.CLINICIAN,
        granted=[Permission.MANAGE_OWN_CONNECTIONS],
        label="own clinician",
        first_name="Olga",
        last_name="Own",
    )


@pytest.fixture
def person(request: pytest.FixtureRequest) -> Person:
    """The role fixture named by the test's indirect parameter, for role matrices (async
    fixtures cannot be fetched by name from inside a running test):
    `@pytest.mark.parametrize("person", ["client", "clinician"], indirect=True)`."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def actor(request: pytest.FixtureRequest) -> Person:
    """The same as `person`, under the name the permission matrices use."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def sql_queries() -> type[QueryCounter]:
    """Counts SQL statements sent inside `with sql_queries() as counter:`."""
    return QueryCounter


class QueryCounter(logging.Handler):
    """Collects the statements Tortoise logs at DEBUG on `tortoise.db_client`."""

    _logger = logging.getLogger("tortoise.db_client")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if (
            message[:6].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}
            or message[:4].upper() == "WITH"
        ):
            self.statements.append(message)

    def __enter__(self) -> QueryCounter:
        self._previous = self._logger.level
        self._logger.addHandler(self)
        self._logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._previous)

    @property
    def count(self) -> int:
        return len(self.statements)
