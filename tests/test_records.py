"""The client record through the API: client data, the assignment state machine, notes, video
calls, the emails each change sends and the access log every look at a record leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import People, Person
from helpers import errors_of
from records_api import (
    ADD_NOTE,
    ASSIGNMENTS,
    LOG_CALL,
    PLAN,
    PROGRESS,
    RECORD,
    REVIEW,
    SUBMIT,
    connected,
    plan,
)

import models


def _iso(moment: datetime) -> str:
    return moment.isoformat()


async def test_the_client_and_a_connected_clinician_open_the_record(
    client: Person, clinician: Person
) -> None:
    # given
    await connected(client, clinician)

    # when
    as_clinician = (await clinician.data(RECORD, clientId=client.id))["record"]
    as_client = (await client.data(RECORD, clientId=client.id))["record"]

    # then
    for record in (as_clinician, as_client):
        assert record["client"]["id"] == client.id
        assert record["client"]["firstName"] == "Chris"
        assert record["connectedClinicians"] == [{"id": clinician.id, "lastName": "Clinic"}]


async def test_the_assignment_runs_planned_in_progress_submitted_reviewed(
    client: Person, clinician: Person
) -> None:
    # given a planned assignment
    await connected(client, clinician)
    assignment_id = await plan(clinician, client, instructions="Write down when you sleep.")

    # when the client makes progress and submits, and the clinician reviews, then each step shows
    progress = await client.data(PROGRESS, id=assignment_id, progress=40, draftAnswer="Mon 23h")
    assert progress["updateAssignmentProgress"]["assignment"] == {
        "id": assignment_id,
        "status": "IN_PROGRESS",
        "progress": 40,
        "draftAnswer": "Mon 23h",
    }
    submitted = await client.data(SUBMIT, id=assignment_id, answer="Mon 23h, Tue 22h")
    assert submitted["submitAssignment"]["assignment"]["status"] == "SUBMITTED"
    assert submitted["submitAssignment"]["assignment"]["progress"] == 100
    reviewed = await clinician.data(REVIEW, id=assignment_id, feedback="Well done.")
    assert reviewed["reviewAssignment"]["assignment"]["status"] == "REVIEWED"
    assert reviewed["reviewAssignment"]["assignment"]["reviewedBy"] == {"id": clinician.id}

    # A reviewed assignment is closed: no more progress, answer or feedback.
    assert errors_of(
        await client(PROGRESS, id=assignment_id, progress=10), "updateAssignmentProgress"
    ) == ["INVALID_STATE"]
    assert errors_of(
        await client(SUBMIT, id=assignment_id, answer="again"), "submitAssignment"
    ) == ["INVALID_STATE"]
    assert errors_of(
        await clinician(REVIEW, id=assignment_id, feedback="More"), "reviewAssignment"
    ) == ["INVALID_STATE"]
    row = await models.Assignment.get(id=assignment_id)
    assert (row.status, row.feedback, row.answer) == (
        models.AssignmentStatus.REVIEWED,
        "Well done.",
        "Mon 23h, Tue 22h",
    )


async def test_who_may_move_an_assignment_and_when(client: Person, clinician: Person) -> None:
    # given a planned assignment
    await connected(client, clinician)
    assignment_id = await plan(clinician, client)

    # when and then: each wrong move is refused with its code
    # Feedback only on a submitted assignment.
    assert errors_of(
        await clinician(REVIEW, id=assignment_id, feedback="Hm"), "reviewAssignment"
    ) == ["INVALID_STATE"]
    # Staff never submit or make progress for the client; the client never reviews or plans.
    assert errors_of(await clinician(SUBMIT, id=assignment_id, answer="x"), "submitAssignment") == [
        "FORBIDDEN"
    ]
    assert errors_of(
        await clinician(PROGRESS, id=assignment_id, progress=5), "updateAssignmentProgress"
    ) == ["FORBIDDEN"]
    await client.data(SUBMIT, id=assignment_id, answer="Done")
    assert errors_of(
        await client(REVIEW, id=assignment_id, feedback="Great"), "reviewAssignment"
    ) == ["FORBIDDEN"]
    assert errors_of(
        await client(PLAN, input={"clientId": client.id, "title": "Mine"}), "planAssignment"
    ) == ["FORBIDDEN"]
    # Bad values: an empty answer, progress beyond 100, an empty title, due before available.
    other_id = await plan(clinician, client, title="Second")
    assert errors_of(await client(SUBMIT, id=other_id, answer="  "), "submitAssignment") == [
        "REQUIRED"
    ]
    assert errors_of(
        await client(PROGRESS, id=other_id, progress=101), "updateAssignmentProgress"
    ) == ["INVALID"]
    now = datetime.now(UTC)
    result = await clinician(
        PLAN,
        input={
            "clientId": client.id,
            "title": " ",
            "availableFrom": _iso(now + timedelta(days=2)),
            "dueAt": _iso(now + timedelta(days=1)),
        },
    )
    assert errors_of(result, "planAssignment") == ["REQUIRED", "INVALID"]
    # Every refusal is in the access log, and nothing changed.
    assert await models.Assignment.filter(client_id=client.id).count() == 2
    assert (await models.Assignment.get(id=other_id)).status == models.AssignmentStatus.PLANNED
    assert await models.AuditEvent.filter(action="RECORD_DENIED").count() == 8


async def test_the_client_sees_an_assignment_once_it_is_available(
    client: Person, clinician: Person
) -> None:
    # given an assignment available in three days and one available now
    await connected(client, clinician)
    later_id = await plan(
        clinician,
        client,
        title="Later",
        availableFrom=_iso(datetime.now(UTC) + timedelta(days=3)),
    )
    now_id = await plan(clinician, client, title="Now")

    # when the client and the clinician list them
    seen_by_client = (await client.data(ASSIGNMENTS, clientId=client.id))["record"]["assignments"]
    seen_by_staff = (await clinician.data(ASSIGNMENTS, clientId=client.id))["record"]["assignments"]

    # then the client sees only the available one, the clinician both
    assert [n["id"] for n in seen_by_client["nodes"]] == [now_id]
    assert {n["id"] for n in seen_by_staff["nodes"]} == {now_id, later_id}
    # Not yet available: to the client it does not exist.
    assert errors_of(await client(SUBMIT, id=later_id, answer="x"), "submitAssignment") == [
        "NOT_FOUND"
    ]


async def test_open_assignments_come_first_then_finished_newest_submission_first(
    client: Person, clinician: Person
) -> None:
    # given three assignments: one reviewed, one submitted, one open
    await connected(client, clinician)
    first = await plan(clinician, client, title="First")
    second = await plan(clinician, client, title="Second")
    open_one = await plan(clinician, client, title="Open")
    await client.data(SUBMIT, id=first, answer="a")
    await client.data(SUBMIT, id=second, answer="b")
    await clinician.data(REVIEW, id=first, feedback="ok")

    # when the clinician lists them, all and only the submitted
    page = (await clinician.data(ASSIGNMENTS, clientId=client.id))["record"]["assignments"]
    submitted = await clinician.data(ASSIGNMENTS, clientId=client.id, status="SUBMITTED")

    # then open ones come first, then the newest submission, in pages too
    assert [n["title"] for n in page["nodes"]] == ["Open", "Second", "First"]
    assert [n["id"] for n in page["nodes"]] == [open_one, second, first]
    assert [n["id"] for n in submitted["record"]["assignments"]["nodes"]] == [second]

    paged = await clinician.data(ASSIGNMENTS, clientId=client.id, first=2)
    rest = await clinician.data(
        ASSIGNMENTS,
        clientId=client.id,
        first=2,
        after=paged["record"]["assignments"]["pageInfo"]["endCursor"],
    )
    assert [n["id"] for n in rest["record"]["assignments"]["nodes"]] == [first]


async def test_notes_are_for_connected_staff_only_and_checked(
    client: Person, clinician: Person
) -> None:
    # given a connected client and clinician
    await connected(client, clinician)

    # when the clinician adds a note, an empty one and a huge one, and the client adds one
    added = await clinician.data(ADD_NOTE, clientId=client.id, body="  First session.  ")
    empty = await clinician(ADD_NOTE, clientId=client.id, body=" ")
    huge = await clinician(ADD_NOTE, clientId=client.id, body="x" * 1_000_000)
    by_client = await client(ADD_NOTE, clientId=client.id, body="my own note")

    # then only the clinician's good note is kept, and the client does not see it
    assert added["addNote"]["note"]["body"] == "First session."
    assert added["addNote"]["note"]["author"] == {"id": clinician.id}
    assert errors_of(empty, "addNote") == ["REQUIRED"]
    assert errors_of(huge, "addNote") == ["TOO_LONG"]
    assert errors_of(by_client, "addNote") == ["FORBIDDEN"]
    assert await models.Note.all().count() == 1
    staff_view = (await clinician.data(RECORD, clientId=client.id))["record"]["notes"]
    client_view = (await client.data(RECORD, clientId=client.id))["record"]["notes"]
    assert staff_view["totalCount"] == 1
    assert client_view == {"nodes": [], "totalCount": 0}


async def test_video_calls_are_logged_by_staff_and_checked(
    client: Person, clinician: Person
) -> None:
    # given a connected client and clinician
    await connected(client, clinician)
    started = datetime.now(UTC) - timedelta(hours=1)

    # when the clinician logs a call, a negative one and a future one, and the client logs one
    logged = await clinician.data(
        LOG_CALL,
        input={"clientId": client.id, "startedAt": _iso(started), "durationSeconds": 1800},
    )
    negative = await clinician(
        LOG_CALL, input={"clientId": client.id, "startedAt": _iso(started), "durationSeconds": -5}
    )
    future = await clinician(
        LOG_CALL,
        input={
            "clientId": client.id,
            "startedAt": _iso(datetime.now(UTC) + timedelta(days=1)),
            "durationSeconds": 60,
        },
    )
    by_client = await client(
        LOG_CALL, input={"clientId": client.id, "startedAt": _iso(started), "durationSeconds": 60}
    )

    # then only the clinician's good call is logged and the client sees it
    call = logged["logVideoCall"]["videoCall"]
    assert call["durationSeconds"] == 1800
    assert call["staff"] == {"id": clinician.id}
    assert datetime.fromisoformat(call["endedAt"]) - datetime.fromisoformat(
        call["startedAt"]
    ) == timedelta(minutes=30)
    assert errors_of(negative, "logVideoCall") == ["INVALID"]
    assert errors_of(future, "logVideoCall") == ["IN_THE_FUTURE"]
    assert errors_of(by_client, "logVideoCall") == ["FORBIDDEN"]
    seen = (await client.data(RECORD, clientId=client.id))["record"]["videoCalls"]
    assert seen["totalCount"] == 1


CREATE_TOKEN = """
mutation CreateToken($input: CreateApiTokenInput!) {
  createApiToken(input: $input) {
    apiToken { id name scope revokedAt }
    token
    errors { field code message }
  }
}
"""

REVOKE_TOKEN = """
mutation Revoke($id: ID!) {
  revokeApiToken(id: $id) { apiToken { id revokedAt } errors { code } }
}
"""


async def test_an_integration_logs_calls_with_a_scoped_token_until_it_is_revoked(
    client: Person,
    clinician: Person,
    administrator: Person,
    anonymous: Person,
    people: People,
    other_healthspace: models.Healthspace,
) -> None:
    # given an administrator made a token for the video service
    made = await administrator.data(
        CREATE_TOKEN,
        input={
            "healthspaceId": str((await client.member.healthspace).id),  # type: ignore[union-attr]
            "name": "Video service",
            "scope": "LOG_VIDEO_CALLS",
        },
    )
    token = made["createApiToken"]["token"]
    integration = Person(anonymous.http, None, token=token, label="integration")
    call = {
        "clientId": client.id,
        "startedAt": _iso(datetime.now(UTC) - timedelta(hours=2)),
        "durationSeconds": 900,
        "staffId": clinician.id,
    }

    # when the integration logs a call
    logged = await integration.data(LOG_CALL, input=call)

    # then it is in the record, with the clinician, but the token opens nothing else: not
    # even the staff member it named (a token is nobody; Member follows member(id:))
    assert logged["logVideoCall"]["videoCall"]["staff"] is None
    assert await models.VideoCall.filter(staff_id=clinician.id).count() == 1
    assert (await integration(RECORD, clientId=client.id))["errors"][0]["extensions"][
        "code"
    ] == "UNAUTHENTICATED"
    note = await integration(ADD_NOTE, clientId=client.id, body="x")
    assert note["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # a client of another Healthspace is not found for this token
    stranger = await people.client(other_healthspace)
    assert errors_of(
        await integration(LOG_CALL, input={**call, "clientId": stranger.id, "staffId": None}),
        "logVideoCall",
    ) == ["NOT_FOUND"]
    # once revoked, the token opens nothing
    await administrator.data(REVOKE_TOKEN, id=made["createApiToken"]["apiToken"]["id"])
    refused = await integration(LOG_CALL, input=call)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await models.VideoCall.all().count() == 1


async def test_times_without_a_zone_are_utc_and_a_bad_staff_id_is_not_found(
    client: Person, clinician: Person, administrator: Person, anonymous: Person
) -> None:
    # given a time without a zone
    await connected(client, clinician)
    naive = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None, microsecond=0)

    # when an assignment is planned at that time and a call is logged with a bad staff id
    planned = await clinician.data(
        PLAN,
        input={
            "clientId": client.id,
            "title": "Later",
            "availableFrom": naive.isoformat(),
            "dueAt": (naive + timedelta(days=1)).isoformat(),
        },
    )
    made = await administrator.data(
        CREATE_TOKEN,
        input={
            "healthspaceId": str(client.member.healthspace_id),  # type: ignore[union-attr]
            "name": "Video",
            "scope": "LOG_VIDEO_CALLS",
        },
    )
    integration = Person(anonymous.http, None, token=made["createApiToken"]["token"])
    bad_staff = await integration(
        LOG_CALL,
        input={
            "clientId": client.id,
            "startedAt": naive.replace(year=naive.year - 1).isoformat(),
            "durationSeconds": 60,
            "staffId": "not-an-id",
        },
    )

    # then the time is read as UTC and the bad staff id is not found
    assignment = planned["planAssignment"]["assignment"]
    assert datetime.fromisoformat(assignment["availableFrom"]) == naive.replace(tzinfo=UTC)
    assert [(e["field"], e["code"]) for e in bad_staff["data"]["logVideoCall"]["errors"]] == [
        (["input", "staffId"], "NOT_FOUND")
    ]
    assert (
        await models.AuditEvent.filter(action="RECORD_DENIED", section="VIDEO_CALLS").count() == 1
    )
