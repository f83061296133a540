"""Error handling: anything unexpected is masked as "Unexpected error." and logged; errors with
a code (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, BAD_USER_INPUT) and GraphQL's own parse and
validation errors pass through."""

from __future__ import annotations

import logging

import httpx
import pytest
import strawberry

import models
from permissions.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from schema.settings import Settings
from server import Schema, build_schema

SECRET = "password=hunter2 at db.internal"


@strawberry.type
class Query:
    """Test-only fields, served with the real schema's extensions."""

    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError(SECRET)

    @strawberry.field
    async def broken_later(self) -> str | None:
        raise KeyError(SECRET)

    @strawberry.field
    def unauthenticated(self) -> str:
        raise Unauthenticated()

    @strawberry.field
    def forbidden(self) -> str:
        raise Forbidden()

    @strawberry.field
    def not_found(self) -> str | None:
        raise NotFound()

    @strawberry.field
    def bad_input(self) -> str:
        raise BadUserInput("`first` must be between 0 and 100.")

    @strawberry.field
    def fine(self) -> str:
        return "fine"


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    return Schema(query=Query, extensions=build_schema(Settings()).extensions)


@pytest.mark.parametrize("field", ["broken", "brokenLater"])
async def test_an_unexpected_exception_is_masked_and_logged(
    schema: strawberry.Schema, caplog: pytest.LogCaptureFixture, field: str
) -> None:
    # when a resolver raises with a secret
    with caplog.at_level(logging.ERROR, logger="carespace"):
        result = await schema.execute(f"{{ {field} fine }}")

    # then the error is masked and logged once, without the secret
    [error] = result.errors or []
    assert error.message == "Unexpected error."
    assert error.path == [field]
    assert SECRET not in str(error.formatted)
    # A non-null field's error nulls the whole answer; a nullable one only itself.
    expected = None if field == "broken" else {"brokenLater": None, "fine": "fine"}
    assert result.data == expected
    [record] = [r for r in caplog.records if r.name == "carespace"]
    assert record.levelno == logging.ERROR
    # one line with the type and where it happened, but no value the request carried
    assert record.exc_info is None
    assert "Error in " in record.getMessage() and field in record.getMessage()
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("field", "code", "message"),
    [
        ("unauthenticated", "UNAUTHENTICATED", "Sign in first."),
        ("forbidden", "FORBIDDEN", "You are not allowed to do this."),
        ("notFound", "NOT_FOUND", "Not found."),
        ("badInput", "BAD_USER_INPUT", "`first` must be between 0 and 100."),
    ],
)
async def test_coded_errors_pass_through(
    schema: strawberry.Schema,
    caplog: pytest.LogCaptureFixture,
    field: str,
    code: str,
    message: str,
) -> None:
    with caplog.at_level(logging.ERROR):
        result = await schema.execute(f"{{ {field} }}")

    [error] = result.errors or []
    assert error.formatted["message"] == message
    assert error.formatted["extensions"] == {"code": code}
    # An answer to the client, not a fault: nothing at all is logged as an error.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_syntax_and_validation_errors_pass_through(schema: strawberry.Schema) -> None:
    syntax = await schema.execute("{ fine ")
    unknown = await schema.execute("{ nope }")

    assert syntax.errors and syntax.errors[0].message.startswith("Syntax Error")
    assert unknown.errors and "Cannot query field 'nope'" in unknown.errors[0].message


async def test_the_served_api_masks_an_unexpected_error(
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a database call that fails with a secret in its message
    async def fail(*args: object, **kwargs: object) -> None:
        raise ConnectionError(SECRET)

    monkeypatch.setattr(models.Account, "get_or_none", fail)

    # when someone signs in
    with caplog.at_level(logging.ERROR, logger="carespace"):
        response = await http.post(
            "/graphql",
            json={"query": 'mutation { signIn(email: "a@example.org", password: "x") { token } }'},
        )

    # then the answer says only "Unexpected error." and the log names it without the secret
    body = response.json()
    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == ["Unexpected error."]
    assert SECRET not in response.text
    assert any(r.name == "carespace" and "Unexpected" in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text
