"""What people type: email addresses (internationalised ones included, one stored ASCII form)
and text (no control or text-direction characters; line breaks only where text has lines), in
every place that takes them, and mail that no text can break."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, People, Person
from helpers import client_input
from helpers import coded_fields as problems
from live_server import rows, run_server
from smtp_sink import SmtpSink

import models
from domain.errors import DomainError, ErrorCode
from domain.roster_lines import parse_line
from domain.validation import normalized_email, require_email, require_text
from mailer.relay import Relay, SmtpBackend
from permissions.roles import Role

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    account { id email firstName lastName }
    errors { field code message }
  }
}
"""

SIGN_IN = """
mutation SignIn($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { account { id email } errors { code } }
}
"""

REQUEST_PASSWORD_RESET = """
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { ok errors { field code } }
}
"""

UPDATE_ACCOUNT = """
mutation UpdateAccount($input: UpdateAccountInput!) {
  updateAccount(input: $input) { account { firstName lastName } errors { field code message } }
}
"""

INVITE_CLIENT = """
mutation InviteClient($input: InviteClientInput!) {
  inviteClient(input: $input) {
    invitation { id email firstName lastName note identificationNumber }
    errors { field code message }
  }
}
"""

INVITE_STAFF = """
mutation InviteStaff($input: InviteStaffInput!) {
  inviteStaff(input: $input) { invitation { id email } errors { field code message } }
}
"""

INVITE_ROSTER = """
mutation InviteRoster($input: InviteRosterInput!) {
  inviteRoster(input: $input) {
    rows { line email outcome message }
    errors { field code message }
  }
}
"""

MEMBER_LOOKUP = """
query Lookup($healthspaceId: ID!, $email: String!) {
  memberLookup(healthspaceId: $healthspaceId, email: $email) { email status member { id } }
}
"""

UPDATE_HEALTHSPACE = """
mutation UpdateHealthspace($input: UpdateHealthspaceInput!) {
  updateHealthspace(input: $input) {
    healthspace { name description welcomeText address openingHours }
    errors { field code message }
  }
}
"""

UPDATE_MEMBER = """
mutation UpdateMember($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { identificationNumber } errors { field code } }
}
"""

REQUEST_TO_JOIN = """
mutation RequestToJoin($healthspaceId: ID!, $message: String) {
  requestToJoin(healthspaceId: $healthspaceId, message: $message) {
    joinRequest { id message }
    errors { field code }
  }
}
"""

REJECT = """
mutation Reject($id: ID!, $reason: String) {
  rejectJoinRequest(id: $id, reason: $reason) { joinRequest { reason } errors { field code } }
}
"""

UNICODE_FORM = "anna@münchen.de"
ASCII_FORM = "anna@xn--mnchen-3ya.de"

# One-line text may hold none of these; multi-line text none but the line breaks.
LINE_BREAKS = ["\n", "\r\n", "\r"]
NEVER = [
    "\x00",  # NUL
    "\t",
    "\x1b",  # escape
    "\x7f",  # delete
    "\x85",  # next line (C1)
    "\u2028",  # line separator
    "\u202e",  # right-to-left override
    "\u202a",  # left-to-right embedding
    "\u2066",  # left-to-right isolate
    "\u2069",  # pop directional isolate
    "\u200f",  # right-to-left mark
    "\ud800",  # a lone surrogate
]


def sign_up_input(**changes: Any) -> dict[str, Any]:
    return {
        "email": "ann@example.org",
        "password": PASSWORD,
        "firstName": "Ann",
        "lastName": "Smith",
        "language": "EN",
    } | changes


# --- email addresses: one function, every place ------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("ivan@example.xn--p1ai", "ivan@example.xn--p1ai"),
        ("ivan@example.рф", "ivan@example.xn--p1ai"),
        (UNICODE_FORM, ASCII_FORM),
        ("Anna@MÜNCHEN.de", ASCII_FORM),
        (" Anna@XN--MNCHEN-3YA.DE ", ASCII_FORM),
        ("Ann.Smith+care@Example.ORG", "ann.smith+care@example.org"),
    ],
)
def test_an_address_is_stored_lower_case_in_its_ascii_form(written: str, stored: str) -> None:
    assert normalized_email(written) == stored
    assert require_email(written) == stored


@pytest.mark.parametrize(
    "written",
    [
        "",
        "anna",
        "anna@example",  # no dot in the domain
        "anna@localhost",  # special-use names no mail reaches
        "anna@clinic.local",
        "ännä@example.org",  # no ASCII form to store
        "anna..jansen@example.org",
        ".anna@example.org",
        '"anna jansen"@example.org',
        "anna@[192.0.2.1]",
        "Anna <anna@example.org>",
        "anna@exam_ple.org",
        "anna\x00@example.org",
        "anna@example.org\r\nBcc: all@example.org",
        "a" * 60 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".org",  # over 254
    ],
)
def test_an_unusable_address_is_refused(written: str) -> None:
    assert normalized_email(written) is None
    with pytest.raises(DomainError) as raised:
        require_email(written, "email")
    assert [(p.code, p.field) for p in raised.value.problems] == [
        (ErrorCode.INVALID_EMAIL, ("email",))
    ]


async def test_international_addresses_sign_up_and_are_one_account(anonymous: Person) -> None:
    # Given two sign-ups with internationalised domains
    russian = (await anonymous.data(SIGN_UP, input=sign_up_input(email="ivan@example.xn--p1ai")))[
        "signUp"
    ]
    german = (await anonymous.data(SIGN_UP, input=sign_up_input(email=UNICODE_FORM)))["signUp"]

    # Then both are accounts, stored in ASCII form
    assert russian["errors"] == [] and russian["account"]["email"] == "ivan@example.xn--p1ai"
    assert german["errors"] == [] and german["account"]["email"] == ASCII_FORM
    assert await models.Account.filter(email=ASCII_FORM).count() == 1

    # And the ASCII form is the same person: no second account (the owner is mailed instead,
    # issue 12 item 4), and it signs in to the same account
    again = (await anonymous.data(SIGN_UP, input=sign_up_input(email=ASCII_FORM.upper())))["signUp"]
    assert problems(again) == []
    assert await models.Account.filter(email=ASCII_FORM).count() == 1
    assert await models.OutboxMessage.filter(to_address=ASCII_FORM).count() == 2
    for written in (UNICODE_FORM, ASCII_FORM, "ANNA@MÜNCHEN.DE"):
        signed_in = (await anonymous.data(SIGN_IN, email=written, password=PASSWORD))["signIn"]
        assert signed_in["account"] == {"id": german["account"]["id"], "email": ASCII_FORM}


async def test_a_password_reset_reaches_the_ascii_address(
    people: People, anonymous: Person
) -> None:
    await people.account(ASCII_FORM)

    result = await anonymous.data(REQUEST_PASSWORD_RESET, email=UNICODE_FORM)
    assert result["requestPasswordReset"] == {"ok": True, "errors": []}
    assert await models.OutboxMessage.filter(to_address=ASCII_FORM).count() == 1


async def test_invitations_roster_and_look_up_use_the_ascii_form(
    people: People, healthspace: models.Healthspace, administrator: Person
) -> None:
    # Given an invitation written in the Unicode form
    invited = (
        await administrator.data(INVITE_CLIENT, input=client_input(healthspace, email=UNICODE_FORM))
    )["inviteClient"]
    assert invited["errors"] == [] and invited["invitation"]["email"] == ASCII_FORM
    assert await models.OutboxMessage.filter(to_address=ASCII_FORM).count() == 1

    # Then the ASCII form is the same person, for single invitations and in a roster
    again = (
        await administrator.data(INVITE_CLIENT, input=client_input(healthspace, email=ASCII_FORM))
    )["inviteClient"]
    assert problems(again) == [("ALREADY_INVITED", ["email"])]
    roster = (
        await administrator.data(
            INVITE_ROSTER,
            input={
                "healthspaceId": str(healthspace.id),
                "roster": f"{ASCII_FORM}\nivan@example.рф\nboris@пример.рф",
            },
        )
    )["inviteRoster"]
    assert [(row["email"], row["outcome"]) for row in roster["rows"]] == [
        (ASCII_FORM, "ALREADY_INVITED"),
        ("ivan@example.xn--p1ai", "SENT"),
        ("boris@xn--e1afmkfd.xn--p1ai", "SENT"),
    ]
    staff = (
        await administrator.data(
            INVITE_STAFF,
            input={
                "healthspaceId": str(healthspace.id),
                "email": "Sam@Klinik-Müller.de",
                "firstName": "Sam",
                "lastName": "Staff",
                "roles": ["CLINICIAN"],
            },
        )
    )["inviteStaff"]
    assert staff["invitation"]["email"] == "sam@xn--klinik-mller-klb.de"

    # And a member with the ASCII address is found by the Unicode form
    member = await people.client(healthspace, email="eva@xn--mnchen-3ya.de")
    found = (
        await administrator.data(
            MEMBER_LOOKUP, healthspaceId=str(healthspace.id), email="Eva@München.de"
        )
    )["memberLookup"]
    assert found["status"] == "ACTIVE_MEMBER" and found["member"]["id"] == member.id
    assert found["email"] == "eva@xn--mnchen-3ya.de"


@pytest.mark.parametrize("email", ["ännä@example.org", "anna@localhost"])
async def test_an_address_without_a_usable_form_is_refused_everywhere(
    email: str, anonymous: Person, administrator: Person, healthspace: models.Healthspace
) -> None:
    signed_up = (await anonymous.data(SIGN_UP, input=sign_up_input(email=email)))["signUp"]
    invited = (
        await administrator.data(INVITE_CLIENT, input=client_input(healthspace, email=email))
    )["inviteClient"]

    assert problems(signed_up) == [("INVALID_EMAIL", ["email"])]
    assert problems(invited) == [("INVALID_EMAIL", ["email"])]
    assert await models.Invitation.all().count() == 0


# --- text: one-line and multi-line -------------------------------------------------------------


@pytest.mark.parametrize("char", NEVER + LINE_BREAKS)
def test_one_line_text_refuses_control_and_direction_characters(char: str) -> None:
    with pytest.raises(DomainError) as raised:
        require_text(f"Ann{char}Smith", "firstName", max_length=100)

    [problem] = raised.value.problems
    assert (problem.code, problem.field) == (ErrorCode.INVALID_CHARACTERS, ("firstName",))
    assert f"U+{ord(char[0]):04X}" in problem.message


@pytest.mark.parametrize("char", NEVER)
def test_multi_line_text_refuses_every_control_character_but_line_breaks(char: str) -> None:
    with pytest.raises(DomainError) as raised:
        require_text(f"line{char}one\nline two", "note", max_length=100, multiline=True)

    assert raised.value.problems[0].code == ErrorCode.INVALID_CHARACTERS


def test_multi_line_text_keeps_its_line_breaks_as_line_feeds() -> None:
    text = "First line\r\nsecond\rthird\n\nfourth"

    assert require_text(text, "note", max_length=100, multiline=True) == (
        "First line\nsecond\nthird\n\nfourth"
    )


@pytest.mark.parametrize(
    "name", ["Zoë O'Brien-Müller", "Çelik", "محمد", "יעל", "李小龙", "Nguyễn Văn A", "Ann 👩‍⚕️"]
)
def test_names_in_any_script_are_fine(name: str) -> None:
    assert require_text(name, "firstName", max_length=100) == name


@pytest.mark.parametrize("char", ["\x00", "\r\n", "\t", "\u202e", "\u2067"])
@pytest.mark.parametrize("field", ["firstName", "lastName"])
async def test_sign_up_refuses_control_characters_in_names(
    anonymous: Person, field: str, char: str
) -> None:
    result = await anonymous.data(SIGN_UP, input=sign_up_input(**{field: f"Ann{char}x"}))

    assert problems(result["signUp"]) == [("INVALID_CHARACTERS", [field])]
    assert await models.Account.all().count() == 0
    assert await models.OutboxMessage.all().count() == 0


async def test_account_names_refuse_control_characters(client: Person) -> None:
    result = await client.data(UPDATE_ACCOUNT, input={"lastName": "Evil\u202egnp.exe"})

    assert problems(result["updateAccount"]) == [("INVALID_CHARACTERS", ["lastName"])]
    account = await models.Account.get(id=client.account.id)  # type: ignore[union-attr]
    assert account.last_name == "Client"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"firstName": "Anna\x00"}, "firstName"),
        ({"lastName": "Jan\nsen"}, "lastName"),
        ({"identificationNumber": "PAT\t1"}, "identificationNumber"),
        ({"note": "Welcome\x00"}, "note"),
        ({"note": "Welcome\u202eevil"}, "note"),
    ],
)
async def test_an_invitation_refuses_control_characters(
    administrator: Person, healthspace: models.Healthspace, changes: dict[str, str], field: str
) -> None:
    result = await administrator.data(INVITE_CLIENT, input=client_input(healthspace, **changes))

    assert problems(result["inviteClient"]) == [("INVALID_CHARACTERS", [field])]
    assert await models.Invitation.all().count() == 0
    assert await models.OutboxMessage.all().count() == 0


async def test_an_invitation_note_keeps_its_lines(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    result = (
        await administrator.data(
            INVITE_CLIENT,
            input=client_input(healthspace, note="Dear Anna,\r\nsee you Monday.\r\n\r\nAda"),
        )
    )["inviteClient"]

    assert result["errors"] == []
    assert result["invitation"]["note"] == "Dear Anna,\nsee you Monday.\n\nAda"


async def test_an_identification_number_refuses_control_characters(
    administrator: Person, client: Person
) -> None:
    result = await administrator.data(
        UPDATE_MEMBER, input={"memberId": client.id, "identificationNumber": "PAT\x001"}
    )

    assert problems(result["updateMember"]) == [("INVALID_CHARACTERS", ["identificationNumber"])]
    assert (await models.Member.get(id=client.id)).identification_number != "PAT\x001"


async def test_healthspace_texts_are_one_line_or_multi_line(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    # When a one-line name gets a line break, and multi-line texts get lines
    refused = (
        await administrator.data(
            UPDATE_HEALTHSPACE,
            input={
                "healthspaceId": str(healthspace.id),
                "name": "Praktijk\r\nBcc: all@example.org",
            },
        )
    )["updateHealthspace"]
    accepted = (
        await administrator.data(
            UPDATE_HEALTHSPACE,
            input={
                "healthspaceId": str(healthspace.id),
                "description": "General practice\r\nand physiotherapy",
                "welcomeText": "Welcome!\n\nWe are glad you are here.",
                "address": "Lindelaan 1\n1234 AB Utrecht",
                "openingHours": "Mon-Fri 8-17\nSat 9-12",
            },
        )
    )["updateHealthspace"]
    bidi = (
        await administrator.data(
            UPDATE_HEALTHSPACE,
            input={"healthspaceId": str(healthspace.id), "welcomeText": "Welcome\u202e!"},
        )
    )["updateHealthspace"]

    # Then the name is refused and unchanged, the lines are kept, a bidi override refused
    assert problems(refused) == [("INVALID_CHARACTERS", ["name"])]
    assert accepted["errors"] == []
    assert accepted["healthspace"] == {
        "name": "Praktijk De Linde",
        "description": "General practice\nand physiotherapy",
        "welcomeText": "Welcome!\n\nWe are glad you are here.",
        "address": "Lindelaan 1\n1234 AB Utrecht",
        "openingHours": "Mon-Fri 8-17\nSat 9-12",
    }
    assert problems(bidi) == [("INVALID_CHARACTERS", ["welcomeText"])]
    assert (await models.Healthspace.get(id=healthspace.id)).name == "Praktijk De Linde"


async def test_join_request_messages_and_reasons_keep_lines_but_no_control_characters(
    people: People, healthspace: models.Healthspace, assistant: Person
) -> None:
    # given a findable Healthspace and someone asking to join
    healthspace.findable = True
    await healthspace.save()
    asker = await people.signed_in(await people.account("asker@example.org"))

    # when a message and a reason carry line breaks or control characters
    refused = (
        await asker.data(
            REQUEST_TO_JOIN, healthspaceId=str(healthspace.id), message="Hello\x00there"
        )
    )["requestToJoin"]
    asked = (
        await asker.data(
            REQUEST_TO_JOIN, healthspaceId=str(healthspace.id), message="Hello,\r\nI am new here."
        )
    )["requestToJoin"]
    bad_reason = (
        await assistant.data(REJECT, id=asked["joinRequest"]["id"], reason="Full\x1b[31m")
    )["rejectJoinRequest"]
    rejected = (
        await assistant.data(
            REJECT, id=asked["joinRequest"]["id"], reason="We are full.\nTry again in May."
        )
    )["rejectJoinRequest"]

    # then line breaks are kept and control characters refused
    assert problems(refused) == [("INVALID_CHARACTERS", ["message"])]
    assert asked["joinRequest"]["message"] == "Hello,\nI am new here."
    assert problems(bad_reason) == [("INVALID_CHARACTERS", ["reason"])]
    assert rejected == {
        "joinRequest": {"reason": "We are full.\nTry again in May."},
        "errors": [],
    }


def test_a_roster_line_with_a_control_character_is_invalid() -> None:
    (line,) = parse_line(3, "Ann\x00 Smith <ann@example.org>, hello")

    assert line.problem is not None and "U+0000" in line.problem
    assert "\x00" not in line.email
    # A tab is a column separator, not a refused character
    assert parse_line(4, "ann@example.org\tsee you")[0].note == "see you"


async def test_a_roster_with_a_control_character_invites_the_other_lines(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    # when a roster has a bidi override in one line and a NUL in another
    result = (
        await administrator.data(
            INVITE_ROSTER,
            input={
                "healthspaceId": str(healthspace.id),
                "roster": "Evil\u202e Name <evil@example.org>\nann@example.org, hello\x00",
                "defaultNote": "Welcome",
            },
        )
    )["inviteRoster"]

    # then both lines are invalid, a bad default note is refused, and nobody is invited
    assert [(row["line"], row["outcome"]) for row in result["rows"]] == [
        (1, "INVALID"),
        (2, "INVALID"),
    ]
    bad_default = (
        await administrator.data(
            INVITE_ROSTER,
            input={
                "healthspaceId": str(healthspace.id),
                "roster": "bob@example.org",
                "defaultNote": "Hi\x07",
            },
        )
    )["inviteRoster"]
    assert problems(bad_default) == [("INVALID_CHARACTERS", ["defaultNote"])]
    assert await models.Invitation.all().count() == 0


# --- mail that no text can break ---------------------------------------------------------------


async def test_a_healthspace_name_can_no_longer_break_later_mails(
    smtp_sink: SmtpSink, administrator: Person, healthspace: models.Healthspace
) -> None:
    # Given an administrator who tries to give the Healthspace a name with a header in it
    renamed = (
        await administrator.data(
            UPDATE_HEALTHSPACE,
            input={
                "healthspaceId": str(healthspace.id),
                "name": "De Linde\r\nBcc: all@example.org",
            },
        )
    )["updateHealthspace"]
    assert problems(renamed) == [("INVALID_CHARACTERS", ["name"])]

    # When clients are invited afterwards
    for email in ("one@example.org", "two@example.org"):
        invited = (
            await administrator.data(INVITE_CLIENT, input=client_input(healthspace, email=email))
        )["inviteClient"]
        assert invited["errors"] == []
    relay = Relay(SmtpBackend(smtp_sink.settings()))
    delivered = await relay.deliver_due()
    await relay.backend.close()

    # Then every mail goes out, to its one recipient, with the name in its subject
    assert delivered == 2
    assert sorted(m.recipients for m in smtp_sink.messages) == [
        ("one@example.org",),
        ("two@example.org",),
    ]
    assert {m.subject for m in smtp_sink.messages} == {
        "Ada Admin invites you to Praktijk De Linde on Carespace"
    }


async def test_a_name_stored_before_the_rule_still_cannot_break_a_mail(
    smtp_sink: SmtpSink, people: People, healthspace: models.Healthspace
) -> None:
    # Given a name with an escape and a line break that reached the database some other way
    inviter = await people.staff(
        healthspace, Role.ADMINISTRATOR, first_name="Ada\x1b", last_name="Admin\r\nBcc: x@e.org"
    )

    # When that person invites someone
    invited = (await inviter.data(INVITE_CLIENT, input=client_input(healthspace)))["inviteClient"]
    assert invited["errors"] == []
    relay = Relay(SmtpBackend(smtp_sink.settings()))
    delivered = await relay.deliver_due()
    await relay.backend.close()

    # Then the mail goes out with the text in one Subject line: no escape, no Bcc header
    assert delivered == 1
    [received] = smtp_sink.messages
    assert received.recipients == ("anna.jansen@example.org",)
    assert received.message["Bcc"] is None
    assert b"\x1b" not in received.data.split(b"\r\n\r\n", 1)[0]
    assert received.subject.startswith("Ada  Admin  Bcc: x@e.org invites you to")


def test_the_command_line_takes_the_same_addresses_and_names(tmp_path: Path) -> None:
    refused = run_server(tmp_path, "create-healthspace", "Kliniek\u202eevil", "ada@example.org")
    created = run_server(tmp_path, "create-healthspace", "Kliniek Müller", "Ada@Müller.de")

    assert refused.returncode == 2
    assert "control or text-direction characters" in refused.stdout
    assert created.returncode == 0, created.stderr
    assert rows(tmp_path, "SELECT name FROM healthspace") == [("Kliniek Müller",)]
    assert rows(tmp_path, "SELECT email FROM invitation") == [("ada@xn--mller-kva.de",)]


async def test_a_nul_or_lone_surrogate_in_a_sign_in_is_wrong_credentials(
    anonymous: Person,
) -> None:
    for email in ("ann\x00@example.org", "ann\ud800@example.org"):
        # json.dumps writes the lone surrogate as the escape a client may send
        body = json.dumps({"query": SIGN_IN, "variables": {"email": email, "password": "x"}})
        response = await anonymous.http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )

        assert response.json()["data"]["signIn"] == {
            "account": None,
            "errors": [{"code": "INVALID_CREDENTIALS"}],
        }
    assert await models.AuditEvent.filter(action="SIGN_IN").count() == 2
