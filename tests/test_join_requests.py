"""Join requests through the API: finding a Healthspace, asking to join, approving and rejecting
(with the mail read from a real SMTP server), cancelling, and the bad cases."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import People, Person
from documents import APPROVE_JOIN_REQUEST as APPROVE
from documents import JOIN_REQUEST_FIELDS as REQUEST_FIELDS
from documents import REQUEST_TO_JOIN
from helpers import coded_fields as codes
from helpers import deliver, payload
from smtp_sink import SmtpSink

import models
from domain.members import add_member

HEALTHSPACES = """
query Find($search: String) { healthspaces(search: $search) { nodes { id name } totalCount } }
"""

REJECT = f"""
mutation Reject($id: ID!, $reason: String) {{
  rejectJoinRequest(id: $id, reason: $reason) {{
    joinRequest {{ {REQUEST_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

CANCEL = """
mutation Cancel($id: ID!) {
  cancelJoinRequest(id: $id) {
    joinRequest { id status }
    errors { field code message }
  }
}
"""

JOIN_REQUESTS = """
query JoinRequests($id: ID!, $status: JoinRequestStatus) {
  healthspace(id: $id) {
    joinRequests(status: $status) {
      nodes { id status message firstName lastName email decidedBy { id } }
      totalCount
    }
  }
}
"""

MY_JOIN_REQUESTS = """
query Mine($status: JoinRequestStatus) {
  myJoinRequests(status: $status) {
    nodes { id status reason decidedBy { id } healthspace { name } }
    totalCount
  }
}
"""

VIEWER_MEMBER = """
query ViewerMember($id: ID!) { healthspace(id: $id) { viewerMember { id kind status } } }
"""


@pytest.fixture
async def findable(healthspace: models.Healthspace) -> models.Healthspace:
    healthspace.findable = True
    await healthspace.save(update_fields=["findable"])
    return healthspace


@pytest.fixture
async def applicant(people: People) -> Person:
    """Someone with a verified account who is not a member anywhere."""
    account = await people.account("anna.jansen@example.org", first_name="Anna", last_name="Jansen")
    return await people.signed_in(account, label="applicant")


async def ask(person: Person, healthspace: models.Healthspace, message: str | None = None) -> str:
    result = payload(
        await person(REQUEST_TO_JOIN, healthspaceId=str(healthspace.id), message=message),
        "requestToJoin",
    )
    assert result["errors"] == []
    return result["joinRequest"]["id"]


# --- asking ------------------------------------------------------------------------------------


async def test_a_findable_healthspace_can_be_found_and_asked_to_join(
    findable: models.Healthspace, other_healthspace: models.Healthspace, applicant: Person
) -> None:
    # given a findable Healthspace that the search finds
    found = await applicant.data(HEALTHSPACES, search="linde")
    assert found["healthspaces"]["nodes"] == [{"id": str(findable.id), "name": findable.name}]
    assert (await applicant.data(HEALTHSPACES, search="elsewhere"))["healthspaces"][
        "totalCount"
    ] == 0

    # when the applicant asks to join
    result = payload(
        await applicant(
            REQUEST_TO_JOIN, healthspaceId=str(findable.id), message="  Referred by Dr. Bos  "
        ),
        "requestToJoin",
    )

    # then the request is pending, cleaned, and audited
    assert result["errors"] == []
    request = result["joinRequest"]
    assert request["status"] == "PENDING"
    assert request["message"] == "Referred by Dr. Bos"
    assert (request["firstName"], request["lastName"], request["email"]) == (
        "Anna",
        "Jansen",
        "anna.jansen@example.org",
    )
    assert request["healthspace"] == {"id": str(findable.id), "name": "Praktijk De Linde"}
    assert request["decidedAt"] is None and request["decidedBy"] is None
    event = await models.AuditEvent.get(action="JOIN_REQUESTED")
    assert str(event.subject_id) == request["id"]
    assert event.actor_account_id == applicant.account.id  # type: ignore[union-attr]


async def test_one_pending_request_per_account_and_healthspace(
    findable: models.Healthspace, applicant: Person, assistant: Person
) -> None:
    first = await ask(applicant, findable)

    again = payload(
        await applicant(REQUEST_TO_JOIN, healthspaceId=str(findable.id)), "requestToJoin"
    )
    assert codes(again) == [("ALREADY_REQUESTED", None)]
    assert again["joinRequest"] is None
    assert await models.JoinRequest.all().count() == 1

    # Once decided, the person may ask again.
    await assistant.data(REJECT, id=first)
    assert await ask(applicant, findable) != first


async def test_simultaneous_requests_make_one(
    findable: models.Healthspace, applicant: Person
) -> None:
    results = await asyncio.gather(
        *(applicant(REQUEST_TO_JOIN, healthspaceId=str(findable.id)) for _ in range(3))
    )

    outcomes = sorted(
        (codes(payload(result, "requestToJoin")) or [("OK", None)])[0][0] for result in results
    )
    assert outcomes == ["ALREADY_REQUESTED", "ALREADY_REQUESTED", "OK"]
    assert await models.JoinRequest.all().count() == 1


async def test_an_unverified_email_address_cannot_ask(
    people: People, findable: models.Healthspace
) -> None:
    unverified = await people.signed_in(await people.account(verified=False))

    result = payload(
        await unverified(REQUEST_TO_JOIN, healthspaceId=str(findable.id)), "requestToJoin"
    )

    assert codes(result) == [("EMAIL_NOT_VERIFIED", None)]
    assert await models.JoinRequest.all().count() == 0


@pytest.mark.parametrize("person", ["client", "clinician"], indirect=True)
async def test_a_member_cannot_ask(findable: models.Healthspace, person: Person) -> None:
    result = payload(await person(REQUEST_TO_JOIN, healthspaceId=str(findable.id)), "requestToJoin")

    assert codes(result) == [("ALREADY_MEMBER", None)]


@pytest.mark.parametrize("target", ["hidden", "unknown", "malformed"])
async def test_a_healthspace_that_is_not_findable_does_not_exist_for_strangers(
    healthspace: models.Healthspace, applicant: Person, target: str
) -> None:
    healthspace_id = {
        "hidden": str(healthspace.id),
        "unknown": "00000000-0000-4000-8000-000000000000",
        "malformed": "nope",
    }[target]

    result = await applicant(REQUEST_TO_JOIN, healthspaceId=healthspace_id)

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await models.JoinRequest.all().count() == 0


async def test_a_message_over_1000_characters_is_refused(
    findable: models.Healthspace, applicant: Person
) -> None:
    result = payload(
        await applicant(REQUEST_TO_JOIN, healthspaceId=str(findable.id), message="x" * 1001),
        "requestToJoin",
    )

    assert codes(result) == [("TOO_LONG", ["message"])]
    assert await models.JoinRequest.all().count() == 0


# --- deciding ------------------------------------------------------------------------------------


async def test_approving_makes_the_person_a_client_and_mails_them(
    findable: models.Healthspace, applicant: Person, assistant: Person, smtp_sink: SmtpSink
) -> None:
    # given a pending request in the review queue
    request_id = await ask(applicant, findable, "Hello")
    queue = await assistant.data(JOIN_REQUESTS, id=str(findable.id), status="PENDING")
    assert queue["healthspace"]["joinRequests"]["nodes"] == [
        {
            "id": request_id,
            "status": "PENDING",
            "message": "Hello",
            "firstName": "Anna",
            "lastName": "Jansen",
            "email": "anna.jansen@example.org",
            "decidedBy": None,
        }
    ]

    # when the assistant approves it
    result = payload(await assistant(APPROVE, id=request_id), "approveJoinRequest")

    # then the applicant is an active client, it is audited, mailed, and off every queue
    assert result["errors"] == []
    assert result["joinRequest"]["status"] == "APPROVED"
    assert result["joinRequest"]["decidedAt"] is not None
    assert result["joinRequest"]["decidedBy"] == {"id": assistant.id}
    member = result["member"]
    assert (member["kind"], member["status"], member["email"]) == (
        "CLIENT",
        "ACTIVE",
        "anna.jansen@example.org",
    )
    assert member["identificationNumber"]
    seen = await applicant.data(VIEWER_MEMBER, id=str(findable.id))
    assert seen["healthspace"]["viewerMember"] == {
        "id": member["id"],
        "kind": "CLIENT",
        "status": "ACTIVE",
    }
    event = await models.AuditEvent.get(action="JOIN_REQUEST_APPROVED")
    assert str(event.actor_member_id) == assistant.id
    assert str(event.client_member_id) == member["id"]
    assert str(event.subject_id) == request_id

    [mail] = await deliver(smtp_sink)
    assert mail.recipients == ("anna.jansen@example.org",)
    assert mail.subject == "Welcome to Praktijk De Linde"
    assert "Hello Anna," in mail.text
    assert f"http://carespace.test/healthspaces/{findable.id}" in mail.text
    # The task is gone for every reviewer.
    queue = await assistant.data(JOIN_REQUESTS, id=str(findable.id), status="PENDING")
    assert queue["healthspace"]["joinRequests"]["totalCount"] == 0


async def test_rejecting_with_a_reason_mails_the_reason(
    findable: models.Healthspace, applicant: Person, administrator: Person, smtp_sink: SmtpSink
) -> None:
    # given a pending request
    request_id = await ask(applicant, findable)

    # when the administrator rejects it with a reason
    result = payload(
        await administrator(REJECT, id=request_id, reason="We only treat adults.\nSorry."),
        "rejectJoinRequest",
    )

    # then it is rejected, audited, shown to the requester without the decider, and mailed
    assert result["errors"] == []
    assert result["joinRequest"]["status"] == "REJECTED"
    assert result["joinRequest"]["reason"] == "We only treat adults.\nSorry."
    assert await models.Member.filter(account_id=applicant.account.id).count() == 0  # type: ignore[union-attr]
    event = await models.AuditEvent.get(action="JOIN_REQUEST_REJECTED")
    assert str(event.actor_member_id) == administrator.id
    assert event.details["reason_given"] is True
    # The requester sees the decision and reason, but not which staff member decided.
    mine = await applicant.data(MY_JOIN_REQUESTS)
    assert mine["myJoinRequests"]["nodes"] == [
        {
            "id": request_id,
            "status": "REJECTED",
            "reason": "We only treat adults.\nSorry.",
            "decidedBy": None,
            "healthspace": {"name": "Praktijk De Linde"},
        }
    ]

    [mail] = await deliver(smtp_sink)
    assert mail.subject == "Your request to join Praktijk De Linde"
    text = mail.text.replace("\r\n", "\n")
    assert "did not approve your request to join. Their reason:" in text
    assert "We only treat adults.\nSorry." in text
    assert "We only treat adults.<br>" in mail.html


async def test_rejecting_without_a_reason_says_no_more(
    findable: models.Healthspace, applicant: Person, administrator: Person, smtp_sink: SmtpSink
) -> None:
    request_id = await ask(applicant, findable)

    result = payload(await administrator(REJECT, id=request_id), "rejectJoinRequest")

    assert result["errors"] == [] and result["joinRequest"]["reason"] == ""
    [mail] = await deliver(smtp_sink)
    assert "did not approve your request to join." in mail.text
    assert "reason" not in mail.text


async def test_a_reason_over_1000_characters_is_refused_and_changes_nothing(
    findable: models.Healthspace, applicant: Person, administrator: Person
) -> None:
    request_id = await ask(applicant, findable)

    result = payload(
        await administrator(REJECT, id=request_id, reason="x" * 1001), "rejectJoinRequest"
    )

    assert codes(result) == [("TOO_LONG", ["reason"])]
    assert (await models.JoinRequest.get(id=request_id)).status == models.JoinRequestStatus.PENDING
    assert await models.OutboxMessage.all().count() == 0


@pytest.mark.parametrize(
    ("first", "second"),
    [(APPROVE, REJECT), (REJECT, APPROVE), (APPROVE, APPROVE), (REJECT, REJECT)],
)
async def test_a_request_is_decided_once(
    findable: models.Healthspace,
    applicant: Person,
    assistant: Person,
    administrator: Person,
    first: str,
    second: str,
) -> None:
    request_id = await ask(applicant, findable)
    await assistant.data(first, id=request_id)
    status_after_first = (await models.JoinRequest.get(id=request_id)).status
    mails = await models.OutboxMessage.all().count()

    result = await administrator(second, id=request_id)

    name = "approveJoinRequest" if second == APPROVE else "rejectJoinRequest"
    assert codes(payload(result, name)) == [("ALREADY_DECIDED", ["id"])]
    assert (await models.JoinRequest.get(id=request_id)).status == status_after_first
    assert await models.OutboxMessage.all().count() == mails == 1
    assert await models.Member.filter(account_id=applicant.account.id).count() == (  # type: ignore[union-attr]
        1 if first == APPROVE else 0
    )


async def test_simultaneous_decisions_let_exactly_one_win(
    findable: models.Healthspace, applicant: Person, assistant: Person, administrator: Person
) -> None:
    # given a pending request
    request_id = await ask(applicant, findable)

    # when it is approved and rejected at once
    approved, rejected = await asyncio.gather(
        assistant(APPROVE, id=request_id), administrator(REJECT, id=request_id)
    )

    # then exactly one decision wins, with one mail and a member only if approved
    outcomes = [
        codes(payload(approved, "approveJoinRequest")),
        codes(payload(rejected, "rejectJoinRequest")),
    ]
    assert sorted(outcomes) == [[], [("ALREADY_DECIDED", ["id"])]]
    assert await models.OutboxMessage.all().count() == 1
    won = (await models.JoinRequest.get(id=request_id)).status
    assert await models.Member.filter(account_id=applicant.account.id).count() == (  # type: ignore[union-attr]
        1 if won == models.JoinRequestStatus.APPROVED else 0
    )


async def test_a_former_client_who_asks_again_gets_their_membership_back(
    people: People, findable: models.Healthspace, assistant: Person
) -> None:
    former = await people.client(findable)
    await models.Member.filter(id=former.id).update(status=models.MemberStatus.DEACTIVATED)
    request_id = await ask(former, findable)

    result = payload(await assistant(APPROVE, id=request_id), "approveJoinRequest")

    assert result["member"]["id"] == former.id
    assert result["member"]["status"] == "ACTIVE"


async def test_joining_meanwhile_closes_the_request(
    findable: models.Healthspace, applicant: Person, assistant: Person
) -> None:
    request_id = await ask(applicant, findable)
    await add_member(applicant.account, findable.id, models.MemberKind.CLIENT)  # type: ignore[arg-type]

    result = payload(await assistant(APPROVE, id=request_id), "approveJoinRequest")

    assert [code for code, _ in codes(result)] == ["NOT_PENDING"]
    assert (
        await models.JoinRequest.get(id=request_id)
    ).status == models.JoinRequestStatus.CANCELLED


# --- the requester's own view -----------------------------------------------------------------


async def test_the_requester_cancels_their_pending_request(
    findable: models.Healthspace, applicant: Person, assistant: Person
) -> None:
    request_id = await ask(applicant, findable)

    result = payload(await applicant(CANCEL, id=request_id), "cancelJoinRequest")

    assert result == {"joinRequest": {"id": request_id, "status": "CANCELLED"}, "errors": []}
    assert await models.AuditEvent.filter(action="JOIN_REQUEST_CANCELLED").count() == 1
    assert codes(payload(await applicant(CANCEL, id=request_id), "cancelJoinRequest")) == [
        ("NOT_PENDING", ["id"])
    ]
    assert codes(payload(await assistant(APPROVE, id=request_id), "approveJoinRequest")) == [
        ("NOT_PENDING", ["id"])
    ]
    # Cancelled, it no longer blocks a new request.
    assert await ask(applicant, findable) != request_id


async def test_a_decided_request_cannot_be_cancelled(
    findable: models.Healthspace, applicant: Person, assistant: Person
) -> None:
    request_id = await ask(applicant, findable)
    await assistant.data(REJECT, id=request_id)

    result = payload(await applicant(CANCEL, id=request_id), "cancelJoinRequest")

    assert codes(result) == [("ALREADY_DECIDED", ["id"])]


async def test_my_join_requests_lists_only_my_own(
    people: People,
    findable: models.Healthspace,
    other_healthspace: models.Healthspace,
    applicant: Person,
) -> None:
    other_healthspace.findable = True
    await other_healthspace.save(update_fields=["findable"])
    somebody = await people.signed_in(await people.account())
    await ask(somebody, findable)
    mine = {await ask(applicant, findable), await ask(applicant, other_healthspace)}

    listed = (await applicant.data(MY_JOIN_REQUESTS))["myJoinRequests"]
    pending = (await applicant.data(MY_JOIN_REQUESTS, status="APPROVED"))["myJoinRequests"]

    assert {node["id"] for node in listed["nodes"]} == mine
    assert listed["totalCount"] == 2
    assert pending["totalCount"] == 0


async def test_the_review_list_filters_by_status(
    people: People, findable: models.Healthspace, assistant: Person
) -> None:
    # given three requests, one approved
    ids = []
    for _ in range(3):
        ids.append(await ask(await people.signed_in(await people.account()), findable))
    await assistant.data(APPROVE, id=ids[1])

    # then the review list filters them by status
    def listed(result: dict[str, Any]) -> list[str]:
        return [node["id"] for node in result["healthspace"]["joinRequests"]["nodes"]]

    assert listed(await assistant.data(JOIN_REQUESTS, id=str(findable.id), status="PENDING")) == [
        ids[0],
        ids[2],
    ]
    assert listed(await assistant.data(JOIN_REQUESTS, id=str(findable.id), status="APPROVED")) == [
        ids[1]
    ]
    assert len(listed(await assistant.data(JOIN_REQUESTS, id=str(findable.id)))) == 3
