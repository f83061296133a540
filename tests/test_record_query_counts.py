"""A record page costs the same number of SQL statements with 5 or 50 assignments (one access
log line per section, one batch per nested field)."""

from __future__ import annotations

from conftest import Person, QueryCounter, data_of
from records_api import connected

import models

RECORD_PAGE = """
query Record($clientId: ID!) {
  record(clientId: $clientId) {
    client { firstName lastName dateOfBirth identificationNumber }
    connectedClinicians { lastName }
    assignments(first: 100) {
      nodes { title status progress plannedBy { lastName } reviewedBy { lastName } }
      totalCount
    }
    notes(first: 100) { nodes { body author { lastName } } totalCount }
    videoCalls(first: 100) { nodes { durationSeconds staff { lastName } } totalCount }
  }
}
"""


async def add_assignments(client: Person, clinician: Person, count: int) -> None:
    await models.Assignment.bulk_create(
        [
            models.Assignment(
                healthspace_id=client.member.healthspace_id,  # type: ignore[union-attr]
                client_id=client.id,
                title=f"Assignment {number}",
                planned_by_id=clinician.id,
            )
            for number in range(count)
        ]
    )


async def statements_for_page(
    clinician: Person, client: Person, sql_queries: type[QueryCounter]
) -> tuple[int, list[str]]:
    with sql_queries() as counter:
        result = await clinician(RECORD_PAGE, clientId=client.id)
    assignments = data_of(result)["record"]["assignments"]
    assert all(node["plannedBy"] == {"lastName": "Clinic"} for node in assignments["nodes"])
    return len(assignments["nodes"]), counter.statements


async def test_a_record_page_with_5_or_50_assignments_costs_the_same(
    client: Person, clinician: Person, sql_queries: type[QueryCounter]
) -> None:
    await connected(client, clinician)
    await add_assignments(client, clinician, 5)
    five, statements_for_five = await statements_for_page(clinician, client, sql_queries)
    await add_assignments(client, clinician, 45)
    fifty, statements_for_fifty = await statements_for_page(clinician, client, sql_queries)

    assert (five, fifty) == (5, 50)
    assert len(statements_for_five) == len(statements_for_fifty), "\n".join(statements_for_fifty)
    # session, client, viewer's membership, connection; one INSERT for the 4 sections' access
    # log lines; clinicians; count + page for each of 3 sections; one batch of members
    assert len(statements_for_fifty) <= 13, "\n".join(statements_for_fifty)
