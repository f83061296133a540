"""Plain helpers shared by several test files (the fixtures are in conftest.py, the shared
GraphQL documents in documents.py): reading answers and error codes, the outcome of a role
matrix cell, delivering the outbox to the SMTP sink, connecting members directly in the
database, inviting and accepting through the API, and reading a token from the mail that carried
it (never by overwriting its hash)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import PASSWORD, PUBLIC_URL, Person
from documents import ACCEPT_INVITATION, INVITE_CLIENT, INVITE_ROSTER
from smtp_sink import ReceivedMessage, SmtpSink

import models
from mailer.relay import Relay, backend_for
from models.rows import ROW, UNREAD
from permissions.tokens import hash_token, new_token

# The token of an invitation link, in a mail body (text or HTML) or a page address.
TOKEN = re.compile(r"/invitations/accept\?token=([A-Za-z0-9_-]+)")


# --- answers and error codes -------------------------------------------------------------------


def payload(result: dict[str, Any], name: str) -> dict[str, Any]:
    """The payload of root field `name`, asserting there were no top-level errors."""
    assert not result.get("errors"), result["errors"]
    return result["data"][name]


def codes(payload: dict[str, Any]) -> list[str]:
    """The codes of a mutation payload's `errors`, in order."""
    return [error["code"] for error in payload["errors"]]


def coded_fields(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    """(code, field) of each of a mutation payload's `errors`, in order."""
    return [(error["code"], error["field"]) for error in payload["errors"]]


def errors_of(result: dict[str, Any], field: str) -> list[str]:
    """The codes in root field `field`'s payload `errors`, asserting no top-level errors."""
    return codes(payload(result, field))


def outcome(result: dict[str, Any], field: str, *, payload_prefix: str = "payload:") -> str:
    """One cell of a role matrix: "OK", the top-level error code (UNAUTHENTICATED, FORBIDDEN,
    NOT_FOUND...), or the first code of the payload's `errors` after `payload_prefix`."""
    if result.get("errors"):
        return result["errors"][0]["extensions"]["code"]
    errors = result["data"][field]["errors"]
    return f"{payload_prefix}{errors[0]['code']}" if errors else "OK"


# --- connections --------------------------------------------------------------------------------


async def connect(client: Person, staff: Person, by: Person | None = None) -> None:
    """Connect a client and a staff member of one Healthspace directly in the database, made by
    `by` when given (no audit event, no mail)."""
    assert client.member is not None and staff.member is not None
    await models.Connection.create(
        healthspace_id=client.member.healthspace_id,  # type: ignore[attr-defined]
        client_id=client.member.id,
        staff_id=staff.member.id,
        created_by_id=by.id if by else None,
        current_key=f"{client.member.id}:{staff.member.id}",
    )


# --- mail ---------------------------------------------------------------------------------------


async def deliver(sink: SmtpSink) -> list[ReceivedMessage]:
    """Push the outbox out to the test SMTP server; return everything it received."""
    await Relay(backend_for(sink.settings())).deliver_due()
    return sink.messages


def link_token(text: str, path: str) -> str:
    """The token of the first link to PUBLIC_URL + `path` (e.g. "/verify-email") in a mail
    body."""
    match = re.search(re.escape(f"{PUBLIC_URL}{path}?token=") + r"([A-Za-z0-9_-]+)", text)
    assert match, f"no {path} link in:\n{text}"
    return match.group(1)


def invitation_token(text: str) -> str:
    """The token of the first absolute invitation link (http(s)://.../invitations/accept?token=)
    in a mail body."""
    match = re.search(r"https?://\S+" + TOKEN.pattern, text)
    assert match, text
    return match.group(1)


async def latest_token(email: str) -> str:
    """The token of the newest invitation link mailed to `email`, read from the outbox."""
    row = await models.OutboxMessage.filter(to_address=email).order_by("-created_at").first()
    assert row is not None, f"no mail to {email}"
    match = TOKEN.search(row.text_body)
    assert match, row.text_body
    return match.group(1)


def client_input(healthspace: models.Healthspace, **changes: Any) -> dict[str, Any]:
    return {
        "healthspaceId": str(healthspace.id),
        "email": "anna.jansen@example.org",
        "firstName": "Anna",
        "lastName": "Jansen",
    } | changes


def staff_input(healthspace: models.Healthspace, **changes: Any) -> dict[str, Any]:
    return {
        "healthspaceId": str(healthspace.id),
        "email": "sam.staff@example.org",
        "firstName": "Sam",
        "lastName": "Staff",
        "roles": ["CLINICIAN"],
    } | changes


async def invite_client(person: Person, healthspace: models.Healthspace, **changes: Any) -> dict:
    """Invite a client and return the invitation (asserting it worked)."""
    payload = (await person.data(INVITE_CLIENT, input=client_input(healthspace, **changes)))[
        "inviteClient"
    ]
    assert payload["errors"] == [], payload["errors"]
    return payload["invitation"]


INVITEE_PASSWORD = "a-fresh-horse-51"


def accept_input(token: str, **changes: Any) -> dict[str, Any]:
    return {"token": token, "password": INVITEE_PASSWORD} | changes


async def accept(person: Person, token: str, **changes: Any) -> dict[str, Any]:
    return (await person.data(ACCEPT_INVITATION, input=accept_input(token, **changes)))[
        "acceptInvitation"
    ]


def sign_up_input(**changes: Any) -> dict[str, Any]:
    return {
        "email": "anna.jansen@example.org",
        "password": PASSWORD,
        "firstName": "Anna",
        "lastName": "Jansen",
    } | changes


async def mail_to(address: str) -> list[models.OutboxMessage]:
    return await models.OutboxMessage.filter(to_address=address).order_by("created_at")


async def email_token(
    account: models.Account, purpose: models.TokenPurpose, *, expires_in: timedelta
) -> str:
    token = new_token()
    await models.EmailToken.create(
        account=account,
        purpose=purpose,
        token_hash=hash_token(token),
        expires_at=datetime.now(UTC) + expires_in,
    )
    return token


async def invite_roster(
    person: Person, roster: str, query: str = INVITE_ROSTER, **fields: Any
) -> Any:
    result = await person.data(
        query,
        input={
            "healthspaceId": str(
                fields.pop("healthspace_id", None) or person.member.healthspace_id
            ),
            "roster": roster,
            **fields,
        },  # type: ignore[union-attr]
    )
    return result["inviteRoster"]


# --- model objects -----------------------------------------------------------------------------


def model_state(row: Any) -> dict[str, Any]:
    """A model object's attributes as Tortoise's own reading would set them: every data
    attribute read (so converted, models/rows.py), the related objects fetched with it as their
    state, and not where a `RowReader` object keeps its driver row."""
    for name in row._meta.fields_db_projection:
        getattr(row, name)
    return {
        name: model_state(value) if hasattr(value, "_meta") else value
        for name, value in vars(row).items()
        if name not in (ROW, UNREAD)
    }
