"""A client connected on acceptance is told who their clinicians are: the connection mail, as
the README says."""

from __future__ import annotations

from conftest import Person
from helpers import accept, invitation_token, invite_client
from smtp_sink import SmtpSink

import models
from mailer.relay import Relay, backend_for
from permissions.roles import Role


async def test_the_client_connected_on_acceptance_gets_the_names_of_their_clinicians(
    assistant: Person,
    clinician: Person,
    people: object,
    anonymous: Person,
    healthspace: models.Healthspace,
    smtp_sink: SmtpSink,
) -> None:
    # given an invitation naming two clinicians
    second = await people.staff(healthspace, Role.CLINICIAN, first_name="Bram", last_name="Bos")  # type: ignore[attr-defined]
    await invite_client(assistant, healthspace, connectTo=[clinician.id, second.id])
    relay = Relay(backend_for(smtp_sink.settings()))
    assert await relay.deliver_due() == 1
    [invitation_mail] = await smtp_sink.wait_for(1)
    token = invitation_token(invitation_mail.text)

    # when the client accepts
    accepted = await accept(anonymous, token)
    assert accepted["errors"] == []

    # then one mail tells them both clinicians' names
    assert await relay.deliver_due() == 1
    [_, mail] = await smtp_sink.wait_for(2)
    assert mail.recipients == ("anna.jansen@example.org",)
    assert clinician.account is not None
    for name in (f"{clinician.account.first_name} {clinician.account.last_name}", "Bram Bos"):
        assert name in mail.text
    assert "Praktijk De Linde" in mail.subject


async def test_no_connection_mail_when_nobody_is_connected(
    assistant: Person,
    anonymous: Person,
    healthspace: models.Healthspace,
    smtp_sink: SmtpSink,
) -> None:
    await invite_client(assistant, healthspace, connectTo=[])
    relay = Relay(backend_for(smtp_sink.settings()))
    assert await relay.deliver_due() == 1
    [invitation_mail] = await smtp_sink.wait_for(1)
    token = invitation_token(invitation_mail.text)

    assert (await accept(anonymous, token))["errors"] == []

    assert await relay.deliver_due() == 0
