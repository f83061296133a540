"""The permission matrix of the join request mutations: every role by every operation, with the
exact outcome, and nothing changed whenever the outcome is not OK."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import People, Person
from helpers import outcome

import models

REQUEST_TO_JOIN = """
mutation RequestToJoin($healthspaceId: ID!) {
  requestToJoin(healthspaceId: $healthspaceId) { joinRequest { id } errors { code } }
}
"""

APPROVE = """
mutation Approve($id: ID!) { approveJoinRequest(id: $id) { joinRequest { id } errors { code } } }
"""

REJECT = """
mutation Reject($id: ID!) { rejectJoinRequest(id: $id) { joinRequest { id } errors { code } } }
"""

CANCEL = """
mutation Cancel($id: ID!) { cancelJoinRequest(id: $id) { joinRequest { id } errors { code } } }
"""

ROLES = [
    "anonymous",
    "client",
    "clinician",
    "own_clinician",
    "assistant",
    "administrator",
    "outsider",
]

U, F, N, M = "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "payload:ALREADY_MEMBER"

# Operation → the outcome for each role, in ROLES order ("payload:CODE" is a returned user error).
MATRIX: dict[str, list[str]] = {
    "ask to join a findable Healthspace": [U, M, M, M, M, M, "OK"],
    "ask to join a hidden Healthspace": [U, M, M, M, M, M, N],
    # A client may not see others' requests: NOT_FOUND, as for a missing one (issue 7, item 4).
    "approve a request": [U, N, F, F, "OK", "OK", N],
    "reject a request": [U, N, F, F, "OK", "OK", N],
    # Only the requester may cancel; to everyone else the request does not exist.
    "cancel someone else's request": [U, N, N, N, N, N, N],
}

OPERATIONS = {
    "approve a request": ("approveJoinRequest", APPROVE),
    "reject a request": ("rejectJoinRequest", REJECT),
    "cancel someone else's request": ("cancelJoinRequest", CANCEL),
}


async def state() -> list[tuple[Any, ...]]:
    requests = await models.JoinRequest.all().order_by("created_at").values_list("id", "status")
    members = await models.Member.all().count()
    return [*requests, ("members", members), ("mail", await models.OutboxMessage.all().count())]


CASES = [
    pytest.param(operation, role, expected, id=f"{operation} as {role}")
    for operation, outcomes in MATRIX.items()
    for role, expected in zip(ROLES, outcomes, strict=True)
]


@pytest.mark.parametrize(("operation", "actor", "expected"), CASES, indirect=["actor"])
async def test_join_request_permission_matrix(
    people: People,
    healthspace: models.Healthspace,
    operation: str,
    actor: Person,
    expected: str,
) -> None:
    # given a pending request and the operation of this cell
    healthspace.findable = operation != "ask to join a hidden Healthspace"
    await healthspace.save(update_fields=["findable"])
    requester = await people.signed_in(await people.account(), label="requester")
    pending = await models.JoinRequest.create(
        healthspace=healthspace,
        account=requester.account,
        pending_key=f"{healthspace.id}:{requester.account.id}",  # type: ignore[union-attr]
    )
    if operation in OPERATIONS:
        field, document = OPERATIONS[operation]
        variables = {"id": str(pending.id)}
    else:
        field, document = "requestToJoin", REQUEST_TO_JOIN
        variables = {"healthspaceId": str(healthspace.id)}
    before = await state()

    # when the actor tries it
    result = await actor(document, **variables)

    # then the outcome is the expected one, and the state changed only on OK
    assert outcome(result, field) == expected
    if expected == "OK":
        assert await state() != before
    else:
        assert await state() == before


async def test_the_requester_may_cancel_their_own_request(
    people: People, healthspace: models.Healthspace
) -> None:
    requester = await people.signed_in(await people.account())
    pending = await models.JoinRequest.create(healthspace=healthspace, account=requester.account)

    result = await requester(CANCEL, id=str(pending.id))

    assert outcome(result, "cancelJoinRequest") == "OK"
    assert (await models.JoinRequest.get(id=pending.id)).status == "CANCELLED"
