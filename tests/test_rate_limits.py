"""Rate limits (issue 12, item 3): counted per call inside the resolvers and stored in the
database, so neither aliases nor separate requests get around them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import PASSWORD, People, Person
from helpers import accept, invite_client, latest_token

import models
from domain import rate_limits as limits
from permissions.tokens import hash_token, new_token

SIGN_IN = """
mutation SignIn($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token errors { code message retryAfter } }
}
"""
REQUEST_RESET = """
mutation Reset($email: String!) {
  requestPasswordReset(email: $email) { ok errors { code message retryAfter } }
}
"""
RESET = """
mutation Reset($token: String!, $password: String!) {
  resetPassword(token: $token, password: $password) { account { email } errors { code } }
}
"""
RESEND = "mutation { resendVerificationEmail { errors { code retryAfter } } }"
SIGN_UP = """
mutation SignUp($input: SignUpInput!) { signUp(input: $input) { errors { code retryAfter } } }
"""


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def _age_hits(by: timedelta) -> None:
    for hit in await models.RateLimitHit.all():
        hit.at = hit.at - by
        await hit.save()


async def test_200_wrong_passwords_lock_the_account_but_a_reset_unlocks_it(
    people: People, anonymous: Person
) -> None:
    # given an account
    account = await people.account("bo@example.org")

    # when an attacker tries 200 wrong passwords, one request each
    answers = [
        (await anonymous.data(SIGN_IN, email=account.email, password=f"guess-{i}"))["signIn"]
        for i in range(200)
    ]

    # then only the first ten are checked; the rest are refused with a time to wait
    assert [_codes(a) for a in answers[:10]] == [["INVALID_CREDENTIALS"]] * 10
    assert all(_codes(a) == ["RATE_LIMITED"] for a in answers[10:])
    assert 0 < answers[-1]["errors"][0]["retryAfter"] <= 15 * 60
    # and the right password is refused too while the lock lasts (no oracle for the attacker)
    locked = (await anonymous.data(SIGN_IN, email=account.email, password=PASSWORD))["signIn"]
    assert _codes(locked) == ["RATE_LIMITED"] and locked["token"] is None

    # when the owner resets the password (the reset mail is not limited by sign-in failures)
    token = new_token()
    await models.EmailToken.create(
        account=account,
        purpose=models.TokenPurpose.RESET_PASSWORD,
        token_hash=hash_token(token),
        expires_at=account.created_at + timedelta(days=400),
    )
    reset = (await anonymous.data(RESET, token=token, password="a-new-horse-77"))["resetPassword"]
    assert reset["errors"] == []

    # then the owner signs in at once
    signed_in = await anonymous.data(SIGN_IN, email=account.email, password="a-new-horse-77")
    assert signed_in["signIn"]["errors"] == [] and signed_in["signIn"]["token"]


async def test_the_lock_out_ends_by_itself_after_the_window(
    people: People, anonymous: Person
) -> None:
    account = await people.account("cas@example.org")
    for i in range(11):
        await anonymous(SIGN_IN, email=account.email, password=f"guess-{i}")
    locked = (await anonymous.data(SIGN_IN, email=account.email, password=PASSWORD))["signIn"]
    assert _codes(locked) == ["RATE_LIMITED"]

    await _age_hits(limits.SIGN_IN_PER_ACCOUNT.window)

    opened = (await anonymous.data(SIGN_IN, email=account.email, password=PASSWORD))["signIn"]
    assert opened["errors"] == [] and opened["token"]


async def test_failures_are_stored_not_kept_in_memory_and_hold_no_address(
    people: People, anonymous: Person
) -> None:
    account = await people.account("dee@example.org")
    await anonymous(SIGN_IN, email=account.email, password="wrong-guess-1")
    keys = await models.RateLimitHit.all().values_list("key", flat=True)
    assert len(keys) == 2  # per account and per IP address
    assert all("@" not in key and len(key) == 64 for key in keys)


async def test_reset_mails_per_address_per_hour(people: People, anonymous: Person) -> None:
    known = await people.account("eve@example.org")
    for email in (known.email, "nobody@example.org"):
        answers = [
            (await anonymous.data(REQUEST_RESET, email=email))["requestPasswordReset"]
            for _ in range(5)
        ]
        # the same answers for a known and an unknown address: three mails, then a limit
        assert [_codes(a) for a in answers] == [[]] * 3 + [["RATE_LIMITED"]] * 2
        assert answers[-1]["errors"][0]["retryAfter"] > 59 * 60
    assert await models.OutboxMessage.all().count() == 3


async def test_verification_mails_per_address_per_hour(people: People, anonymous: Person) -> None:
    person = await people.signed_in(await people.account(verified=False))
    answers = [(await person.data(RESEND))["resendVerificationEmail"] for _ in range(5)]
    assert [_codes(a) for a in answers] == [[]] * 3 + [["RATE_LIMITED"]] * 2
    assert await models.OutboxMessage.all().count() == 3


async def test_verification_mails_cannot_be_alias_bombed(people: People) -> None:
    person = await people.signed_in(await people.account(verified=False))
    aliased = (
        "mutation { "
        + " ".join(f"r{i}: resendVerificationEmail {{ errors {{ code }} }}" for i in range(10))
        + " }"
    )
    data = await person.data(aliased)
    assert sum(not data[f"r{i}"]["errors"] for i in range(10)) == 3
    assert await models.OutboxMessage.all().count() == 3


async def test_sign_ups_per_address_per_hour(anonymous: Person) -> None:
    # when one more than the limit of sign-ups comes from one address
    answers = [
        (
            await anonymous.data(
                SIGN_UP,
                input={
                    "email": f"new{i}@example.org",
                    "password": PASSWORD,
                    "firstName": "New",
                    "lastName": f"Person{i}",
                },
            )
        )["signUp"]
        for i in range(limits.SIGN_UPS_PER_IP.count + 1)
    ]
    # then the last is refused and no account is made for it
    assert all(a["errors"] == [] for a in answers[:-1])
    assert _codes(answers[-1]) == ["RATE_LIMITED"]
    assert await models.Account.all().count() == limits.SIGN_UPS_PER_IP.count


async def test_invitation_password_guesses_are_limited_and_audited(
    people: People, assistant: Person, anonymous: Person, healthspace: models.Healthspace
) -> None:
    account = await people.account("anna.jansen@example.org")
    await invite_client(assistant, healthspace)
    token = await latest_token(account.email)

    wrong = [await accept(anonymous, token, password=f"guess-{i}-abc") for i in range(12)]

    assert [_codes(w) for w in wrong[:10]] == [["INVALID_CREDENTIALS"]] * 10
    assert [_codes(w) for w in wrong[10:]] == [["RATE_LIMITED"]] * 2
    audited = await models.AuditEvent.filter(
        action="INVITATION_PASSWORD", outcome=models.AuditOutcome.FAILURE
    ).count()
    assert audited == 10
