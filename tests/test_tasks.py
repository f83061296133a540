"""The staff task lists (`Healthspace.tasks`, the Admin → Tasks screen): what is in each list,
who sees which, and that a task is gone for everyone once someone handles it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import People, Person

import models
from permissions.roles import Permission, Role
from schema.task_sources import register_task_source, unregister_task_source

COUNTS = """
query Counts($id: ID!) {
  healthspace(id: $id) {
    tasks {
      counts {
        clientsWithoutConnection pendingJoinRequests openInvitations expiringInvitations
        myClientsWithTasks
      }
    }
  }
}
"""

LISTS = """
query Lists($id: ID!) {
  healthspace(id: $id) {
    tasks {
      clientsWithoutConnection { nodes { id lastName } totalCount }
      pendingJoinRequests { nodes { id email } totalCount }
      openInvitations { nodes { email kind remindersSent expiresAt } totalCount }
      expiringInvitations { nodes { email } totalCount }
    }
  }
}
"""

UNCONNECTED = """
query Unconnected($id: ID!) {
  healthspace(id: $id) { tasks { clientsWithoutConnection { nodes { id } totalCount } } }
}
"""

MY_CLIENTS_WITH_TASKS = """
query MyTasks($id: ID!) {
  healthspace(id: $id) { tasks { myClientsWithTasks { nodes { id } totalCount } } }
}
"""

ADD_CONNECTION = """
mutation Add($clientId: ID!, $staffId: ID!) {
  addConnection(clientId: $clientId, staffId: $staffId) { errors { code } }
}
"""

APPROVE = """
mutation Approve($id: ID!) { approveJoinRequest(id: $id) { errors { code } } }
"""


async def invite(
    healthspace: models.Healthspace,
    email: str,
    *,
    expires_in: timedelta = timedelta(days=30),
    kind: models.MemberKind = models.MemberKind.CLIENT,
    status: models.InvitationStatus = models.InvitationStatus.PENDING,
) -> models.Invitation:
    now = datetime.now(UTC)
    return await models.Invitation.create(
        healthspace=healthspace,
        kind=kind.value,
        email=email,
        token_hash=uuid.uuid4().hex,
        last_sent_at=now,
        expires_at=now + expires_in,
        status=status,
        pending_key=f"{healthspace.id}:{email}"
        if status == models.InvitationStatus.PENDING
        else None,
    )


async def join_request(people: People, healthspace: models.Healthspace) -> models.JoinRequest:
    account = await people.account()
    return await models.JoinRequest.create(
        healthspace=healthspace,
        account=account,
        pending_key=f"{healthspace.id}:{account.id}",
    )


@pytest.fixture
async def situation(
    people: People,
    healthspace: models.Healthspace,
    other_healthspace: models.Healthspace,
    clinician: Person,
) -> dict[str, Any]:
    """Two unconnected clients (one more deactivated, one connected), two pending join requests
    (one decided), open invitations (one expiring in 2 days, one for staff), and the same kind of
    things in another Healthspace that must never show."""
    lonely = [
        await people.client(healthspace, last_name="Alone"),
        await people.client(healthspace, last_name="Bereft"),
    ]
    gone = await people.client(healthspace, last_name="Gone")
    await models.Member.filter(id=gone.id).update(status=models.MemberStatus.DEACTIVATED)
    connected = await people.client(healthspace, last_name="Linked")
    await models.Connection.create(
        healthspace=healthspace,
        client_id=connected.id,
        staff_id=clinician.id,
        current_key=f"{connected.id}:{clinician.id}",
    )
    requests = [await join_request(people, healthspace) for _ in range(2)]
    decided = await join_request(people, healthspace)
    await models.JoinRequest.filter(id=decided.id).update(
        status=models.JoinRequestStatus.REJECTED, pending_key=None
    )
    await invite(healthspace, "later@example.org")
    await invite(healthspace, "soon@example.org", expires_in=timedelta(days=2))
    await invite(healthspace, "staff@example.org", kind=models.MemberKind.STAFF)
    await invite(healthspace, "past@example.org", expires_in=timedelta(days=-1))
    await invite(healthspace, "gone@example.org", status=models.InvitationStatus.WITHDRAWN)
    await people.client(other_healthspace)
    await join_request(people, other_healthspace)
    await invite(other_healthspace, "elsewhere@example.org", expires_in=timedelta(days=1))
    return {"lonely": lonely, "requests": requests}


async def test_the_administrator_sees_every_task(
    healthspace: models.Healthspace, administrator: Person, situation: dict[str, Any]
) -> None:
    # given the situation fixture's tasks, when the administrator reads the counts and the lists
    counts = (await administrator.data(COUNTS, id=str(healthspace.id)))["healthspace"]["tasks"]
    lists = (await administrator.data(LISTS, id=str(healthspace.id)))["healthspace"]["tasks"]

    # then every kind of task is there, in order
    assert counts["counts"] == {
        "clientsWithoutConnection": 2,
        "pendingJoinRequests": 2,
        "openInvitations": 3,
        "expiringInvitations": 1,
        "myClientsWithTasks": 0,
    }
    assert [n["lastName"] for n in lists["clientsWithoutConnection"]["nodes"]] == [
        "Alone",
        "Bereft",
    ]
    assert [n["id"] for n in lists["pendingJoinRequests"]["nodes"]] == [
        str(r.id) for r in situation["requests"]
    ]
    # Soonest expiry first.
    assert [n["email"] for n in lists["openInvitations"]["nodes"]] == [
        "soon@example.org",
        "later@example.org",
        "staff@example.org",
    ]
    assert lists["expiringInvitations"] == {
        "nodes": [{"email": "soon@example.org"}],
        "totalCount": 1,
    }


async def test_a_task_is_gone_for_everyone_once_someone_handles_it(
    healthspace: models.Healthspace,
    administrator: Person,
    assistant: Person,
    clinician: Person,
    situation: dict[str, Any],
) -> None:
    # given the situation fixture's tasks
    lonely, requests = situation["lonely"], situation["requests"]

    # when one of each kind is handled
    await assistant.data(ADD_CONNECTION, clientId=lonely[0].id, staffId=clinician.id)
    await assistant.data(APPROVE, id=str(requests[0].id))
    await models.Invitation.filter(email="soon@example.org").update(
        status=models.InvitationStatus.WITHDRAWN, pending_key=None
    )

    # then it is gone for both the administrator and the assistant
    for person in (administrator, assistant):
        counts = (await person.data(COUNTS, id=str(healthspace.id)))["healthspace"]["tasks"]
        # The approved requester is a new client nobody is connected to yet: a new task.
        assert counts["counts"] == {
            "clientsWithoutConnection": 2,
            "pendingJoinRequests": 1,
            "openInvitations": 2,
            "expiringInvitations": 0,
            "myClientsWithTasks": 0,
        }
        unconnected = (await person.data(UNCONNECTED, id=str(healthspace.id)))["healthspace"]
        assert lonely[0].id not in {
            n["id"] for n in unconnected["tasks"]["clientsWithoutConnection"]["nodes"]
        }


async def test_a_clinician_sees_only_their_own_task_count(
    healthspace: models.Healthspace, clinician: Person, situation: dict[str, Any]
) -> None:
    counts = (await clinician.data(COUNTS, id=str(healthspace.id)))["healthspace"]["tasks"]

    assert counts["counts"] == {
        "clientsWithoutConnection": None,
        "pendingJoinRequests": None,
        "openInvitations": None,
        "expiringInvitations": None,
        "myClientsWithTasks": 0,
    }
    refused = await clinician(UNCONNECTED, id=str(healthspace.id))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_granted_permissions_open_the_matching_lists(
    people: People, healthspace: models.Healthspace, situation: dict[str, Any]
) -> None:
    # given a clinician granted own connections and client invitations
    clinician = await people.staff(
        healthspace,
        Role.CLINICIAN,
        granted=[Permission.MANAGE_OWN_CONNECTIONS, Permission.INVITE_CLIENTS],
    )

    # when they read the task counts
    counts = (await clinician.data(COUNTS, id=str(healthspace.id)))["healthspace"]["tasks"]

    # then they see the matching lists
    # Client invitations only: inviting staff is not theirs.
    assert counts["counts"] == {
        "clientsWithoutConnection": 2,
        "pendingJoinRequests": None,
        "openInvitations": 2,
        "expiringInvitations": 1,
        "myClientsWithTasks": 0,
    }


@pytest.mark.parametrize(
    ("person", "code"),
    [("client", "FORBIDDEN"), ("anonymous", "UNAUTHENTICATED")],
    indirect=["person"],
)
async def test_tasks_are_for_staff(
    healthspace: models.Healthspace, person: Person, code: str
) -> None:
    result = await person(COUNTS, id=str(healthspace.id))

    assert result["data"] == {"healthspace": None}
    assert result["errors"][0]["extensions"]["code"] == code


async def test_another_healthspaces_staff_see_nothing(
    healthspace: models.Healthspace, outsider: Person
) -> None:
    assert await outsider.data(COUNTS, id=str(healthspace.id)) == {"healthspace": None}


# --- clients with tasks ---------------------------------------------------------------------------


@pytest.fixture
async def new_files() -> AsyncIterator[set[uuid.UUID]]:
    """A registered task source ("newly shared file") whose answer the test sets."""
    clients: set[uuid.UUID] = set()

    async def find(
        healthspace_id: uuid.UUID, staff_member_id: uuid.UUID, client_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        return clients

    register_task_source("TEST_NEW_FILE", find)
    yield clients
    unregister_task_source("TEST_NEW_FILE")


async def test_my_clients_with_tasks_come_from_the_task_sources(
    people: People,
    healthspace: models.Healthspace,
    clinician: Person,
    new_files: set[uuid.UUID],
) -> None:
    # given three clients of the clinician, two named by a task source
    clients = [await people.client(healthspace) for _ in range(3)]
    for client in clients:
        await models.Connection.create(
            healthspace=healthspace,
            client_id=client.id,
            staff_id=clinician.id,
            current_key=f"{client.id}:{clinician.id}",
        )
    new_files.update({clients[0].member.id, clients[2].member.id})  # type: ignore[union-attr]

    # when the clinician reads the counts and the list
    counts = (await clinician.data(COUNTS, id=str(healthspace.id)))["healthspace"]["tasks"]
    listed = (await clinician.data(MY_CLIENTS_WITH_TASKS, id=str(healthspace.id)))["healthspace"]

    # then the two are listed, until one is handled
    assert counts["counts"]["myClientsWithTasks"] == 2
    assert {n["id"] for n in listed["tasks"]["myClientsWithTasks"]["nodes"]} == {
        clients[0].id,
        clients[2].id,
    }
    # Handled (the source no longer names the client): gone.
    new_files.discard(clients[0].member.id)  # type: ignore[union-attr]
    counts = (await clinician.data(COUNTS, id=str(healthspace.id)))["healthspace"]["tasks"]
    assert counts["counts"]["myClientsWithTasks"] == 1
