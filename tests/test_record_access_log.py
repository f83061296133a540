"""The access log of the record (NEN 7513): one line per section read, every change and every
refusal; the client reads who looked at their record; VIEW_AUDIT_LOG reads the Healthspace's
log, which is itself audited; and no record data leaves when the log cannot be written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import People, Person, data_of
from records_api import ADD_NOTE, RECORD, connected, plan
from tortoise.connection import get_connection

import models
from permissions.roles import Role

ACCESS_LOG = """
{
  viewer {
    accessLog {
      nodes { action section outcome actor { id firstName lastName roles } occurredAt }
      totalCount
    }
  }
}
"""

AUDIT_LOG = """
query AuditLog($id: ID!, $clientId: ID, $memberId: ID, $from: DateTime, $to: DateTime) {
  healthspace(id: $id) {
    auditLog(clientId: $clientId, memberId: $memberId, from: $from, to: $to, first: 100) {
      nodes { action section outcome ipAddress actor { id } client { id } }
      totalCount
    }
  }
}
"""


async def test_a_record_page_writes_one_line_per_section_read(
    client: Person, clinician: Person
) -> None:
    # given a client with three assignments and no reads yet
    await connected(client, clinician)
    for number in range(3):
        await plan(clinician, client, title=f"Assignment {number}")
    assert await models.AuditEvent.filter(action="RECORD_READ").count() == 0

    # when the clinician reads the record
    await clinician.data(RECORD, clientId=client.id)

    # then one line per section is logged, with who, whose and from where
    lines = await models.AuditEvent.filter(action="RECORD_READ")
    assert sorted((line.action, line.section) for line in lines) == [
        ("RECORD_READ", "ASSIGNMENTS"),
        ("RECORD_READ", "CLIENT"),
        ("RECORD_READ", "NOTES"),
        ("RECORD_READ", "VIDEO_CALLS"),
    ]
    for line in lines:
        assert line.actor_member_id == clinician.member.id  # type: ignore[union-attr]
        assert line.actor_account_id == clinician.account.id  # type: ignore[union-attr]
        assert line.client_member_id == client.member.id  # type: ignore[union-attr]
        assert line.ip_address == "203.0.113.7"
        assert line.outcome == models.AuditOutcome.SUCCESS


async def test_the_client_reads_who_looked_at_their_record_and_no_other_client(
    people: People, healthspace: models.Healthspace, client: Person, clinician: Person
) -> None:
    # given the clinician read the record, and another client tried to
    await connected(client, clinician)
    other_client = await people.client(healthspace)
    await clinician.data(RECORD, clientId=client.id)
    assert (await other_client.data(RECORD, clientId=client.id))["record"] is None
    await client.data(RECORD, clientId=client.id)  # the client's own look

    log = (await client.data(ACCESS_LOG))["viewer"]["accessLog"]
    others_log = (await other_client.data(ACCESS_LOG))["viewer"]["accessLog"]

    assert {(n["action"], n["section"]) for n in log["nodes"]} == {
        ("RECORD_READ", "CLIENT"),
        ("RECORD_READ", "ASSIGNMENTS"),
        ("RECORD_READ", "NOTES"),
        ("RECORD_READ", "VIDEO_CALLS"),
    }
    assert {n["actor"]["id"] for n in log["nodes"]} == {clinician.id}
    assert log["nodes"][0]["actor"]["roles"] == ["CLINICIAN"]
    assert others_log["totalCount"] == 0


async def test_the_audit_log_by_client_member_and_period_is_itself_audited(
    people: People,
    healthspace: models.Healthspace,
    administrator: Person,
    client: Person,
    clinician: Person,
    assistant: Person,
) -> None:
    # given a clinician who wrote and read a client's notes
    await connected(client, clinician)
    await clinician.data(ADD_NOTE, clientId=client.id, body="Intake")
    await clinician.data(RECORD, clientId=client.id)
    now = datetime.now(UTC)

    # when the administrator reads the log by client, by member and for the past; others try
    by_client = await administrator.data(AUDIT_LOG, id=str(healthspace.id), clientId=client.id)
    by_member = await administrator.data(AUDIT_LOG, id=str(healthspace.id), memberId=clinician.id)
    in_the_past = await administrator.data(
        AUDIT_LOG, id=str(healthspace.id), to=(now - timedelta(days=1)).isoformat()
    )
    refused = await assistant(AUDIT_LOG, id=str(healthspace.id))
    backwards = await administrator(
        AUDIT_LOG,
        id=str(healthspace.id),
        **{"from": now.isoformat()},
        to=(now - timedelta(days=1)).isoformat(),
    )

    # then each filter gives its lines, bad asks are refused, and each read is itself audited
    lines = by_client["healthspace"]["auditLog"]["nodes"]
    assert {(n["action"], n["section"]) for n in lines} >= {
        ("RECORD_CREATE", "NOTES"),
        ("RECORD_READ", "NOTES"),
        ("CONNECTION_ADDED", None),
    }
    assert all(n["client"]["id"] == client.id for n in lines)
    assert all(n["ipAddress"] in {"203.0.113.7", None} for n in lines)
    assert {n["actor"]["id"] for n in by_member["healthspace"]["auditLog"]["nodes"]} == {
        clinician.id
    }
    assert in_the_past["healthspace"]["auditLog"]["totalCount"] == 0
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    reads = await models.AuditEvent.filter(
        action="AUDIT_LOG_READ",
        actor_member_id=administrator.member.id,  # type: ignore[union-attr]
    ).count()
    assert reads == 3


async def _switch(on: bool) -> None:
    connection = get_connection("default")
    name = '"audit_down"'
    if connection.capabilities.dialect == "postgres":
        sql = (
            f'CREATE TRIGGER {name} BEFORE INSERT ON "audit_event" '
            "FOR EACH ROW EXECUTE FUNCTION carespace_refuse_change()"
            if on
            else f'DROP TRIGGER {name} ON "audit_event"'
        )
    else:
        sql = (
            f'CREATE TRIGGER {name} BEFORE INSERT ON "audit_event" '
            "BEGIN SELECT RAISE(ABORT, 'audit log down'); END"
            if on
            else f"DROP TRIGGER {name}"
        )
    await connection.execute_script(sql)


async def test_no_record_data_leaves_when_the_access_log_cannot_be_written(
    client: Person, clinician: Person
) -> None:
    # given a record with a note, and an audit table that refuses new lines
    await connected(client, clinician)
    await clinician.data(ADD_NOTE, clientId=client.id, body="Confidential")
    await _switch(True)
    try:
        # when the clinician reads the record and adds a note
        read = await clinician(RECORD, clientId=client.id)
        write = await clinician(ADD_NOTE, clientId=client.id, body="Second")
    finally:
        await _switch(False)

    # then the request failed, nothing of the record came back and nothing was written
    assert read["data"] is None
    assert read["errors"][0]["message"] == "Unexpected error."
    assert "Confidential" not in str(read)
    assert write["data"] is None or write["data"]["addNote"] is None
    assert await models.Note.all().count() == 1
    # sanity: with the log back, the record reads again
    assert (
        data_of(await clinician(RECORD, clientId=client.id))["record"]["notes"]["totalCount"] == 1
    )


async def test_refusals_name_the_client_and_the_viewer(
    people: People, healthspace: models.Healthspace, client: Person
) -> None:
    stranger = await people.staff(healthspace, Role.CLINICIAN)

    assert (await stranger.data(RECORD, clientId=client.id))["record"] is None

    [line] = await models.AuditEvent.filter(action="RECORD_DENIED")
    assert line.outcome == models.AuditOutcome.DENIED
    assert line.client_member_id == client.member.id  # type: ignore[union-attr]
    assert line.actor_member_id == stranger.member.id  # type: ignore[union-attr]
    assert line.healthspace_id == healthspace.id
