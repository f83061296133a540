"""The validation cache (schema/extensions.py): a document passes the standard rules once per
text, and the query cost rule, which reads the variables, once per text and variables; a cached
verdict never lets a costly request through."""

from __future__ import annotations

import gc
from typing import Any

from conftest import Person
from graphql.validation import ValidationRule

import models
from schema.extensions import PassedDocuments, variables_key, varies_with_variables
from schema.limits import QueryLimits, limits_rule

PAGES = """
query Nested($id: ID!, $n: Int) {
  healthspace(id: $id) {
    members(first: $n) { nodes { healthspace {
      members(first: $n) { nodes { healthspace {
        members(first: $n) { nodes { id firstName } }
      } } }
    } } }
  }
}
"""


def _codes(result: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in result.get("errors") or []]


async def test_a_cached_document_is_still_refused_when_its_variables_cost_too_much(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    # given the same document sent several times with small pages (validated, then cached)
    for _ in range(3):
        small = await administrator(PAGES, id=str(healthspace.id), n=5)
        assert not small.get("errors"), small

    # when it comes again with a huge `first`
    large = await administrator(PAGES, id=str(healthspace.id), n=100)

    # then the cost rule ran and refused it, and small pages still pass afterwards
    assert _codes(large) == ["QUERY_TOO_COSTLY"]
    assert large.get("data") is None
    again = await administrator(PAGES, id=str(healthspace.id), n=5)
    assert not again.get("errors"), again


async def test_an_invalid_document_is_refused_every_time(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    for _ in range(3):
        result = await administrator("query { healthspace { nope } }")
        assert result.get("data") is None
        assert result["errors"], result


def test_the_cost_rule_is_marked_as_reading_the_variables() -> None:
    assert varies_with_variables(limits_rule(QueryLimits(), {}))
    assert not varies_with_variables(ValidationRule)


def test_passed_documents_are_bounded_and_counted() -> None:
    passed = PassedDocuments(maxsize=2)
    for text in ("a", "b", "c"):
        passed.add(text)
    assert len(passed) == 2
    assert "a" not in passed  # least recently used went out first
    assert "c" in passed and "b" in passed
    assert passed.hits == 2


async def test_the_cost_rule_runs_once_per_document_and_variables(
    administrator: Person, healthspace: models.Healthspace, monkeypatch: Any
) -> None:
    import schema.limits

    runs: list[int] = []
    cost = schema.limits._Walker.cost

    def counted(self: Any, *args: Any) -> int:
        runs.append(1)
        return cost(self, *args)

    monkeypatch.setattr(schema.limits._Walker, "cost", counted)
    # given one request measured (the walk recurses: count the top-level calls)
    await administrator(PAGES, id=str(healthspace.id), n=5)
    first = len(runs)
    assert first > 0
    # when the same document comes with the same variables, then it is not measured again
    await administrator(PAGES, id=str(healthspace.id), n=5)
    assert len(runs) == first
    # and with other variables it is
    await administrator(PAGES, id=str(healthspace.id), n=6)
    assert len(runs) == 2 * first


def _flattened(key: Any) -> list[Any]:
    if isinstance(key, tuple):
        return [part for item in key for part in _flattened(item)]
    return [key]


async def test_no_cache_keeps_the_variables_only_a_keyed_digest(anonymous: Person) -> None:
    secret = "Very-Secret-Password-123456"
    sign_in = """mutation SignIn($email: String!, $password: String!) {
      signIn(email: $email, password: $password) { token errors { code } } }"""
    for _ in range(2):
        await anonymous(sign_in, email="nobody@example.org", password=secret)
    caches = [cache for cache in gc.get_objects() if isinstance(cache, PassedDocuments)]
    assert any(len(cache) for cache in caches)
    for cache in caches:
        for key in cache._passed:
            for part in _flattened(key):
                assert secret not in str(part)
                assert not (isinstance(part, bytes) and secret.encode() in part)


def test_variables_key_is_a_short_digest_and_none_for_large_variables() -> None:
    small = variables_key({"id": "a", "first": 5})
    assert small is not None and len(small) == 16
    assert small == variables_key({"first": 5, "id": "a"})  # key order does not matter
    assert small != variables_key({"id": "a", "first": 6})
    assert variables_key({"junk": "x" * 3000}) is None  # never remembered: bounded memory
    assert variables_key({"bad": "\ud800"}) is None  # not JSON
