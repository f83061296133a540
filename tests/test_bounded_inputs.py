"""Bounded inputs (issue 12, items 2 and 6): no input of any size gives "Unexpected error.",
a long value is refused before any database work and never echoed, and a masked internal error
is logged once without the request's values."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PASSWORD, People, Person, error_code

import models
from schema.input_limits import MAX_SEARCH_WORDS, check_string, limit_for

SIGN_IN = """
mutation SignIn($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token errors { code message } }
}
"""
REQUEST_RESET = """
mutation Reset($email: String!) { requestPasswordReset(email: $email) { ok errors { code } } }
"""
VERIFY = "mutation V($token: String!) { verifyEmail(token: $token) { errors { code } } }"
MEMBERS = """
query Members($id: ID!, $search: String) {
  healthspace(id: $id) { members(search: $search) { totalCount } }
}
"""
MY_CLIENTS = """
query Mine($id: ID!, $search: String) {
  healthspace(id: $id) { myClients(search: $search) { totalCount } }
}
"""
MIB = 1024 * 1024


def _assert_refused(result: dict[str, Any], argument: str) -> None:
    assert result.get("data") is None, result
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
    assert len(error["message"]) < 100


async def test_a_1_mib_email_in_sign_in_is_refused_without_database_work_or_echo(
    anonymous: Person, caplog: pytest.LogCaptureFixture
) -> None:
    email = "a" * MIB + "@example.org"
    result = await anonymous(SIGN_IN, email=email, password="whatever-1")
    _assert_refused(result, "email")
    assert result["errors"][0]["extensions"]["length"] == len(email)
    assert await models.AuditEvent.all().count() == 0
    assert await models.RateLimitHit.all().count() == 0
    assert "aaaaaaaaaa" not in caplog.text


async def test_a_1_mib_email_inline_in_the_document_is_refused(anonymous: Person) -> None:
    email = "b" * 5000 + "@example.org"
    result = await anonymous(f'mutation {{ requestPasswordReset(email: "{email}") {{ ok }} }}')
    _assert_refused(result, "email")


async def test_a_huge_password_is_refused_before_hashing(anonymous: Person) -> None:
    result = await anonymous(SIGN_IN, email="x@example.org", password="p" * 100_000)
    _assert_refused(result, "password")


async def test_a_long_token_is_refused(anonymous: Person) -> None:
    _assert_refused(await anonymous(VERIFY, token="t" * 10_000), "token")


async def test_an_email_of_moderate_length_is_never_echoed_in_full(anonymous: Person) -> None:
    email = "not-an-address-" + "x" * 200
    result = await anonymous.data(REQUEST_RESET, email=email[:254])
    errors = result["requestPasswordReset"]["errors"]
    assert [e["code"] for e in errors] == ["INVALID_EMAIL"]


async def test_search_of_1000_words_or_50_kb_is_refused(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    for query in (MEMBERS, MY_CLIENTS):
        words = await administrator(query, id=str(healthspace.id), search="ab " * 1000)
        _assert_refused(words, "search")
        long = await administrator(query, id=str(healthspace.id), search="x" * 50_000)
        _assert_refused(long, "search")
        ok = await administrator(
            query, id=str(healthspace.id), search=" ".join(["ab"] * MAX_SEARCH_WORDS)
        )
        assert not ok.get("errors"), ok


async def test_input_objects_are_checked_at_every_depth(anonymous: Person) -> None:
    result = await anonymous(
        "mutation S($input: SignUpInput!) { signUp(input: $input) { errors { code } } }",
        input={
            "email": "c" * 300 + "@example.org",
            "password": PASSWORD,
            "firstName": "A",
            "lastName": "B",
        },
    )
    _assert_refused(result, "email")
    assert await models.Account.all().count() == 0


def test_limits_by_name() -> None:
    assert limit_for("email") == 254
    assert limit_for("healthspaceId") == 64
    assert limit_for("roster") is None
    assert check_string("note", "n" * 10_001) is not None
    assert check_string("roster", "r" * 1_000_000) is None


async def test_an_unexpected_error_is_masked_and_logged_once_without_values(
    people: People,
    anonymous: Person,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a fault deep inside, whose message carries the signed-in address
    from schema.accounts import Account

    account = await people.account("secret.person@example.org")

    def broken(row: models.Account) -> Account:
        raise ValueError(f"cannot show {row.email}")

    monkeypatch.setattr(Account, "from_row", staticmethod(broken))

    # when it signs in
    result = await anonymous(SIGN_IN, email=account.email, password=PASSWORD)

    # then the client sees only "Unexpected error." and the log has one line without the value
    assert result["errors"][0]["message"] == "Unexpected error."
    assert error_code(result) is None
    lines = [r for r in caplog.records if "Unexpected" in r.getMessage()]
    assert len(lines) == 1
    assert "ValueError" in lines[0].getMessage() and "signIn" in lines[0].getMessage()
    assert "secret.person" not in caplog.text
    assert lines[0].exc_info is None


async def test_a_remembered_document_is_still_refused_with_longer_variables(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    # given a search that passed twice with the same variables (remembered the second time)
    for _ in range(2):
        fine = await administrator(MEMBERS, id=str(healthspace.id), search="Jansen")
        assert not fine.get("errors"), fine

    # when the same document comes with a search over the limit, twice
    for _ in range(2):
        long = await administrator(MEMBERS, id=str(healthspace.id), search="x" * 201)
        # then it is refused each time, and the short one still passes afterwards
        _assert_refused(long, "search")
    again = await administrator(MEMBERS, id=str(healthspace.id), search="Jansen")
    assert again["data"]["healthspace"]["members"]["totalCount"] == 0
