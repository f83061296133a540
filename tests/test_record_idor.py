"""The IDOR matrix of the record: for every record field and mutation, each wrong viewer gets
nothing, changes nothing, and the refusal is in the access log. And the record closes at the
very next request once a connection ends, a member is deactivated or the role is removed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import People, Person
from records_api import (
    ADD_NOTE,
    LOG_CALL,
    MEMBER_RECORD,
    PLAN,
    PROGRESS,
    RECORD,
    REVIEW,
    SUBMIT,
    connected,
    denied_events,
    plan,
)

import models
from domain.connections import disconnect
from permissions.roles import Role


@dataclass
class Scene:
    client: Person
    open_id: str  # an assignment the client is working on
    submitted_id: str  # an assignment waiting for review


@dataclass(frozen=True)
class Operation:
    name: str
    document: str
    variables: Callable[[Scene], dict[str, Any]]
    field: str
    is_query: bool = False


def _call(scene: Scene) -> dict[str, Any]:
    started = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {"input": {"clientId": scene.client.id, "startedAt": started, "durationSeconds": 600}}


OPERATIONS = [
    Operation("record", RECORD, lambda s: {"clientId": s.client.id}, "record", is_query=True),
    Operation("Member.record", MEMBER_RECORD, lambda s: {"id": s.client.id}, "member", True),
    Operation("addNote", ADD_NOTE, lambda s: {"clientId": s.client.id, "body": "x"}, "addNote"),
    Operation(
        "planAssignment",
        PLAN,
        lambda s: {"input": {"clientId": s.client.id, "title": "Mine"}},
        "planAssignment",
    ),
    Operation(
        "updateAssignmentProgress",
        PROGRESS,
        lambda s: {"id": s.open_id, "progress": 50},
        "updateAssignmentProgress",
    ),
    Operation(
        "submitAssignment", SUBMIT, lambda s: {"id": s.open_id, "answer": "x"}, "submitAssignment"
    ),
    Operation(
        "reviewAssignment",
        REVIEW,
        lambda s: {"id": s.submitted_id, "feedback": "x"},
        "reviewAssignment",
    ),
    Operation("logVideoCall", LOG_CALL, _call, "logVideoCall"),
]

WRONG_VIEWERS = [
    "another client",
    "unconnected clinician",
    "clinician whose connection ended",
    "deactivated clinician",
    "member of another Healthspace",
    "assistant without a connection",
    "anonymous",
]


async def _wrong_viewer(
    label: str,
    people: People,
    healthspace: models.Healthspace,
    other_healthspace: models.Healthspace,
    client: Person,
    anonymous: Person,
) -> Person:
    if label == "another client":
        return await people.client(healthspace)
    if label == "unconnected clinician":
        return await people.staff(healthspace, Role.CLINICIAN)
    if label == "clinician whose connection ended":
        former = await people.staff(healthspace, Role.CLINICIAN)
        await connected(client, former)
        await disconnect(None, client.member, former.member, ended_by=None)  # type: ignore[arg-type]
        return former
    if label == "deactivated clinician":
        # Still connected on paper: the member's own status must close the record.
        deactivated = await people.staff(healthspace, Role.CLINICIAN)
        await connected(client, deactivated)
        await models.Member.filter(id=deactivated.id).update(status=models.MemberStatus.DEACTIVATED)
        return deactivated
    if label == "member of another Healthspace":
        return await people.staff(other_healthspace, Role.CLINICIAN, Role.ADMINISTRATOR)
    if label == "assistant without a connection":
        return await people.staff(healthspace, Role.ASSISTANT)
    return anonymous


async def _snapshot() -> tuple[Any, ...]:
    return (
        await models.Note.all().values_list("id", "body"),
        await models.VideoCall.all().values_list("id", "duration_seconds"),
        sorted(
            await models.Assignment.all().values_list(
                "id", "title", "status", "progress", "answer", "feedback"
            )
        ),
    )


@pytest.mark.parametrize("viewer_label", WRONG_VIEWERS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
async def test_a_wrong_viewer_gets_nothing_changes_nothing_and_is_audited(
    operation: Operation,
    viewer_label: str,
    people: People,
    healthspace: models.Healthspace,
    other_healthspace: models.Healthspace,
    client: Person,
    clinician: Person,
    anonymous: Person,
) -> None:
    # given a client's record with a note, a call, an open and a submitted assignment
    await connected(client, clinician)
    open_id = await plan(clinician, client, title="Open")
    submitted_id = await plan(clinician, client, title="Submitted")
    await client.data(SUBMIT, id=submitted_id, answer="done")
    await clinician.data(ADD_NOTE, clientId=client.id, body="Intake")
    await clinician.data(LOG_CALL, **_call(Scene(client, open_id, submitted_id)))
    scene = Scene(client, open_id, submitted_id)
    viewer = await _wrong_viewer(
        viewer_label, people, healthspace, other_healthspace, client, anonymous
    )
    before, denied_before = await _snapshot(), await denied_events()

    # when
    result = await viewer(operation.document, **operation.variables(scene))

    # then nothing is returned ...
    if viewer_label == "anonymous":
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert result["data"] is None or result["data"][operation.field] is None
    elif operation.is_query:
        assert not result.get("errors"), result["errors"]
        value = result["data"][operation.field]
        assert value is None or value["record"] is None, value
    else:
        payload = result["data"][operation.field]
        assert [error["code"] for error in payload["errors"]] == ["NOT_FOUND"]
        assert [value for key, value in payload.items() if key != "errors"] == [None]
    assert "Intake" not in str(result) and "done" not in str(result)
    # ... nothing changed ...
    assert await _snapshot() == before
    # ... and the refusal is in the access log (a member the viewer may not even see stops
    # before its record: that refusal is the member lookup's, answered null)
    member_hidden = (
        operation.name == "Member.record" and (result.get("data") or {}).get("member") is None
    )
    assert await denied_events() == denied_before + (0 if member_hidden else 1)


UPDATE_ROLES = """
mutation($memberId: ID!, $roles: [Role!]!) {
  updateMemberRoles(memberId: $memberId, roles: $roles) { errors { code } }
}
"""
DEACTIVATE = """
mutation($memberId: ID!) { deactivateMember(memberId: $memberId) { errors { code } } }
"""
REMOVE_CONNECTION = """
mutation($clientId: ID!, $staffId: ID!) {
  removeConnection(clientId: $clientId, staffId: $staffId) { errors { code } }
}
"""


@pytest.mark.parametrize(
    "change", ["end connection", "deactivate clinician", "remove role", "deactivate client"]
)
async def test_the_record_closes_at_the_very_next_request(
    change: str, administrator: Person, client: Person, clinician: Person
) -> None:
    # given an open record
    await connected(client, clinician)
    assert (await clinician.data(RECORD, clientId=client.id))["record"] is not None

    # when an administrator changes what opened it
    if change == "end connection":
        result = await administrator.data(
            REMOVE_CONNECTION, clientId=client.id, staffId=clinician.id
        )
        assert result["removeConnection"]["errors"] == []
    elif change == "remove role":
        result = await administrator.data(UPDATE_ROLES, memberId=clinician.id, roles=["ASSISTANT"])
        assert result["updateMemberRoles"]["errors"] == []
    else:
        target = clinician if change == "deactivate clinician" else client
        result = await administrator.data(DEACTIVATE, memberId=target.id)
        assert result["deactivateMember"]["errors"] == []

    # then the very next request finds it closed
    assert (await clinician.data(RECORD, clientId=client.id))["record"] is None
    added = await clinician(ADD_NOTE, clientId=client.id, body="late")
    assert added.get("errors") or added["data"]["addNote"]["errors"][0]["code"] == "NOT_FOUND"
    assert await models.Note.all().count() == 0
