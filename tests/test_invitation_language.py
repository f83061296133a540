"""Issue 9: one home for the invitee's mail language. An invitee with an account gets their
account's language; one without gets the language decided when invited (the inviter's) and
kept on the invitation, so the invitation, its reminders and a resend always agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import People, Person
from documents import RESEND
from helpers import invite_client

import models
from domain.invitations import language_when_invited, mail_language
from domain.reminders import sweep
from permissions.roles import Permission, Role
from schema.settings import Settings

DUTCH_INVITATION = "nodigt je uit voor"
DUTCH_REMINDER = "Herinnering: je uitnodiging"


def test_without_an_account_the_inviters_language_is_kept() -> None:
    dutch = models.Account(language="nl")
    invitation = models.Invitation(language=language_when_invited(None, dutch))

    assert invitation.language == "nl"
    assert mail_language(invitation, None) == "nl"


def test_with_an_account_the_accounts_language_wins() -> None:
    dutch, english = models.Account(language="nl"), models.Account(language="en")
    invitation = models.Invitation(language=language_when_invited(english, dutch))

    assert invitation.language == "en"
    # Even when the invitee signs up, or changes their language, after being invited.
    assert mail_language(models.Invitation(language="nl"), "en") == "en"
    assert mail_language(models.Invitation(language="en"), "nl") == "nl"


def test_the_command_line_invites_in_english() -> None:
    assert language_when_invited(None, None) == "en"


async def _dutch_clinician(people: People, healthspace: models.Healthspace) -> Person:
    return await people.staff(
        healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS], language="nl"
    )


async def _mails(template: str) -> list[models.OutboxMessage]:
    return await models.OutboxMessage.filter(template=template).order_by("created_at")


async def test_invitation_reminder_and_resend_agree_for_someone_without_an_account(
    people: People, assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    # given: a Dutch-speaking clinician invites someone without an account
    clinician = await _dutch_clinician(people, healthspace)
    invitation = await invite_client(clinician, healthspace)
    [invited] = await _mails("invitation")
    assert DUTCH_INVITATION in invited.subject

    # when: the sweep reminds, and an English-speaking assistant resends
    sent = datetime.fromisoformat(invitation["lastSentAt"])
    assert (await sweep(settings, now=sent + timedelta(days=3))).reminded == 1
    await models.Invitation.filter(id=invitation["id"]).update(
        last_sent_at=datetime.now(UTC) - timedelta(hours=1)
    )
    resent = await assistant.data(RESEND, id=invitation["id"])
    assert resent["resendInvitation"]["errors"] == []

    # then: every mail is in Dutch
    [reminder] = await _mails("invitation_reminder")
    assert reminder.subject.startswith(DUTCH_REMINDER)
    _first, again = await _mails("invitation")
    assert DUTCH_INVITATION in again.subject
    assert (await models.Invitation.get(id=invitation["id"])).language == "nl"


async def test_someone_with_an_account_gets_their_own_language_throughout(
    people: People, assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    await people.account("anna.jansen@example.org", language="en")
    clinician = await _dutch_clinician(people, healthspace)
    invitation = await invite_client(clinician, healthspace)

    sent = datetime.fromisoformat(invitation["lastSentAt"])
    assert (await sweep(settings, now=sent + timedelta(days=3))).reminded == 1

    [invited] = await _mails("invitation")
    [reminder] = await _mails("invitation_reminder")
    assert "invites you to" in invited.subject
    assert reminder.subject.startswith("Reminder:")


async def test_a_roster_keeps_the_inviters_language_for_its_reminders(
    people: People, healthspace: models.Healthspace, settings: Settings
) -> None:
    clinician = await _dutch_clinician(people, healthspace)
    result = await clinician.data(
        """mutation R($input: InviteRosterInput!) { inviteRoster(input: $input) {
             rows { outcome } errors { code } } }""",
        input={"healthspaceId": str(healthspace.id), "roster": "a@example.org\nb@example.org"},
    )
    assert result["inviteRoster"]["errors"] == []

    later = datetime.now(UTC) + timedelta(days=3, minutes=1)
    assert (await sweep(settings, now=later)).reminded == 2

    assert [row.language for row in await models.Invitation.all()] == ["nl", "nl"]
    reminders = await _mails("invitation_reminder")
    assert all(mail.subject.startswith(DUTCH_REMINDER) for mail in reminders)
