"""Roster invitations end to end: roster → outbox → a real SMTP server → link → accept; the
invitations a bulk run writes are whole invitations; concurrent runs invite each person once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from conftest import Person
from documents import INVITE_ROSTER_COUNTS
from helpers import invitation_token as token_in
from helpers import invite_roster as invite
from smtp_sink import SmtpSink

import models
from domain import roster as roster_module
from mailer.relay import Relay, backend_for
from permissions.tokens import hash_token

ACCEPT = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    member { id kind email connections { staff { id } } }
    errors { field code message }
  }
}
"""


async def test_roster_mail_link_accept_makes_connected_members(
    assistant: Person,
    clinician: Person,
    anonymous: Person,
    healthspace: models.Healthspace,
    smtp_sink: SmtpSink,
) -> None:
    # given a roster with a personal note for one line and a default for the other
    await invite(
        assistant,
        "Anna de Wit <anna@example.org>, Tot maandag!\nbob@example.org",
        defaultNote="Welcome to our practice",
        connectTo=[clinician.id],
    )

    # when the relay delivers the mails, each carries its note and a link
    assert await Relay(backend_for(smtp_sink.settings())).deliver_due() == 2
    mails = {mail.recipients[0]: mail for mail in await smtp_sink.wait_for(2)}

    anna = mails["anna@example.org"]
    assert healthspace.name in anna.subject
    assert "Hello Anna," in anna.text
    assert "Tot maandag!" in anna.text and "Welcome to our practice" not in anna.text
    assert "Assa Assist" in anna.text
    assert "Welcome to our practice" in mails["bob@example.org"].text
    assert token_in(anna.text) in anna.html

    # when Anna accepts through her link
    accepted = (
        await anonymous.data(
            ACCEPT,
            input={"token": token_in(anna.text), "password": "a-fresh-horse-51"},
        )
    )["acceptInvitation"]

    # then she is a client connected to the clinician, named as in the roster
    assert accepted["errors"] == []
    assert accepted["member"]["kind"] == "CLIENT"
    assert accepted["member"]["email"] == "anna@example.org"
    assert accepted["member"]["connections"] == [{"staff": {"id": clinician.id}}]
    account = await models.Account.get(email="anna@example.org")
    assert (account.first_name, account.last_name) == ("Anna", "de Wit")


async def test_every_invitation_of_a_run_is_whole(
    administrator: Person, clinician: Person, healthspace: models.Healthspace
) -> None:
    """Bulk runs build invitations from one made by new_invitation: each must still carry its
    own token (the one in its mail), its own pending key, and the shared rules."""
    # given a roster run of three addresses
    roster = "a@example.org\nb@example.org, Own note\nc@example.org"
    payload = await invite(
        administrator,
        roster,
        query=INVITE_ROSTER_COUNTS,
        defaultNote="Hi",
        connectTo=[clinician.id],
    )

    # then each invitation is whole: its own token and key, and the shared rules
    invitations = await models.Invitation.all().order_by("email")
    mails = {m.to_address: m for m in await models.OutboxMessage.all()}
    assert [(i.email, i.note) for i in invitations] == [
        ("a@example.org", "Hi"),
        ("b@example.org", "Own note"),
        ("c@example.org", "Hi"),
    ]
    assert len({i.id for i in invitations}) == len({i.token_hash for i in invitations}) == 3
    for invitation in invitations:
        token = token_in(mails[invitation.email].text_body)
        assert hash_token(token) == invitation.token_hash
        assert token in mails[invitation.email].html_body
        assert invitation.pending_key == f"{healthspace.id}:{invitation.email}"
        assert invitation.status == models.InvitationStatus.PENDING
        assert invitation.kind == models.MemberKind.CLIENT
        assert invitation.connect_to == [clinician.id]
        assert str(invitation.invited_by_id) == administrator.id
        assert str(invitation.batch_id) == payload["batch"]["id"]
        assert invitation.expires_at - invitation.created_at == timedelta(days=30)
        assert invitation.next_reminder_at is not None
        assert invitation.next_reminder_at - invitation.created_at == timedelta(days=3)
    shared = [
        {
            k: v
            for k, v in vars(i).items()
            if k not in {"id", "email", "note", "token_hash", "pending_key"}
            and not k.startswith("_")
        }
        for i in invitations
    ]
    assert shared[0] == shared[1] == shared[2]


async def test_concurrent_runs_of_one_roster_invite_each_person_once(
    administrator: Person, assistant: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both runs read before either writes: one of them collides on the pending invitations
    the other wrote, reads again and reports those people as ALREADY_INVITED."""
    # given two runs of one roster that both read before either writes
    roster = "\n".join(f"p{i}@example.org" for i in range(40))
    look_up = roster_module._look_up
    both_read = asyncio.Barrier(2)
    calls = 0

    async def racing_look_up(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        known = await look_up(*args)
        if calls <= 2:
            await both_read.wait()
        return known

    monkeypatch.setattr(roster_module, "_look_up", racing_look_up)

    # when they run at once
    first, second = await asyncio.gather(
        invite(administrator, roster, query=INVITE_ROSTER_COUNTS),
        invite(assistant, roster, query=INVITE_ROSTER_COUNTS),
    )

    # then each person is invited and mailed once
    assert calls == 3  # the run that collided read once more
    assert first["errors"] == second["errors"] == []
    assert first["ready"] + second["ready"] == 40
    per_person = Counter(row["outcome"] for payload in (first, second) for row in payload["rows"])
    assert per_person == {"SENT": 40, "ALREADY_INVITED": 40}
    mailed = Counter(await models.OutboxMessage.all().values_list("to_address", flat=True))
    assert len(mailed) == 40 and set(mailed.values()) == {1}
    assert await models.Invitation.all().count() == 40
