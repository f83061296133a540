"""Mistakes in a request are the client's, answered as such: variables that do not fit their
type (GraphQL's request errors, naming the variable) and paging cursors out of shape or range
(BAD_USER_INPUT). Never "Unexpected error.", never logged as a fault."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from conftest import Person, execute

import models
from schema.pagination import MAX_CURSOR_OFFSET, encode_cursor

HEALTHSPACES = """
query Healthspaces($n: Int) { healthspaces(first: $n) { totalCount } }
"""

HEALTHSPACE = """
query Healthspace($id: ID!) { healthspace(id: $id) { name } }
"""

MEMBERS_OF_KIND = """
query Members($id: ID!, $kind: MemberKind) {
  healthspace(id: $id) { members(kind: $kind) { totalCount } }
}
"""

INVITE_CLIENT = """
mutation InviteClient($input: InviteClientInput!) {
  inviteClient(input: $input) { invitation { id } errors { field code } }
}
"""

MY_JOIN_REQUESTS = """
query Mine($after: String) { myJoinRequests(after: $after) { totalCount nodes { id } } }
"""

MEMBERS = """
query Members($id: ID!, $after: String) {
  healthspace(id: $id) { members(after: $after) { totalCount nodes { id } } }
}
"""

ACCESS_LOG = """
query AccessLog($after: String) { viewer { accessLog(after: $after) { totalCount } } }
"""


def client_input(healthspace: models.Healthspace, **changes: Any) -> dict[str, Any]:
    return {
        "healthspaceId": str(healthspace.id),
        "email": "anna.jansen@example.org",
        "firstName": "Anna",
        "lastName": "Jansen",
    } | changes


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.fixture
def faults(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """What the server logs as a fault while the test runs."""
    caplog.set_level(logging.WARNING)
    return caplog


def logged_faults(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# --- variables that do not fit their type ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "variable", "says"),
    [
        (HEALTHSPACES, {"n": 2147483648}, "n", "non 32-bit signed integer value: 2147483648"),
        (HEALTHSPACES, {"n": -2147483649}, "n", "non 32-bit signed integer"),
        (HEALTHSPACES, {"n": "ten"}, "n", "Int cannot represent non-integer value: 'ten'"),
        (HEALTHSPACES, {"n": 1.5}, "n", "Int cannot represent non-integer value: 1.5"),
        (HEALTHSPACE, {}, "id", "non-null type 'ID!'"),
        (HEALTHSPACE, {"id": None}, "id", "non-null type 'ID!'"),
        (HEALTHSPACE, {"id": True}, "id", "ID cannot represent value: True"),
        (HEALTHSPACE, {"id": {"uuid": "x"}}, "id", "ID cannot represent value"),
        (MEMBERS_OF_KIND, {"id": "x", "kind": "PATIENT"}, "kind", "'PATIENT'"),
    ],
)
async def test_a_variable_that_does_not_fit_its_type_is_a_request_error(
    anonymous: Person,
    faults: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, Any],
    variable: str,
    says: str,
) -> None:
    result = await execute(anonymous.http, query, variables)

    [error] = result["errors"]
    assert result.get("data") is None  # a request error: nothing ran
    assert error["message"].startswith(f"Variable '${variable}' has invalid value")
    assert says in error["message"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["locations"]
    assert "Unexpected error" not in str(result)
    assert logged_faults(faults) == []


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"dateOfBirth": "1990-13-45"}, "dateOfBirth"),
        ({"dateOfBirth": 19900101}, "dateOfBirth"),
        ({"unknownField": 1}, "unknown field 'unknownField'"),
        ({"firstName": None}, "firstName"),
        ({"firstName": ["Anna"]}, "firstName"),
    ],
)
async def test_an_input_object_that_does_not_fit_is_a_request_error(
    administrator: Person,
    healthspace: models.Healthspace,
    faults: pytest.LogCaptureFixture,
    changes: dict[str, Any],
    says: str,
) -> None:
    result = await administrator(INVITE_CLIENT, input=client_input(healthspace, **changes))

    [error] = result["errors"]
    assert result.get("data") is None
    assert error["message"].startswith("Variable '$input' has invalid value")
    assert says in error["message"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert logged_faults(faults) == []
    assert await models.Invitation.all().count() == 0


async def test_the_same_value_inline_is_a_validation_error_too(anonymous: Person) -> None:
    inline = await anonymous("query { healthspaces(first: 2147483648) { totalCount } }")
    variable = await anonymous(HEALTHSPACES, n=2147483648)

    assert "2147483648" in inline["errors"][0]["message"]
    assert "2147483648" in variable["errors"][0]["message"]
    assert variable["errors"][0]["message"] != "Unexpected error."


# --- paging cursors ----------------------------------------------------------------------------

BAD_CURSORS = [
    cursor_of("offset:9223372036854775807"),  # 2^63 - 1
    "b2Zmc2V0OjkyMjMzNzIwMzY4NTQ3NzU4MDc=",  # the same, as reported
    cursor_of("offset:9223372036854775808"),
    cursor_of("offset:" + "9" * 5000),  # beyond what int() reads
    cursor_of(f"offset:{MAX_CURSOR_OFFSET + 1}"),
    cursor_of("offset:-1"),
    cursor_of("offset: 1"),
    cursor_of("offset:1_000"),
    cursor_of("offset:"),
    cursor_of("page:1"),
    "not base64!",
    "",
    "x" * 100_000,
]


@pytest.mark.parametrize("after", BAD_CURSORS)
@pytest.mark.parametrize("listing", ["myJoinRequests", "members", "accessLog"])
async def test_a_cursor_out_of_shape_or_range_is_bad_user_input(
    administrator: Person,
    healthspace: models.Healthspace,
    faults: pytest.LogCaptureFixture,
    listing: str,
    after: str,
) -> None:
    # when a listing gets this cursor
    if listing == "members":
        result = await administrator(MEMBERS, id=str(healthspace.id), after=after)
    else:
        result = await administrator(
            MY_JOIN_REQUESTS if listing == "myJoinRequests" else ACCESS_LOG, after=after
        )

    # then no cursor is the first page, and any other is BAD_USER_INPUT without a logged fault
    if after == "":  # no cursor: the first page
        assert not result.get("errors")
        return
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    if len(after) > 1000:  # refused by its length before execution (schema/input_limits.py)
        assert error["message"] == "`after` may be at most 1,000 characters long."
    else:
        assert error["message"] == "The `after` cursor is not one this API gave out."
    assert logged_faults(faults) == []


async def test_a_cursor_at_the_largest_offset_is_an_empty_page(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    result = await administrator.data(
        MEMBERS, id=str(healthspace.id), after=encode_cursor(MAX_CURSOR_OFFSET)
    )

    assert result["healthspace"]["members"] == {"totalCount": 1, "nodes": []}


async def test_a_cursor_the_api_gave_out_pages_on(
    administrator: Person, healthspace: models.Healthspace, client: Person
) -> None:
    first = await administrator.data(
        "query($id: ID!) { healthspace(id: $id) { members(first: 1) { "
        "pageInfo { endCursor } nodes { id } } } }",
        id=str(healthspace.id),
    )
    cursor = first["healthspace"]["members"]["pageInfo"]["endCursor"]
    rest = await administrator.data(MEMBERS, id=str(healthspace.id), after=cursor)

    seen = [first["healthspace"]["members"]["nodes"][0]["id"]] + [
        node["id"] for node in rest["healthspace"]["members"]["nodes"]
    ]
    assert sorted(seen) == sorted([administrator.id, client.id])
