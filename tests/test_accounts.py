"""Accounts and sessions through the API: sign up, verify, sign in and out, password reset."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import PASSWORD, People, Person, data_of, execute
from documents import RESET_PASSWORD, SIGN_UP
from helpers import email_token, link_token, mail_to, sign_up_input
from smtp_sink import SmtpSink

import models
from mailer.relay import Relay, backend_for
from permissions.passwords import PASSWORD_RULE
from permissions.tokens import hash_token
from schema.settings import Settings
from server import Environment, create_app

VERIFY_EMAIL = """
mutation VerifyEmail($token: String!) {
  verifyEmail(token: $token) {
    account { email emailVerified }
    errors { field code message }
  }
}
"""

SIGN_IN = """
mutation SignIn($email: String!, $password: String!) {
  signIn(email: $email, password: $password) {
    token
    account { email }
    errors { field code message }
  }
}
"""

SIGN_OUT = """
mutation { signOut { ok errors { code } } }
"""

VIEWER = """
query { viewer { id email firstName } }
"""

REQUEST_PASSWORD_RESET = """
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { ok errors { field code message } }
}
"""

NEW_PASSWORD = "another-horse-77"


async def sign_up(anonymous: Person, **changes: Any) -> dict[str, Any]:
    return (await anonymous.data(SIGN_UP, input=sign_up_input(**changes)))["signUp"]


async def viewer_email(http: httpx.AsyncClient, token: str | None) -> str | None:
    viewer = data_of(await execute(http, VIEWER, token=token))["viewer"]
    return viewer["email"] if viewer else None


# --- signing up ------------------------------------------------------------------------------


async def test_sign_up_creates_an_unverified_account_and_mails_a_verification_link(
    anonymous: Person,
) -> None:
    # when someone signs up with an address in mixed case, in Dutch
    result = await sign_up(anonymous, email="  Anna.Jansen@Example.ORG ", language="NL")

    # then the account is unverified and a Dutch mail with a link is queued, its token stored hashed
    assert result["errors"] == []
    assert result["account"] == {
        "id": result["account"]["id"],
        "email": "anna.jansen@example.org",
        "firstName": "Anna",
        "lastName": "Jansen",
        "language": "NL",
        "emailVerified": False,
    }
    [mail] = await mail_to("anna.jansen@example.org")
    assert mail.template == "verify_email"
    assert mail.subject == "Bevestig je e-mailadres voor Carespace"  # the account's language
    assert mail.status == models.OutboxStatus.PENDING
    token = link_token(mail.text_body, "/verify-email")
    assert await models.EmailToken.filter(token_hash=hash_token(token)).count() == 1
    assert await models.EmailToken.filter(token_hash=token).count() == 0  # stored hashed


async def test_verification_mail_arrives_over_smtp_and_its_link_verifies_the_address(
    anonymous: Person, smtp_sink: SmtpSink
) -> None:
    # given a sign-up whose verification mail the relay delivered
    await sign_up(anonymous)
    relay = Relay(backend_for(smtp_sink.settings()))
    assert await relay.deliver_due() == 1
    await relay.backend.close()
    [received] = await smtp_sink.wait_for(1)

    assert received.recipients == ("anna.jansen@example.org",)
    assert received.subject == "Confirm your email address for Carespace"
    token = link_token(received.text, "/verify-email")
    assert link_token(received.html, "/verify-email") == token

    # when the link's token is used
    result = (await anonymous.data(VERIFY_EMAIL, token=token))["verifyEmail"]

    # then the address is verified
    assert result == {
        "account": {"email": "anna.jansen@example.org", "emailVerified": True},
        "errors": [],
    }
    assert (await models.Account.get(email="anna.jansen@example.org")).email_verified


async def test_a_verification_link_works_once(anonymous: Person) -> None:
    await sign_up(anonymous)
    [mail] = await mail_to("anna.jansen@example.org")
    token = link_token(mail.text_body, "/verify-email")
    await anonymous.data(VERIFY_EMAIL, token=token)

    again = (await anonymous.data(VERIFY_EMAIL, token=token))["verifyEmail"]

    assert again["account"] is None
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_TOKEN", ["token"])]


async def test_an_expired_verification_link_is_refused_and_changes_nothing(
    anonymous: Person, people: People
) -> None:
    account = await people.account(verified=False)
    token = await email_token(account, models.TokenPurpose.VERIFY_EMAIL, expires_in=-timedelta(1))

    result = (await anonymous.data(VERIFY_EMAIL, token=token))["verifyEmail"]

    assert result["account"] is None
    assert [e["code"] for e in result["errors"]] == ["EXPIRED_TOKEN"]
    assert not (await models.Account.get(id=account.id)).email_verified


async def test_a_verification_link_used_twice_at_once_works_once(
    anonymous: Person, people: People
) -> None:
    account = await people.account(verified=False)
    token = await email_token(account, models.TokenPurpose.VERIFY_EMAIL, expires_in=timedelta(1))

    results = await asyncio.gather(*(anonymous(VERIFY_EMAIL, token=token) for _ in range(4)))

    outcomes = sorted(
        [e["code"] for e in data_of(result)["verifyEmail"]["errors"]] for result in results
    )
    assert outcomes == [[], ["INVALID_TOKEN"], ["INVALID_TOKEN"], ["INVALID_TOKEN"]]
    assert (await models.EmailToken.get(account_id=account.id)).used_at is not None


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 500])
async def test_an_unknown_verification_token_is_refused(anonymous: Person, token: str) -> None:
    result = (await anonymous.data(VERIFY_EMAIL, token=token))["verifyEmail"]

    assert result["account"] is None
    assert [e["code"] for e in result["errors"]] == ["INVALID_TOKEN"]


async def test_a_password_reset_token_does_not_verify_an_address(
    anonymous: Person, people: People
) -> None:
    account = await people.account(verified=False)
    token = await email_token(account, models.TokenPurpose.RESET_PASSWORD, expires_in=timedelta(1))

    result = (await anonymous.data(VERIFY_EMAIL, token=token))["verifyEmail"]

    assert [e["code"] for e in result["errors"]] == ["INVALID_TOKEN"]
    assert not (await models.Account.get(id=account.id)).email_verified


async def test_weak_password_is_refused_with_the_rule_and_creates_nothing(
    anonymous: Person,
) -> None:
    for weak in ("short1!", "onlyletterslong", "x" * 201 + "1"):
        result = await sign_up(anonymous, password=weak)

        assert result["account"] is None
        assert result["errors"] == [
            {"field": ["password"], "code": "WEAK_PASSWORD", "message": PASSWORD_RULE}
        ]
    assert "at least 10 characters" in PASSWORD_RULE
    assert await models.Account.all().count() == 0
    assert await models.OutboxMessage.all().count() == 0


@pytest.mark.parametrize(
    "email",
    ["", "anna", "anna@", "@example.org", "anna@example", "an na@example.org", "a@b@example.org"],
)
async def test_malformed_email_is_refused_and_creates_nothing(
    anonymous: Person, email: str
) -> None:
    result = await sign_up(anonymous, email=email)

    assert result["account"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_EMAIL", ["email"])]
    assert await models.Account.all().count() == 0
    assert await models.OutboxMessage.all().count() == 0


async def test_names_are_required(anonymous: Person) -> None:
    result = await sign_up(anonymous, firstName="   ")

    assert [(e["code"], e["field"]) for e in result["errors"]] == [("REQUIRED", ["firstName"])]
    assert await models.Account.all().count() == 0


async def test_an_email_is_taken_whatever_its_case(anonymous: Person) -> None:
    await sign_up(anonymous)

    again = await sign_up(anonymous, email="ANNA.JANSEN@example.org", firstName="Other")

    # answered like a new address (no enumeration); the owner is told by mail instead
    assert again["errors"] == [] and again["account"]["email"] == "anna.jansen@example.org"
    assert await models.Account.all().count() == 1
    mails = await mail_to("anna.jansen@example.org")
    assert [m.template for m in mails] == ["verify_email", "sign_up_attempt"]


async def test_concurrent_sign_ups_with_one_email_create_one_account(anonymous: Person) -> None:
    spellings = ["anna@example.org", "Anna@example.org", "ANNA@example.org", " anna@example.org"]

    results = await asyncio.gather(
        *(anonymous(SIGN_UP, input=sign_up_input(email=email)) for email in spellings)
    )

    payloads = [data_of(result)["signUp"] for result in results]
    # every one is answered as a new sign-up; one account exists, its owner hears of the rest
    assert [p["errors"] for p in payloads] == [[]] * 4, payloads
    assert await models.Account.filter(email="anna@example.org").count() == 1
    assert await models.Account.all().count() == 1
    templates = sorted(m.template for m in await mail_to("anna@example.org"))
    assert templates == ["sign_up_attempt"] * 3 + ["verify_email"]


# --- signing in and out ----------------------------------------------------------------------


async def test_sign_in_returns_a_bearer_token_that_identifies_the_viewer(
    http: httpx.AsyncClient, anonymous: Person, people: People
) -> None:
    await people.account("bo@example.org")

    result = (await anonymous.data(SIGN_IN, email=" BO@example.org", password=PASSWORD))["signIn"]

    assert result["errors"] == []
    assert result["account"] == {"email": "bo@example.org"}
    token = result["token"]
    assert len(token) >= 40
    assert await viewer_email(http, token) == "bo@example.org"
    session = await models.Session.get(token_hash=hash_token(token))
    assert session.ip_address == "203.0.113.7"


async def test_sign_in_sets_an_http_only_same_site_cookie_that_alone_authenticates(
    http: httpx.AsyncClient, people: People
) -> None:
    # given an account
    await people.account("bo@example.org")

    # when it signs in
    response = await http.post(
        "/graphql",
        json={"query": SIGN_IN, "variables": {"email": "bo@example.org", "password": PASSWORD}},
    )

    # then the answer sets an HttpOnly, SameSite session cookie that alone signs in later requests
    token = response.json()["data"]["signIn"]["token"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"carespace_session={token};")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower()
    # A later request carrying only the cookie (no Authorization header) is signed in.
    assert "carespace_session" in http.cookies
    later = await http.post("/graphql", json={"query": VIEWER})
    http.cookies.clear()
    assert later.json()["data"]["viewer"]["email"] == "bo@example.org"


async def test_signing_out_with_the_cookie_ends_the_cookie_session(
    http: httpx.AsyncClient, people: People
) -> None:
    await people.account("bo@example.org")
    variables = {"email": "bo@example.org", "password": PASSWORD}
    await http.post("/graphql", json={"query": SIGN_IN, "variables": variables})
    cookie = http.cookies["carespace_session"]

    signed_out = await http.post("/graphql", json={"query": SIGN_OUT})
    http.cookies.clear()

    assert signed_out.json()["data"]["signOut"]["ok"] is True
    again = await http.post(
        "/graphql", json={"query": VIEWER}, headers={"Cookie": f"carespace_session={cookie}"}
    )
    assert again.json() == {"data": {"viewer": None}}


async def test_the_cookie_is_secure_behind_https(db: str, people: People) -> None:
    await people.account("bo@example.org")
    settings = Settings(public_url="https://carespace.example", secure_cookies=True)
    app = create_app(Environment(database_url=db, settings=settings), lifespan_tasks=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="https://carespace.example") as web:
        response = await web.post(
            "/graphql",
            json={"query": SIGN_IN, "variables": {"email": "bo@example.org", "password": PASSWORD}},
        )

    assert "; secure" in response.headers["set-cookie"].lower()


async def test_sign_in_with_a_wrong_password_or_unknown_email_gives_one_answer(
    anonymous: Person, people: People
) -> None:
    await people.account("bo@example.org")

    wrong = await anonymous.data(SIGN_IN, email="bo@example.org", password="nope-nope-1")
    unknown = await anonymous.data(SIGN_IN, email="nobody@example.org", password=PASSWORD)

    assert wrong == unknown
    assert wrong["signIn"]["token"] is None
    assert wrong["signIn"]["account"] is None
    assert [e["code"] for e in wrong["signIn"]["errors"]] == ["INVALID_CREDENTIALS"]
    assert await models.Session.all().count() == 0


async def test_signing_in_to_a_closed_account_is_refused(
    http: httpx.AsyncClient, anonymous: Person, people: People
) -> None:
    account = await people.account("bo@example.org")
    earlier = await people.signed_in(account)
    account.deactivated_at = datetime.now(UTC)
    await account.save(update_fields=["deactivated_at"])

    result = (await anonymous.data(SIGN_IN, email="bo@example.org", password=PASSWORD))["signIn"]

    assert result["token"] is None
    assert [e["code"] for e in result["errors"]] == ["ACCOUNT_DEACTIVATED"]
    assert await models.Session.all().count() == 1  # only the one made before closing
    assert await viewer_email(http, earlier.token) is None  # and it no longer works


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-real-token", "Bearer ", "Basic Ym86cGFzc3dvcmQ=", "not-even-a-scheme"],
)
async def test_a_bad_authorization_header_means_signed_out(
    http: httpx.AsyncClient, authorization: str
) -> None:
    response = await http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": authorization}
    )

    assert response.json() == {"data": {"viewer": None}}


async def test_an_expired_session_is_signed_out(http: httpx.AsyncClient, people: People) -> None:
    person = await people.signed_in(await people.account("bo@example.org"))
    await models.Session.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert await viewer_email(http, person.token) is None


async def test_sign_out_revokes_this_session_only(http: httpx.AsyncClient, people: People) -> None:
    account = await people.account("bo@example.org")
    phone = await people.signed_in(account)
    laptop = await people.signed_in(account)

    response = await http.post(
        "/graphql", json={"query": SIGN_OUT}, headers={"Authorization": f"Bearer {phone.token}"}
    )

    assert response.json() == {"data": {"signOut": {"ok": True, "errors": []}}}
    assert 'carespace_session=""' in response.headers["set-cookie"]  # the cookie is cleared
    http.cookies.clear()
    assert await viewer_email(http, phone.token) is None
    assert await viewer_email(http, laptop.token) == "bo@example.org"
    assert await models.Session.filter(revoked_at__not_isnull=True).count() == 1


async def test_signing_out_needs_a_session(anonymous: Person) -> None:
    result = await anonymous(SIGN_OUT)

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- password reset ----------------------------------------------------------------------------


async def test_password_reset_answers_alike_for_known_and_unknown_emails(
    anonymous: Person, people: People
) -> None:
    await people.account("bo@example.org", language="nl")

    known = await anonymous.data(REQUEST_PASSWORD_RESET, email="Bo@Example.org")
    unknown = await anonymous.data(REQUEST_PASSWORD_RESET, email="nobody@example.org")

    assert known == unknown == {"requestPasswordReset": {"ok": True, "errors": []}}
    [mail] = await models.OutboxMessage.all()
    assert mail.to_address == "bo@example.org"
    assert mail.template == "password_reset"
    assert mail.subject == "Stel je Carespace-wachtwoord opnieuw in"
    assert link_token(mail.text_body, "/reset-password")


async def test_password_reset_refuses_a_malformed_email(anonymous: Person) -> None:
    result = (await anonymous.data(REQUEST_PASSWORD_RESET, email="bo@"))["requestPasswordReset"]

    assert result["ok"] is False
    assert [e["code"] for e in result["errors"]] == ["INVALID_EMAIL"]
    assert await models.OutboxMessage.all().count() == 0


async def test_no_reset_mail_for_a_closed_account(anonymous: Person, people: People) -> None:
    await people.account("bo@example.org", deactivated_at=datetime.now(UTC))

    result = await anonymous.data(REQUEST_PASSWORD_RESET, email="bo@example.org")

    assert result == {"requestPasswordReset": {"ok": True, "errors": []}}
    assert await models.OutboxMessage.all().count() == 0


async def reset_token(anonymous: Person, email: str) -> str:
    await anonymous.data(REQUEST_PASSWORD_RESET, email=email)
    [mail] = await mail_to(email)
    return link_token(mail.text_body, "/reset-password")


async def test_reset_password_sets_the_password_and_ends_every_other_session(
    http: httpx.AsyncClient, anonymous: Person, people: People
) -> None:
    # given an unverified account signed in on two devices, and a reset token from its mail
    account = await people.account("bo@example.org", verified=False)
    phone = await people.signed_in(account)
    laptop = await people.signed_in(account)
    token = await reset_token(anonymous, "bo@example.org")

    # when the password is reset from one device
    result = await laptop.data(RESET_PASSWORD, token=token, password=NEW_PASSWORD)

    # then the address is verified, the other session ends, and only the new password works
    assert result["resetPassword"] == {
        "account": {"email": "bo@example.org", "emailVerified": True},
        "errors": [],
    }
    assert await viewer_email(http, phone.token) is None
    assert await viewer_email(http, laptop.token) == "bo@example.org"  # the one used stays
    old = (await anonymous.data(SIGN_IN, email="bo@example.org", password=PASSWORD))["signIn"]
    assert [e["code"] for e in old["errors"]] == ["INVALID_CREDENTIALS"]
    new = (await anonymous.data(SIGN_IN, email="bo@example.org", password=NEW_PASSWORD))["signIn"]
    assert new["errors"] == [] and new["token"]


async def test_reset_from_a_signed_out_browser_ends_every_session(
    http: httpx.AsyncClient, anonymous: Person, people: People
) -> None:
    account = await people.account("bo@example.org")
    sessions = [await people.signed_in(account) for _ in range(3)]
    token = await reset_token(anonymous, "bo@example.org")

    await anonymous.data(RESET_PASSWORD, token=token, password=NEW_PASSWORD)

    for person in sessions:
        assert await viewer_email(http, person.token) is None
    assert await models.Session.filter(revoked_at=None).count() == 0


async def test_a_reset_link_works_once(anonymous: Person, people: People) -> None:
    await people.account("bo@example.org")
    token = await reset_token(anonymous, "bo@example.org")
    await anonymous.data(RESET_PASSWORD, token=token, password=NEW_PASSWORD)

    again = await anonymous.data(RESET_PASSWORD, token=token, password="third-horse-99")

    assert again["resetPassword"]["account"] is None
    assert [e["code"] for e in again["resetPassword"]["errors"]] == ["INVALID_TOKEN"]
    signed_in = await anonymous.data(SIGN_IN, email="bo@example.org", password=NEW_PASSWORD)
    assert signed_in["signIn"]["errors"] == []


async def test_a_weak_new_password_states_the_rule_and_keeps_the_link_usable(
    anonymous: Person, people: People
) -> None:
    await people.account("bo@example.org")
    token = await reset_token(anonymous, "bo@example.org")

    weak = await anonymous.data(RESET_PASSWORD, token=token, password="password")

    assert weak["resetPassword"] == {
        "account": None,
        "errors": [{"field": ["password"], "code": "WEAK_PASSWORD", "message": PASSWORD_RULE}],
    }
    still = await anonymous.data(SIGN_IN, email="bo@example.org", password=PASSWORD)
    assert still["signIn"]["errors"] == []
    strong = await anonymous.data(RESET_PASSWORD, token=token, password=NEW_PASSWORD)
    assert strong["resetPassword"]["errors"] == []


async def test_an_expired_reset_link_is_refused(anonymous: Person, people: People) -> None:
    account = await people.account("bo@example.org")
    token = await email_token(
        account, models.TokenPurpose.RESET_PASSWORD, expires_in=-timedelta(minutes=1)
    )

    result = await anonymous.data(RESET_PASSWORD, token=token, password=NEW_PASSWORD)

    assert [e["code"] for e in result["resetPassword"]["errors"]] == ["EXPIRED_TOKEN"]
    still = await anonymous.data(SIGN_IN, email="bo@example.org", password=PASSWORD)
    assert still["signIn"]["errors"] == []


async def test_sign_up_refuses_a_date_of_birth_in_the_future(anonymous) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    # when someone signs up with a date of birth in the future
    result = await anonymous.data(
        """mutation($input: SignUpInput!) {
             signUp(input: $input) { account { id } errors { field code } } }""",
        input={
            "email": "future@example.org",
            "password": "a-long-secret-9",
            "firstName": "Fu",
            "lastName": "Ture",
            "dateOfBirth": tomorrow,
        },
    )

    # then it is refused and no account is made
    assert result["signUp"] == {
        "account": None,
        "errors": [{"field": ["dateOfBirth"], "code": "INVALID"}],
    }
    assert not await models.Account.exists(email="future@example.org")
