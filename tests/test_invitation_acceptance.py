"""Accepting invitations: the accept page's preview, new and existing accounts, single use,
connections, and the first administrator's invitation from the command line."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import PASSWORD, PUBLIC_URL, People, Person, execute
from documents import INVITATION_PREVIEW as PREVIEW
from documents import INVITE_STAFF
from helpers import TOKEN, accept, codes, invite_client, latest_token, staff_input
from smtp_sink import SmtpSink

import models
from mailer.relay import Relay, backend_for
from permissions.roles import Role
from resolvers import commands
from schema.settings import Settings

VIEWER = """
query { viewer { email emailVerified memberships { id kind healthspace { name } } } }
"""


async def test_invite_mail_link_accept_makes_a_member_with_a_connection(
    assistant: Person,
    clinician: Person,
    anonymous: Person,
    healthspace: models.Healthspace,
    smtp_sink: SmtpSink,
) -> None:
    # given an invitation sent to the sink
    invitation = await invite_client(
        assistant, healthspace, note="See you on Monday", connectTo=[clinician.id]
    )

    # when the relay delivers it, the mail carries the inviter, the note and the link
    assert await Relay(backend_for(smtp_sink.settings())).deliver_due() == 1
    [mail] = await smtp_sink.wait_for(1)
    assert mail.recipients == ("anna.jansen@example.org",)
    assert "Praktijk De Linde" in mail.subject
    for part in (mail.text, mail.html):
        assert "Assa Assist" in part and "See you on Monday" in part
    match = TOKEN.search(mail.text)
    assert match and match.group(0).startswith("/invitations/accept?token=")
    assert f"{PUBLIC_URL}/invitations/accept?token={match.group(1)}" in mail.text
    token = match.group(1)

    # then the link previews the invitation
    preview = (await anonymous.data(PREVIEW, token=token))["invitation"]
    assert preview == {
        "kind": "CLIENT",
        "status": "PENDING",
        "firstName": "Anna",
        "lastName": "Jansen",
        "maskedEmail": "a***n@example.org",
        "note": "See you on Monday",
        "inviterName": "Assa Assist",
        "expiresAt": invitation["expiresAt"],
        "accountExists": False,
        "viewerIsInvitee": False,
        "healthspace": {"id": str(healthspace.id), "name": "Praktijk De Linde"},
    }

    # when the invitee accepts with their own last name
    accepted = await accept(anonymous, token, firstName="Anna", lastName="Jansen-Visser")

    # then they are a connected client with a verified account, and the invitation is accepted
    assert accepted["errors"] == []
    member = accepted["member"]
    assert member["kind"] == "CLIENT"
    assert member["identificationNumber"]  # generated
    assert member["connections"] == [{"staff": {"id": clinician.id}}]
    assert accepted["account"] == {
        "email": "anna.jansen@example.org",
        "firstName": "Anna",
        "lastName": "Jansen-Visser",
        "emailVerified": True,
    }
    viewer = (await execute(anonymous.http, VIEWER, token=accepted["token"]))["data"]["viewer"]
    assert viewer["memberships"] == [
        {"id": member["id"], "kind": "CLIENT", "healthspace": {"name": "Praktijk De Linde"}}
    ]
    row = await models.Invitation.get(id=invitation["id"])
    assert row.status == models.InvitationStatus.ACCEPTED
    assert str(row.accepted_member_id) == member["id"]
    assert (row.pending_key, row.next_reminder_at) == (None, None)
    assert await models.Connection.filter(
        client_id=member["id"], staff_id=clinician.id, current_key__not_isnull=True
    ).exists()
    actions = await models.AuditEvent.all().values_list("action", flat=True)
    assert {
        "INVITATION_CREATED",
        "ACCOUNT_CREATED",
        "CONNECTION_ADDED",
        "INVITATION_ACCEPTED",
    } <= set(actions)

    # and the link works only once
    again = await accept(anonymous, token)
    assert codes(again) == ["INVALID_TOKEN"]
    assert (await anonymous.data(PREVIEW, token=token))["invitation"]["status"] == "ACCEPTED"


async def test_the_invitation_names_are_the_defaults_of_a_new_account(
    assistant: Person, anonymous: Person, healthspace: models.Healthspace
) -> None:
    invitation = await invite_client(assistant, healthspace, dateOfBirth="1990-04-01")

    accepted = await accept(anonymous, await latest_token(invitation["email"]))

    assert accepted["account"]["firstName"] == "Anna"
    assert accepted["account"]["lastName"] == "Jansen"
    account = await models.Account.get(email="anna.jansen@example.org")
    assert account.date_of_birth.isoformat() == "1990-04-01"  # type: ignore[union-attr]
    assert account.password_hash and account.password_hash.startswith("$argon2id$")


async def test_a_signed_in_invitee_joins_with_the_existing_account(
    people: People, assistant: Person, outsider: Person, healthspace: models.Healthspace
) -> None:
    await invite_client(assistant, healthspace, email=outsider.email)
    token = await latest_token(outsider.email)

    preview = (await outsider.data(PREVIEW, token=token))["invitation"]
    accepted = await accept(outsider, token, password=None)

    assert (preview["accountExists"], preview["viewerIsInvitee"]) == (True, True)
    assert accepted["errors"] == []
    assert accepted["account"]["email"] == outsider.email
    assert await models.Account.filter(email=outsider.email).count() == 1
    assert await models.Member.filter(account_id=outsider.account.id).count() == 2  # type: ignore[union-attr]


async def test_an_existing_account_not_signed_in_gives_its_password(
    people: People, assistant: Person, anonymous: Person, healthspace: models.Healthspace
) -> None:
    account = await people.account("anna.jansen@example.org")
    await invite_client(assistant, healthspace)
    token = await latest_token(account.email)

    missing = await accept(anonymous, token, password=None)
    wrong = await accept(anonymous, token, password="not-the-password-1")
    right = await accept(anonymous, token, password=PASSWORD)

    assert codes(missing) == ["REQUIRED"] and missing["errors"][0]["field"] == ["password"]
    assert codes(wrong) == ["INVALID_CREDENTIALS"]
    assert right["errors"] == [] and right["token"]
    assert await models.Member.filter(account_id=account.id).count() == 1


async def test_a_signed_in_person_with_another_address_is_refused(
    assistant: Person, outsider: Person, healthspace: models.Healthspace
) -> None:
    await invite_client(assistant, healthspace)
    token = await latest_token("anna.jansen@example.org")

    refused = await accept(outsider, token)

    assert codes(refused) == ["EMAIL_MISMATCH"]
    assert refused["member"] is None and refused["token"] is None
    assert "a***n@example.org" in refused["errors"][0]["message"]
    invitation = await models.Invitation.get(email="anna.jansen@example.org")
    assert invitation.status == models.InvitationStatus.PENDING
    assert not await models.Account.filter(email="anna.jansen@example.org").exists()


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"password": None}, "REQUIRED", "password"),
        ({"password": "short"}, "WEAK_PASSWORD", "password"),
        ({"firstName": "A" * 101}, "TOO_LONG", "firstName"),
        ({"dateOfBirth": "2999-12-31"}, "INVALID", "dateOfBirth"),
    ],
)
async def test_a_new_account_needs_good_details_and_nothing_is_half_written(
    changes: dict[str, Any],
    code: str,
    field: str,
    assistant: Person,
    anonymous: Person,
    healthspace: models.Healthspace,
) -> None:
    await invite_client(assistant, healthspace)
    token = await latest_token("anna.jansen@example.org")

    refused = await accept(anonymous, token, **changes)

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [(code, [field])]
    assert not await models.Account.filter(email="anna.jansen@example.org").exists()
    assert (await models.Invitation.get()).status == models.InvitationStatus.PENDING
    assert (await accept(anonymous, token))["errors"] == []  # the link still works


async def test_unknown_tampered_and_expired_tokens_are_refused(
    assistant: Person, anonymous: Person, healthspace: models.Healthspace
) -> None:
    # given an invitation and its token
    invitation = await invite_client(assistant, healthspace)
    token = await latest_token("anna.jansen@example.org")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    # when unknown, tampered or empty tokens are used, then they are refused
    assert codes(await accept(anonymous, "no-such-token")) == ["INVALID_TOKEN"]
    assert codes(await accept(anonymous, tampered)) == ["INVALID_TOKEN"]
    assert codes(await accept(anonymous, "")) == ["INVALID_TOKEN"]
    assert (await anonymous.data(PREVIEW, token=tampered))["invitation"] is None

    # when the invitation has expired
    await models.Invitation.filter(id=invitation["id"]).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    # then its token is refused as expired
    expired = await accept(anonymous, token)

    assert codes(expired) == ["EXPIRED_TOKEN"]
    assert (await anonymous.data(PREVIEW, token=token))["invitation"]["status"] == "EXPIRED"
    assert await models.Member.filter(kind=models.MemberKind.CLIENT).count() == 0


async def test_parallel_accepts_of_one_link_create_one_membership(
    people: People, assistant: Person, healthspace: models.Healthspace
) -> None:
    await invite_client(assistant, healthspace)
    token = await latest_token("anna.jansen@example.org")
    browsers = [Person(assistant.http, None) for _ in range(6)]

    results = await asyncio.gather(*(accept(browser, token) for browser in browsers))

    assert sorted(tuple(codes(result)) for result in results) == [()] + [("INVALID_TOKEN",)] * 5
    assert await models.Account.filter(email="anna.jansen@example.org").count() == 1
    assert await models.Member.filter(kind=models.MemberKind.CLIENT).count() == 1
    assert await models.AuditEvent.filter(action="INVITATION_ACCEPTED").count() == 1


async def test_a_clinician_deactivated_meanwhile_is_skipped_not_a_failure(
    people: People,
    assistant: Person,
    clinician: Person,
    anonymous: Person,
    healthspace: models.Healthspace,
) -> None:
    leaving = await people.staff(healthspace, Role.CLINICIAN)
    await invite_client(assistant, healthspace, connectTo=[leaving.id, clinician.id])
    await models.Member.filter(id=leaving.id).update(status=models.MemberStatus.DEACTIVATED)

    accepted = await accept(anonymous, await latest_token("anna.jansen@example.org"))

    assert accepted["errors"] == []
    assert accepted["member"]["connections"] == [{"staff": {"id": clinician.id}}]
    event = await models.AuditEvent.get(action="INVITATION_ACCEPTED")
    assert event.details["connected"] == [clinician.id]
    assert event.details["skipped"] == [leaving.id]


async def test_a_staff_invitation_gives_its_roles_and_permissions(
    administrator: Person, anonymous: Person, healthspace: models.Healthspace
) -> None:
    await administrator.data(
        INVITE_STAFF,
        input=staff_input(healthspace, roles=["CLINICIAN"], permissions=["INVITE_CLIENTS"]),
    )

    accepted = await accept(anonymous, await latest_token("sam.staff@example.org"))

    member = accepted["member"]
    assert member["kind"] == "STAFF"
    assert member["roles"] == ["CLINICIAN"]
    assert member["permissions"] == ["INVITE_CLIENTS"]
    assert member["identificationNumber"] is None


async def test_someone_who_became_a_member_meanwhile_gets_already_member(
    people: People, assistant: Person, healthspace: models.Healthspace
) -> None:
    await invite_client(assistant, healthspace)
    token = await latest_token("anna.jansen@example.org")
    anna = await people.client(healthspace, email="anna.jansen@example.org")

    refused = await accept(anna, token, password=None)

    assert codes(refused) == ["ALREADY_MEMBER"]
    # Becoming a member closed the invitation (issue 7 item 6; it stayed PENDING before).
    assert (await models.Invitation.get()).status == models.InvitationStatus.WITHDRAWN


async def test_a_former_member_comes_back_through_an_invitation(
    assistant: Person, client: Person, healthspace: models.Healthspace
) -> None:
    await models.Member.filter(id=client.id).update(status=models.MemberStatus.DEACTIVATED)
    await invite_client(assistant, healthspace, email=client.email)

    accepted = await accept(client, await latest_token(client.email), password=None)

    assert accepted["errors"] == []
    assert accepted["member"]["id"] == client.id  # the same membership, its history kept
    member = await models.Member.get(id=client.id)
    assert member.status == models.MemberStatus.ACTIVE


async def test_a_closed_account_cannot_accept(
    people: People, assistant: Person, anonymous: Person, healthspace: models.Healthspace
) -> None:
    await people.account("anna.jansen@example.org", deactivated_at=datetime.now(UTC))
    await invite_client(assistant, healthspace)

    refused = await accept(
        anonymous, await latest_token("anna.jansen@example.org"), password=PASSWORD
    )

    assert codes(refused) == ["ACCOUNT_DEACTIVATED"]
    assert await models.Member.filter(kind=models.MemberKind.CLIENT).count() == 0


async def test_create_healthspace_invites_its_first_administrator(
    db: str,
    anonymous: Person,
    settings: Settings,
    smtp_sink: SmtpSink,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # when the command line creates a Healthspace for a first administrator
    assert await commands.create_healthspace(settings, "Kliniek Oost", "Boss@Example.org") == 0

    # then nobody is a member yet, and the printed link and the mail carry one token
    printed = capsys.readouterr().out
    healthspace = await models.Healthspace.get(name="Kliniek Oost")
    invitation = await models.Invitation.get(healthspace_id=healthspace.id)
    assert (invitation.kind, invitation.roles) == ("STAFF", ["ADMINISTRATOR"])
    assert await models.Member.filter(healthspace_id=healthspace.id).count() == 0
    await Relay(backend_for(smtp_sink.settings())).deliver_due()
    [mail] = await smtp_sink.wait_for(1)
    match = TOKEN.search(mail.text)
    assert match and f"{PUBLIC_URL}/invitations/accept?token={match.group(1)}" in printed
    assert "Carespace invites you to Kliniek Oost" in mail.subject

    # when the invitee accepts
    accepted = await accept(anonymous, match.group(1), firstName="Bea", lastName="Baas")

    # then they are its administrator
    assert accepted["errors"] == []
    assert accepted["member"]["roles"] == ["ADMINISTRATOR"]
    assert accepted["member"]["email"] == "boss@example.org"
    assert await models.AuditEvent.filter(
        healthspace_id=healthspace.id, action="INVITATION_CREATED"
    ).exists()


async def test_joining_by_invitation_closes_the_own_pending_join_request(
    assistant: Person, outsider: Person, healthspace: models.Healthspace
) -> None:
    assert outsider.account is not None
    request = await models.JoinRequest.create(
        healthspace=healthspace,
        account=outsider.account,
        pending_key=f"{healthspace.id}:{outsider.account.id}",
    )
    await invite_client(assistant, healthspace, email=outsider.email)

    accepted = await accept(outsider, await latest_token(outsider.email), password=None)

    assert accepted["errors"] == []
    await request.refresh_from_db()
    assert request.status == models.JoinRequestStatus.CANCELLED
    assert request.pending_key is None
