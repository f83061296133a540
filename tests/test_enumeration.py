"""No enumeration (issue 12, item 4): whether an address has an account is not told by the
answer of requestPasswordReset or signUp, nor by how long requestPasswordReset takes."""

from __future__ import annotations

import statistics
import time

from conftest import PASSWORD, People, Person

import models

REQUEST_RESET = """
mutation Reset($email: String!) { requestPasswordReset(email: $email) { ok errors { code } } }
"""
SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { account { id email emailVerified memberships { id } } errors { code } }
}
"""


async def _timed(person: Person, email: str) -> float:
    # Every try starts from no counted attempts: the limit is not what is measured here.
    await models.RateLimitHit.all().delete()
    started = time.perf_counter()
    data = await person.data(REQUEST_RESET, email=email)
    elapsed = time.perf_counter() - started
    assert data["requestPasswordReset"] == {"ok": True, "errors": []}
    return elapsed


async def test_request_password_reset_takes_as_long_for_a_known_and_an_unknown_address(
    people: People, anonymous: Person
) -> None:
    # given a known address
    known = (await people.account("known@example.org")).email

    # when each is asked for 100 times, interleaved so load affects both alike
    known_times: list[float] = []
    unknown_times: list[float] = []
    for i in range(100):
        known_times.append(await _timed(anonymous, known))
        unknown_times.append(await _timed(anonymous, f"unknown{i}@example.org"))

    # then the medians differ by less than the noise between quartiles (a tolerant bound:
    # without the padding the known address takes a transaction, a token and a mail longer)
    difference = abs(statistics.median(known_times) - statistics.median(unknown_times))
    quartiles = statistics.quantiles(unknown_times + known_times, n=4)
    assert difference < max(0.01, quartiles[2] - quartiles[0]), (difference, quartiles)
    assert await models.OutboxMessage.filter(to_address=known).count() == 100


async def test_sign_up_with_a_taken_address_answers_like_a_new_one_and_mails_the_owner(
    people: People, anonymous: Person
) -> None:
    # given an account
    owner = await people.account("taken@example.org")

    # when someone signs up with its address, and someone with a fresh one
    def signing_up(email: str) -> dict[str, object]:
        return {"email": email, "password": PASSWORD, "firstName": "Eve", "lastName": "Sneak"}

    taken = (await anonymous.data(SIGN_UP, input=signing_up("taken@example.org")))["signUp"]
    fresh = (await anonymous.data(SIGN_UP, input=signing_up("fresh@example.org")))["signUp"]

    # then both answers have the same shape and values (but their ids)
    for answer in (taken, fresh):
        answer["account"].pop("id")
    fresh["account"]["email"] = "taken@example.org"
    assert taken == fresh
    # and the owner's account is unchanged, with a mail saying someone tried
    assert (await models.Account.get(id=owner.id)).first_name == owner.first_name
    [mail] = await models.OutboxMessage.filter(to_address="taken@example.org")
    assert mail.template == "sign_up_attempt"
    assert "tried to create a new Carespace account" in mail.text_body
