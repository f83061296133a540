"""Found by trying the API as a stranger would (every role, every id, odd input): each test
shows one hole as a client meets it, through the GraphQL API."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import People, Person
from records_api import ADD_NOTE, LOG_CALL, PLAN, PROGRESS, SUBMIT, connected, plan

import models
from domain.connections import disconnect
from permissions.roles import Role

CREATE_TOKEN = """
mutation CreateToken($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token errors { code } }
}
"""

LOG_CALL_WITH_STAFF = """
mutation LogCall($input: LogVideoCallInput!) {
  logVideoCall(input: $input) {
    videoCall { id staff { id email firstName lastName roles } }
    errors { field code message }
  }
}
"""

RECORD_PEOPLE = """
query RecordPeople($clientId: ID!) {
  record(clientId: $clientId) {
    assignments { nodes { title plannedBy { id email lastName } } }
    videoCalls { nodes { staff { id email lastName } } }
  }
}
"""


def _an_hour_ago() -> str:
    return (datetime.now(UTC) - timedelta(hours=1)).isoformat()


async def test_nested_people_of_a_record_follow_member_visibility(
    people: People,
    healthspace: models.Healthspace,
    administrator: Person,
    clinician: Person,
    client: Person,
) -> None:
    # given: an assignment planned by a clinician whose connection has since ended, and a call
    # an integration logged naming a staff member the client is not connected to
    former = await people.staff(healthspace, Role.CLINICIAN, label="former")
    colleague = await people.staff(healthspace, Role.LIBRARY_MANAGER, label="colleague")
    await connected(client, clinician)
    await connected(client, former)
    await plan(former, client, "Breathing exercise")
    await disconnect(None, client.member, former.member, ended_by=None)
    created = await administrator.data(
        CREATE_TOKEN,
        input={"healthspaceId": str(healthspace.id), "name": "Video", "scope": "LOG_VIDEO_CALLS"},
    )
    integration = Person(people.http, None, None, created["createApiToken"]["token"], "api")

    # when: the integration logs the call and reads the payload
    logged = await integration.data(
        LOG_CALL_WITH_STAFF,
        input={
            "clientId": client.id,
            "startedAt": _an_hour_ago(),
            "durationSeconds": 600,
            "staffId": colleague.id,
        },
    )

    # then: a token that is nobody sees no member: not the staff member's name or address
    assert logged["logVideoCall"]["errors"] == []
    assert logged["logVideoCall"]["videoCall"]["staff"] is None

    # and the client sees neither the former clinician nor the unconnected colleague
    record = (await client.data(RECORD_PEOPLE, clientId=client.id))["record"]
    assert [node["plannedBy"] for node in record["assignments"]["nodes"]] == [None]
    assert [node["staff"] for node in record["videoCalls"]["nodes"]] == [None]

    # while connected staff still see who planned it and who was in the call
    seen = (await clinician.data(RECORD_PEOPLE, clientId=client.id))["record"]
    assert seen["assignments"]["nodes"][0]["plannedBy"]["id"] == former.id
    assert seen["videoCalls"]["nodes"][0]["staff"]["email"] == colleague.email


async def test_a_time_that_cannot_be_told_in_utc_is_invalid_not_an_unexpected_error(
    clinician: Person, client: Person
) -> None:
    await connected(client, clinician)
    year_one = "0001-01-01T00:30:00+01:00"  # 23:30 UTC on the day before year 1

    call = await clinician(
        LOG_CALL, input={"clientId": client.id, "startedAt": year_one, "durationSeconds": 60}
    )
    planned = await clinician(
        PLAN, input={"clientId": client.id, "title": "Diary", "dueAt": year_one}
    )

    assert not call.get("errors"), call
    assert [e["code"] for e in call["data"]["logVideoCall"]["errors"]] == ["INVALID"]
    assert call["data"]["logVideoCall"]["errors"][0]["field"] == ["input", "startedAt"]
    assert not planned.get("errors"), planned
    assert [e["field"] for e in planned["data"]["planAssignment"]["errors"]] == [["input", "dueAt"]]
    assert await models.VideoCall.all().count() == 0
    assert await models.Assignment.all().count() == 0


async def test_record_texts_refuse_control_characters(clinician: Person, client: Person) -> None:
    # issue 7 item 10: one-line text (a title) refuses control and bidi characters; multi-line
    # text (notes, instructions, answers) keeps line breaks but no other control character
    await connected(client, clinician)
    assignment_id = await plan(clinician, client, "Diary")

    note = await clinician.data(ADD_NOTE, clientId=client.id, body="calm\x00\x1b[2J")
    title = await clinician.data(PLAN, input={"clientId": client.id, "title": "Diary\u202etxt"})
    instructions = await clinician.data(
        PLAN, input={"clientId": client.id, "title": "Walk", "instructions": "go\x07"}
    )
    draft = await client.data(PROGRESS, id=assignment_id, progress=10, draftAnswer="a\x00")
    answer = await client.data(SUBMIT, id=assignment_id, answer="b\x1b")
    kept = await clinician.data(ADD_NOTE, clientId=client.id, body="line one\r\nline two")

    assert note["addNote"]["errors"][0]["code"] == "INVALID_CHARACTERS"
    assert note["addNote"]["errors"][0]["field"] == ["body"]
    assert title["planAssignment"]["errors"][0]["code"] == "INVALID_CHARACTERS"
    assert title["planAssignment"]["errors"][0]["field"] == ["input", "title"]
    assert instructions["planAssignment"]["errors"][0]["code"] == "INVALID_CHARACTERS"
    assert draft["updateAssignmentProgress"]["errors"][0]["code"] == "INVALID_CHARACTERS"
    assert answer["submitAssignment"]["errors"][0]["code"] == "INVALID_CHARACTERS"
    assert kept["addNote"]["note"]["body"] == "line one\nline two"
    assert await models.Note.all().count() == 1
    assert await models.Assignment.all().count() == 1
    row = await models.Assignment.get(id=assignment_id)
    assert (row.progress, row.draft_answer, row.answer) == (0, "", None)


TASKS_CHANGED = """
subscription TasksChanged($healthspaceId: ID!) {
  tasksChanged(healthspaceId: $healthspaceId) { __typename }
}
"""


async def test_a_subscription_over_http_is_a_request_error_not_an_unexpected_one(
    http: httpx.AsyncClient,
    healthspace: models.Healthspace,
    administrator: Person,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = {"query": TASKS_CHANGED, "variables": {"healthspaceId": str(healthspace.id)}}
    headers = {"Authorization": f"Bearer {administrator.token}"}

    with caplog.at_level(logging.ERROR):
        posted = await http.post("/graphql", json=body, headers=headers)
        spec = await http.post(
            "/graphql",
            json=body,
            headers={**headers, "Accept": "application/graphql-response+json"},
        )

    assert posted.status_code == 200
    assert posted.json()["data"] is None
    assert [e["extensions"]["code"] for e in posted.json()["errors"]] == ["BAD_REQUEST"]
    assert "websocket" in posted.json()["errors"][0]["message"]
    assert spec.status_code == 400
    assert not [r for r in caplog.records if "Unexpected" in r.getMessage()]


ACCESS_LOG = """
query AccessLog {
  viewer { accessLog { nodes { action section actor { id } actorName actorRoles } } }
}
"""

AUDIT_LOG_NAMES = """
query AuditLogNames($healthspaceId: ID!) {
  healthspace(id: $healthspaceId) { auditLog { nodes { action actorName actorRoles } } }
}
"""


async def test_the_access_log_still_names_a_clinician_whose_connection_ended(
    people: People,
    healthspace: models.Healthspace,
    administrator: Person,
    clinician: Person,
    client: Person,
) -> None:
    # given: a clinician reads the record, then the connection ends (they may even end it
    # themselves with MANAGE_OWN_CONNECTIONS)
    other = await people.client(healthspace, label="other client")
    await connected(client, clinician)
    await clinician.data(RECORD_PEOPLE, clientId=client.id)
    await disconnect(None, client.member, clinician.member, ended_by=None)

    # when: the client reads who looked at their record
    nodes = (await client.data(ACCESS_LOG))["viewer"]["accessLog"]["nodes"]

    # then: the member is no longer shown, but who it was and as what is
    name = f"{clinician.account.first_name} {clinician.account.last_name}"  # type: ignore[union-attr]
    assert {node["section"] for node in nodes} == {"ASSIGNMENTS", "VIDEO_CALLS"}
    assert {(n["actor"], n["actorName"], tuple(n["actorRoles"])) for n in nodes} == {
        (None, name, ("CLINICIAN",))
    }
    # another client's log has nothing of it, and staff without VIEW_AUDIT_LOG read no log
    assert (await other.data(ACCESS_LOG))["viewer"]["accessLog"]["nodes"] == []
    audit = await administrator.data(AUDIT_LOG_NAMES, healthspaceId=str(healthspace.id))
    reads = [n for n in audit["healthspace"]["auditLog"]["nodes"] if n["action"] == "RECORD_READ"]
    assert {n["actorName"] for n in reads} == {name}


AUDIT_LOG_PERIOD = """
query AuditLogPeriod($healthspaceId: ID!, $from: DateTime, $to: DateTime) {
  healthspace(id: $healthspaceId) { auditLog(from: $from, to: $to) { totalCount } }
}
"""


async def test_an_audit_log_period_may_mix_times_with_and_without_a_zone(
    healthspace: models.Healthspace, administrator: Person
) -> None:
    hid = str(healthspace.id)
    # a time without a zone is UTC, as everywhere else; it is compared with one that has a zone
    mixed = await administrator(
        AUDIT_LOG_PERIOD, healthspaceId=hid, **{"from": "2020-01-01T00:00:00", "to": _now()}
    )
    reversed_ = await administrator(
        AUDIT_LOG_PERIOD, healthspaceId=hid, **{"from": _now(), "to": "2020-01-01T00:00:00"}
    )
    year_one = await administrator(
        AUDIT_LOG_PERIOD, healthspaceId=hid, **{"from": "0001-01-01T00:30:00+01:00"}
    )

    assert not mixed.get("errors"), mixed
    assert mixed["data"]["healthspace"]["auditLog"]["totalCount"] >= 0
    assert [e["extensions"]["code"] for e in reversed_["errors"]] == ["BAD_USER_INPUT"]
    assert [e["extensions"]["code"] for e in year_one["errors"]] == ["BAD_USER_INPUT"]


def _now() -> str:
    return datetime.now(UTC).isoformat()
