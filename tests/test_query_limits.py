"""Query cost limits (issue 12, item 1): depth, aliases, tokens and the estimated cost are
refused before any resolver runs, with a code and the measured value."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import PUBLIC_URL, Person, data_of, error_code

import models
from schema.limits import QueryLimits
from schema.settings import Settings
from server import Environment, create_app

# The attack of the issue: members → healthspace → members, four levels deep (x20 per level).
FOUR_LEVELS = """
query Nested($id: ID!) {
  healthspace(id: $id) {
    members { nodes { healthspace {
      members { nodes { healthspace {
        members { nodes { healthspace {
          members { nodes { id firstName lastName } }
        } } }
      } } }
    } } }
  }
}
"""

THREE_LEVELS = """
query Nested($id: ID!, $n: Int) {
  healthspace(id: $id) {
    members(first: $n) { nodes { healthspace {
      members(first: $n) { nodes { healthspace {
        members(first: $n) { nodes { id firstName lastName } }
      } } }
    } } }
  }
}
"""

ONE_PAGE = """
query Page($id: ID!, $first: Int) {
  healthspace(id: $id) { members(first: $first) { totalCount nodes { id firstName lastName } } }
}
"""


def _error(result: dict[str, Any], code: str) -> dict[str, Any]:
    errors = [e for e in result.get("errors") or [] if e.get("extensions", {}).get("code") == code]
    assert errors, result
    return errors[0]


def _sign_in_aliases(count: int) -> str:
    fields = "\n".join(
        f'a{i}: signIn(email: "x@example.org", password: "guess{i}") {{ token }}'
        for i in range(count)
    )
    return f"mutation {{ {fields} }}"


async def test_four_level_nesting_is_refused_with_its_cost_before_any_resolver(
    administrator: Person, healthspace: models.Healthspace, people: Any
) -> None:
    # given a Healthspace with a few members and a staff member asking
    for _ in range(3):
        await people.client(healthspace)
    audit_before = await models.AuditEvent.all().count()

    # when the staff member sends the four-level query
    result = await administrator(FOUR_LEVELS, id=str(healthspace.id))

    # then it is refused with a code, the computed cost and the limit, and nothing ran
    assert result.get("data") is None
    error = _error(result, "QUERY_TOO_COSTLY")
    assert error["extensions"]["cost"] > 160_000  # 20^4 rows at the deepest level alone
    assert error["extensions"]["limit"] == QueryLimits().max_cost
    assert f"{error['extensions']['cost']:,}" in error["message"]
    assert await models.AuditEvent.all().count() == audit_before


async def test_a_page_of_a_hundred_members_stays_within_the_cost(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    data = await administrator.data(ONE_PAGE, id=str(healthspace.id), first=100)
    assert data["healthspace"]["members"]["totalCount"] >= 1


async def test_first_given_as_a_variable_counts_in_the_cost(
    http: httpx.AsyncClient, administrator: Person, healthspace: models.Healthspace
) -> None:
    # three levels of pages of 5 are within the cost; the same document with pages of 100 is
    # not: the variables are part of the estimate.
    small = await administrator(THREE_LEVELS, id=str(healthspace.id), n=5)
    assert not small.get("errors"), small
    large = await administrator(THREE_LEVELS, id=str(healthspace.id), n=100)
    assert _error(large, "QUERY_TOO_COSTLY")["extensions"]["cost"] > 1_000_000


async def test_too_deep_a_query_is_refused(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    deep = "query($id: ID!) { healthspace(id: $id) { " + "viewerMember { healthspace { " * 6
    deep += "id" + " } }" * 6 + " } }"
    result = await administrator(deep, id=str(healthspace.id))
    error = _error(result, "QUERY_TOO_DEEP")
    assert error["extensions"]["depth"] > error["extensions"]["limit"] == 10


async def test_an_alias_bombed_sign_in_is_refused_before_any_guess_is_checked(
    anonymous: Person,
) -> None:
    # 100 password guesses in one request: refused as a whole, no sign-in was attempted
    result = await anonymous(_sign_in_aliases(100))
    assert result.get("data") is None
    assert error_code(result) == "TOO_MANY_ALIASES"
    assert result["errors"][0]["extensions"]["aliases"] == 100
    assert await models.AuditEvent.filter(action="SIGN_IN").count() == 0


async def test_a_document_over_the_token_limit_is_not_parsed(anonymous: Person) -> None:
    result = await anonymous("query { " + "viewer { id } " * 600 + "}")
    assert result.get("data") is None
    assert "tokens" in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"] == {"code": "TOO_MANY_TOKENS", "limit": 2000}


async def test_introspection_is_not_counted(anonymous: Person) -> None:
    from graphql import get_introspection_query

    data = data_of(await anonymous(get_introspection_query()))
    assert data["__schema"]["queryType"]["name"] == "Query"


@pytest.fixture
async def strict(db: str) -> httpx.AsyncClient:
    limits = QueryLimits(max_depth=3, max_aliases=1, max_cost=10)
    app = create_app(
        Environment(database_url=db, settings=Settings(public_url=PUBLIC_URL, limits=limits)),
        lifespan_tasks=False,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://carespace.test") as client:
        yield client


async def test_limits_are_configurable(strict: httpx.AsyncClient, healthspace: Any) -> None:
    response = await strict.post("/graphql", json={"query": ONE_PAGE, "variables": {"id": "1"}})
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes == {"QUERY_TOO_COSTLY"}
    response = await strict.post("/graphql", json={"query": _sign_in_aliases(2)})
    assert {e["extensions"]["code"] for e in response.json()["errors"]} == {"TOO_MANY_ALIASES"}


def test_limits_are_read_from_the_environment() -> None:
    from server import environment_from

    settings = environment_from(
        {"CARESPACE_MAX_QUERY_COST": "123", "CARESPACE_MAX_BODY_BYTES": "4096"}
    ).settings
    assert settings.limits.max_cost == 123
    assert settings.limits.max_body_bytes == 4096
    assert settings.limits.max_depth == QueryLimits().max_depth


async def test_a_huge_page_size_is_counted_as_the_largest_page_not_overflowing(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    # found by schemathesis: a 64-bit `first` made a cost too large to encode (500)
    query = (
        "query($id: ID!) { healthspace(id: $id) { members(first: 3462234464092021760) "
        "{ nodes { connections { staff { connections { staff { connections { id } } } } } } } } }"
    )
    result = await administrator(query, id=str(healthspace.id))  # answered 200, not 500
    assert result.get("data") is None
    assert any("32-bit" in e["message"] for e in result["errors"])
    cost = _error(result, "QUERY_TOO_COSTLY")["extensions"]["cost"]
    assert cost < 2**53
