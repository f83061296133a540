"""Privacy and permissions as an attacker with a real account would probe them: every nested
path a role can reach, other Healthspaces' ids in every argument, stale sessions and memberships,
and the fields that must never exist (hashes, raw tokens)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from conftest import PUBLIC_URL, People, Person, error_code
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, Undefined
from helpers import connect, latest_token
from websocket_session import WebSocketSession

import models
from permissions.roles import Permission, Role
from schema.limits import QueryLimits
from schema.settings import Settings
from server import build_schema

# --- documents ---------------------------------------------------------------------------------

PERSON = "id firstName lastName email dateOfBirth identificationNumber"

MY_CONNECTIONS = f"""
query MyConnections {{
  viewer {{
    memberships {{
      id kind
      connections {{
        client {{ {PERSON} }}
        staff {{ {PERSON} connections {{ client {{ {PERSON} }} }} }}
        createdBy {{ {PERSON} connections {{ client {{ {PERSON} }} }} }}
        endedBy {{ id }}
      }}
    }}
  }}
}}
"""

MEMBER = f"""
query Member($id: ID!) {{
  member(id: $id) {{
    {PERSON} kind roles
    connectedToViewer
    connections {{
      client {{ {PERSON} }}
      staff {{ {PERSON} connections {{ client {{ {PERSON} }} }} }}
      createdBy {{ {PERSON} connections {{ client {{ {PERSON} }} }} }}
    }}
  }}
}}
"""

MY_CLIENTS = """
query MyClients($id: ID!) {
  healthspace(id: $id) {
    myClients { totalCount nodes { id firstName } }
    tasks { counts { myClientsWithTasks } }
  }
}
"""

HEALTHSPACE_LISTS = """
query HealthspaceLists($id: ID!) {
  healthspace(id: $id) {
    id name
    viewerMember { id }
    members { totalCount nodes { id email } }
  }
}
"""

HEALTHSPACE_FIELD = """
query HealthspaceField($id: ID!) {
  healthspace(id: $id) {
    id
    %s
  }
}
"""

GUARDED_HEALTHSPACE_FIELDS = {
    "members": "members { nodes { id email } }",
    "invitations": "invitations { nodes { id email } }",
    "myClients": "myClients { nodes { id } }",
    "joinRequests": "joinRequests { nodes { id email } }",
    "tasks": "tasks { counts { myClientsWithTasks } }",
}

MEMBER_LOOKUP = """
query MemberLookup($healthspaceId: ID!, $email: String!) {
  memberLookup(healthspaceId: $healthspaceId, email: $email) {
    status member { id email } invitation { id email }
  }
}
"""

ROSTER_BATCH = """
query RosterBatch($id: ID!) {
  rosterBatch(id: $id) { id roster rows { email } createdBy { id email } }
}
"""

INVITE_ROSTER = """
mutation InviteRoster($input: InviteRosterInput!) {
  inviteRoster(input: $input) { batch { id } errors { code } }
}
"""

INVITE_CLIENT = """
mutation InviteClient($input: InviteClientInput!) {
  inviteClient(input: $input) {
    invitation { id connectTo { id email } }
    errors { field code }
  }
}
"""

INVITATION_PREVIEW = """
query Preview($token: String!) {
  invitation(token: $token) {
    status firstName lastName maskedEmail inviterName
    healthspace { id name viewerMember { id } }
  }
}
"""

PREVIEW_MEMBERS = """
query Preview($token: String!) {
  invitation(token: $token) { healthspace { members { nodes { email } } } }
}
"""

ACCEPT_INVITATION = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    member { id kind }
    errors { code }
  }
}
"""

REQUEST_TO_JOIN = """
mutation RequestToJoin($healthspaceId: ID!) {
  requestToJoin(healthspaceId: $healthspaceId) { joinRequest { id } errors { code } }
}
"""

APPROVE_JOIN_REQUEST = """
mutation Approve($id: ID!) {
  approveJoinRequest(id: $id) { member { id kind } errors { code } }
}
"""

MY_JOIN_REQUESTS = """
query MyJoinRequests {
  myJoinRequests { totalCount nodes { id email status decidedBy { id email } } }
}
"""

UPDATE_MEMBER_ROLES = """
mutation UpdateRoles($memberId: ID!, $roles: [Role!]!) {
  updateMemberRoles(memberId: $memberId, roles: $roles) { member { id roles } errors { code } }
}
"""

DEACTIVATE_MEMBER = """
mutation Deactivate($memberId: ID!) {
  deactivateMember(memberId: $memberId) { member { id status } errors { code } }
}
"""

MEMBER_BY_ID = "query($id: ID!) { member(id: $id) { id dateOfBirth email } }"

REMOVE_CONNECTION = """
mutation RemoveConnection($clientId: ID!, $staffId: ID!) {
  removeConnection(clientId: $clientId, staffId: $staffId) { connection { id } errors { code } }
}
"""

ADD_CONNECTION = """
mutation AddConnection($clientId: ID!, $staffId: ID!) {
  addConnection(clientId: $clientId, staffId: $staffId) {
    connection { id client { id } staff { id } }
    errors { field code }
  }
}
"""

SET_CONNECTIONS = """
mutation SetConnections($memberId: ID!, $memberIds: [ID!]!) {
  setConnections(memberId: $memberId, memberIds: $memberIds) {
    connections { client { id } } errors { field code }
  }
}
"""

FOREIGN_ID_MUTATIONS = {
    "updateMemberRoles": (
        "mutation($id: ID!) { updateMemberRoles(memberId: $id, roles: [ASSISTANT]) "
        "{ member { id } errors { code } } }"
    ),
    "grantPermissions": (
        "mutation($id: ID!) { grantPermissions(memberId: $id, permissions: [INVITE_CLIENTS]) "
        "{ member { id } errors { code } } }"
    ),
    "deactivateMember": (
        "mutation($id: ID!) { deactivateMember(memberId: $id) { member { id } errors { code } } }"
    ),
    "updateMember": (
        'mutation($id: ID!) { updateMember(input: {memberId: $id, identificationNumber: "X"}) '
        "{ member { id } errors { code } } }"
    ),
    "setConnections": (
        "mutation($id: ID!) { setConnections(memberId: $id, memberIds: []) "
        "{ member { id } errors { code } } }"
    ),
    "removeConnection": (
        "mutation($id: ID!, $staffId: ID!) { removeConnection(clientId: $id, staffId: $staffId) "
        "{ connection { id } errors { code } } }"
    ),
}

VIEWER = "query { viewer { id memberships { id } } }"


@pytest.fixture
async def other_client(people: People, healthspace: models.Healthspace) -> Person:
    return await people.client(
        healthspace,
        label="other client",
        first_name="Olivia",
        last_name="Other",
        email="olivia@example.org",
    )


def ids_in(value: Any) -> set[str]:
    """Every `id` anywhere in a GraphQL answer."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                found.add(item)
            else:
                found |= ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= ids_in(item)
    return found


def text_of(value: Any) -> str:
    return json.dumps(value)


# --- a client sees themselves and their own clinicians, nothing of other clients ---------------


async def test_a_client_sees_no_other_client_through_any_nested_connection_path(
    healthspace: models.Healthspace,
    client: Person,
    other_client: Person,
    clinician: Person,
    people: People,
) -> None:
    # An administrator who is also a clinician made the client's connection, and is connected
    # to the other client: createdBy must not open a way to that other client.
    admin_clinician = await people.staff(
        healthspace, Role.ADMINISTRATOR, Role.CLINICIAN, label="admin clinician"
    )
    await connect(client, clinician, by=admin_clinician)
    await connect(other_client, clinician, by=admin_clinician)
    await connect(other_client, admin_clinician, by=admin_clinician)

    # when the client reads their connections, their clinician and the creator
    mine = await client.data(MY_CONNECTIONS)
    seen = await client.data(MEMBER, id=clinician.id)
    creator = await client.data(MEMBER, id=admin_clinician.id)

    # then the other client shows nowhere and the creator is not theirs to look up
    for answer in (mine, seen, creator):
        assert other_client.id not in ids_in(answer)
        assert "olivia@example.org" not in text_of(answer)
        assert "Olivia" not in text_of(answer)
    [membership] = mine["viewer"]["memberships"]
    [connection] = membership["connections"]
    assert connection["client"]["id"] == client.id
    assert connection["staff"]["id"] == clinician.id
    assert connection["staff"]["dateOfBirth"] is None
    assert [c["client"]["id"] for c in connection["staff"]["connections"]] == [client.id]
    # The creator is a staff member the client may not look up: null here too (issue 7, item 2).
    assert connection["createdBy"] is None
    assert [c["client"]["id"] for c in seen["member"]["connections"]] == [client.id]
    # A staff member the client is not connected to is not theirs to look up.
    assert creator == {"member": None}


async def test_a_client_cannot_look_up_another_client_or_an_unconnected_clinician(
    client: Person, other_client: Person, clinician: Person, colleague: Person
) -> None:
    await connect(other_client, clinician)

    assert await client.data(MEMBER, id=other_client.id) == {"member": None}
    assert await client.data(MEMBER, id=clinician.id) == {"member": None}
    assert await client.data(MEMBER, id=colleague.id) == {"member": None}


@pytest.mark.parametrize("field", sorted(GUARDED_HEALTHSPACE_FIELDS))
async def test_a_client_is_refused_every_staff_list_of_their_healthspace(
    healthspace: models.Healthspace, client: Person, other_client: Person, field: str
) -> None:
    result = await client(
        HEALTHSPACE_FIELD % GUARDED_HEALTHSPACE_FIELDS[field], id=str(healthspace.id)
    )

    assert error_code(result) == "FORBIDDEN"
    assert other_client.id not in ids_in(result)


async def test_a_client_is_refused_member_lookup_and_roster_batches(
    healthspace: models.Healthspace, client: Person, other_client: Person, assistant: Person
) -> None:
    batch = await assistant.data(
        INVITE_ROSTER, input={"healthspaceId": str(healthspace.id), "roster": "new@example.org"}
    )
    batch_id = batch["inviteRoster"]["batch"]["id"]

    lookup = await client(
        MEMBER_LOOKUP, healthspaceId=str(healthspace.id), email="olivia@example.org"
    )
    roster = await client(ROSTER_BATCH, id=batch_id)

    assert (error_code(lookup), lookup["data"]) == ("FORBIDDEN", None)
    # The batch exists, but a client may not see it: the answer a missing one gets (issue 7, 4).
    assert (error_code(roster), roster["data"]) == ("NOT_FOUND", {"rosterBatch": None})


# --- a staff member who stops being a clinician, or comes back as a client --------------------


async def test_a_clinician_whose_role_is_removed_loses_their_clients(
    healthspace: models.Healthspace,
    administrator: Person,
    clinician: Person,
    client: Person,
) -> None:
    # given a clinician connected to a client
    await connect(client, clinician, by=administrator)
    assert (await clinician.data(MY_CLIENTS, id=str(healthspace.id)))["healthspace"]["myClients"][
        "totalCount"
    ] == 1

    # when the administrator takes the clinician role away
    changed = await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=clinician.id, roles=["LIBRARY_MANAGER"]
    )

    # then the clinician loses the client, the connection ends as history, and the client is told
    assert changed["updateMemberRoles"]["errors"] == []
    mine = (await clinician.data(MY_CLIENTS, id=str(healthspace.id)))["healthspace"]
    assert mine["myClients"] == {"totalCount": 0, "nodes": []}
    # The client no longer has them as a clinician either ...
    assert await client.data(MEMBER, id=clinician.id) == {"member": None}
    [membership] = (await client.data(MY_CONNECTIONS))["viewer"]["memberships"]
    assert membership["connections"] == []
    # ... and the connection stays as history, ended by the administrator.
    row = await models.Connection.get(client_id=client.id, staff_id=clinician.id)
    assert (row.current_key, str(row.ended_by_id)) == (None, administrator.id)
    # The client is told, as for any connection that ends.
    mail = await models.OutboxMessage.filter(template="connection_ended").values_list(
        "to_address", flat=True
    )
    assert mail == [client.email]


async def test_a_role_change_that_keeps_the_clinician_role_keeps_the_connections(
    healthspace: models.Healthspace,
    administrator: Person,
    clinician: Person,
    client: Person,
) -> None:
    await connect(client, clinician, by=administrator)

    changed = await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=clinician.id, roles=["CLINICIAN", "LIBRARY_MANAGER"]
    )

    assert changed["updateMemberRoles"]["errors"] == []
    mine = (await clinician.data(MY_CLIENTS, id=str(healthspace.id)))["healthspace"]
    assert mine["myClients"]["totalCount"] == 1
    assert await models.OutboxMessage.all().count() == 0


async def test_a_former_clinician_who_returns_as_a_client_sees_none_of_their_old_clients(
    healthspace: models.Healthspace,
    administrator: Person,
    assistant: Person,
    clinician: Person,
    client: Person,
) -> None:
    """Deactivation keeps a clinician's connections as they were; joining again as a client
    must not turn them into a window on those clients."""
    # given a clinician with a client, deactivated, who comes back as a client
    await connect(client, clinician, by=administrator)
    deactivated = await administrator.data(DEACTIVATE_MEMBER, memberId=clinician.id)
    assert deactivated["deactivateMember"]["errors"] == []
    await models.Healthspace.filter(id=healthspace.id).update(findable=True)
    asked = await clinician.data(REQUEST_TO_JOIN, healthspaceId=str(healthspace.id))
    approved = await assistant.data(
        APPROVE_JOIN_REQUEST, id=asked["requestToJoin"]["joinRequest"]["id"]
    )
    assert approved["approveJoinRequest"]["member"] == {"id": clinician.id, "kind": "CLIENT"}

    # when they read their connections and their own member
    mine = await clinician.data(MY_CONNECTIONS)
    own = await clinician.data(MEMBER, id=clinician.id)

    # then none of their old clients shows
    for answer in (mine, own):
        assert client.id not in ids_in(answer)
        assert client.email not in text_of(answer)
    [membership] = mine["viewer"]["memberships"]
    assert membership == {"id": clinician.id, "kind": "CLIENT", "connections": []}
    assert await clinician.data(MEMBER, id=client.id) == {"member": None}
    assert await models.Connection.filter(current_key__not_isnull=True).count() == 0


async def test_a_connection_left_from_the_other_side_is_never_listed(
    client: Person, other_client: Person, clinician: Person
) -> None:
    """Rows written before connections were ended on a change of kind: a client's own
    connections list only connections with the client on the client side."""
    # given a client connected to a clinician, and an old row with the client on the staff side
    await connect(client, clinician)
    await models.Connection.create(
        healthspace_id=client.member.healthspace_id,  # type: ignore[union-attr]
        client_id=other_client.id,
        staff_id=client.id,
        current_key=f"{other_client.id}:{client.id}",
    )

    # when the client reads their connections and their own member
    mine = await client.data(MY_CONNECTIONS)
    own = await client.data(MEMBER, id=client.id)

    # then only the connection with the client on the client side is listed
    for answer in (mine, own):
        assert other_client.id not in ids_in(answer)
        assert other_client.email not in text_of(answer)
    [membership] = mine["viewer"]["memberships"]
    assert [c["staff"]["id"] for c in membership["connections"]] == [clinician.id]


# --- deactivation and signing out take effect at the next request ------------------------------


async def test_a_deactivated_member_loses_everything_at_their_next_request(
    healthspace: models.Healthspace,
    administrator: Person,
    clinician: Person,
    client: Person,
) -> None:
    # given a clinician connected to a client
    await connect(client, clinician)
    assert (await clinician.data(MY_CLIENTS, id=str(healthspace.id)))["healthspace"]["myClients"][
        "totalCount"
    ] == 1

    # when the administrator deactivates the clinician
    await administrator.data(DEACTIVATE_MEMBER, memberId=clinician.id)

    # then the clinician's next requests see no membership, client, member or guarded field
    assert await clinician.data(VIEWER) == {
        "viewer": {"id": str(clinician.account.id), "memberships": []}  # type: ignore[union-attr]
    }
    assert await clinician.data(MY_CLIENTS, id=str(healthspace.id)) == {"healthspace": None}
    assert await clinician.data(MEMBER, id=client.id) == {"member": None}
    assert await clinician.data(MEMBER, id=clinician.id) == {"member": None}
    for field, selection in GUARDED_HEALTHSPACE_FIELDS.items():
        result = await clinician(HEALTHSPACE_FIELD % selection, id=str(healthspace.id))
        assert result["data"] == {"healthspace": None}, field
    lookup = await clinician(MEMBER_LOOKUP, healthspaceId=str(healthspace.id), email=client.email)
    assert error_code(lookup) == "NOT_FOUND"


async def test_a_websocket_operation_sees_a_deactivation_at_once(
    healthspace: models.Healthspace,
    administrator: Person,
    clinician: Person,
    client: Person,
) -> None:
    await connect(client, clinician)
    async with WebSocketSession(clinician.token) as socket:
        before = await socket(MY_CLIENTS, id=str(healthspace.id))
        assert before["data"]["healthspace"]["myClients"]["totalCount"] == 1
        assert (await socket(MEMBER, id=client.id))["data"]["member"]["email"] == client.email

        await administrator.data(DEACTIVATE_MEMBER, memberId=clinician.id)

        assert (await socket(MY_CLIENTS, id=str(healthspace.id)))["data"] == {"healthspace": None}
        assert (await socket(MEMBER, id=client.id))["data"] == {"member": None}
        assert (await socket(VIEWER))["data"]["viewer"]["memberships"] == []


async def test_a_websocket_operation_after_sign_out_is_anonymous(
    healthspace: models.Healthspace, clinician: Person, client: Person
) -> None:
    await connect(client, clinician)
    async with WebSocketSession(clinician.token) as socket:
        assert (await socket(VIEWER))["data"]["viewer"]["id"] == str(clinician.account.id)  # type: ignore[union-attr]

        await clinician.data("mutation { signOut { ok } }")

        assert (await socket(VIEWER))["data"] == {"viewer": None}
        refused = await socket(MEMBER, id=client.id)
        assert error_code(refused) == "UNAUTHENTICATED"


# --- another Healthspace: invisible, and its ids are unknown in every argument -----------------


@pytest.mark.parametrize("findable", [False, True])
async def test_an_outsider_sees_at_most_the_public_face_of_a_healthspace(
    healthspace: models.Healthspace,
    outsider: Person,
    client: Person,
    clinician: Person,
    findable: bool,
) -> None:
    # given a connected client and clinician, in a Healthspace that is findable or not
    await connect(client, clinician)
    await models.Healthspace.filter(id=healthspace.id).update(findable=findable)

    # then an outsider sees neither member, at most its name, and no guarded field
    for member in (client, clinician):
        assert await outsider.data(MEMBER, id=member.id) == {"member": None}
    plain = await outsider.data(
        "query($id: ID!) { healthspace(id: $id) { name viewerMember { id } } }",
        id=str(healthspace.id),
    )
    if findable:
        assert plain == {"healthspace": {"name": healthspace.name, "viewerMember": None}}
    else:
        assert plain == {"healthspace": None}
    for field, selection in GUARDED_HEALTHSPACE_FIELDS.items():
        result = await outsider(HEALTHSPACE_FIELD % selection, id=str(healthspace.id))
        assert error_code(result) == ("NOT_FOUND" if findable else None), field
        assert client.id not in ids_in(result)
    lookup = await outsider(MEMBER_LOOKUP, healthspaceId=str(healthspace.id), email=client.email)
    assert error_code(lookup) == "NOT_FOUND"


@pytest.mark.parametrize("mutation", sorted(FOREIGN_ID_MUTATIONS))
async def test_another_healthspaces_member_ids_are_unknown_to_an_outsider(
    outsider: Person, client: Person, clinician: Person, mutation: str
) -> None:
    await connect(client, clinician)
    before = await models.Member.get(id=client.id)

    result = await outsider(FOREIGN_ID_MUTATIONS[mutation], id=client.id, staffId=clinician.id)

    assert error_code(result) == "NOT_FOUND"
    after = await models.Member.get(id=client.id)
    assert (after.status, after.identification_number) == (
        before.status,
        before.identification_number,
    )
    assert await models.Connection.filter(current_key__not_isnull=True).count() == 1


async def test_an_outsider_cannot_reach_into_another_healthspace_from_their_own(
    other_healthspace: models.Healthspace,
    outsider: Person,
    people: People,
    client: Person,
    clinician: Person,
) -> None:
    # given the outsider's own clinician and client
    own_clinician = await people.staff(other_healthspace, Role.CLINICIAN)
    own_client = await people.client(other_healthspace)

    # when the outsider connects, invites and sends a roster naming the other Healthspace's members
    to_their_clinician = await outsider.data(
        ADD_CONNECTION, clientId=own_client.id, staffId=clinician.id
    )
    to_their_client = await outsider.data(
        SET_CONNECTIONS, memberId=own_clinician.id, memberIds=[client.id]
    )
    invited = await outsider.data(
        INVITE_CLIENT,
        input={
            "healthspaceId": str(other_healthspace.id),
            "email": "new@example.org",
            "firstName": "New",
            "lastName": "Person",
            "connectTo": [clinician.id],
        },
    )
    rostered = await outsider(
        INVITE_ROSTER,
        input={
            "healthspaceId": str(other_healthspace.id),
            "roster": "new@example.org",
            "connectTo": [clinician.id],
        },
    )

    # then each is refused as not found and nothing is written
    assert to_their_clinician["addConnection"]["errors"] == [
        {"field": ["staffId"], "code": "NOT_FOUND"}
    ]
    assert to_their_client["setConnections"]["errors"] == [
        {"field": ["memberIds", "0"], "code": "NOT_FOUND"}
    ]
    assert invited["inviteClient"] == {
        "invitation": None,
        "errors": [{"field": ["connectTo"], "code": "NOT_FOUND"}],
    }
    assert rostered["data"]["inviteRoster"] == {"batch": None, "errors": [{"code": "NOT_FOUND"}]}
    assert await models.Connection.all().count() == 0
    assert await models.Invitation.all().count() == 0


async def test_another_healthspaces_roster_batch_and_join_requests_are_unknown(
    healthspace: models.Healthspace,
    assistant: Person,
    outsider: Person,
    people: People,
) -> None:
    # given a roster run and a join request in the findable Healthspace
    await models.Healthspace.filter(id=healthspace.id).update(findable=True)
    batch = await assistant.data(
        INVITE_ROSTER, input={"healthspaceId": str(healthspace.id), "roster": "new@example.org"}
    )
    requester = await people.signed_in(await people.account("asks@example.org"))
    asked = await requester.data(REQUEST_TO_JOIN, healthspaceId=str(healthspace.id))
    request_id = asked["requestToJoin"]["joinRequest"]["id"]

    # when an outsider reads the run, approves or cancels the request
    roster = await outsider(ROSTER_BATCH, id=batch["inviteRoster"]["batch"]["id"])
    approve = await outsider(APPROVE_JOIN_REQUEST, id=request_id)
    cancel = await outsider(
        "mutation($id: ID!) { cancelJoinRequest(id: $id) { errors { code } } }", id=request_id
    )

    # then each is unknown to them, and the request is still pending
    assert (error_code(roster), roster["data"]) == ("NOT_FOUND", {"rosterBatch": None})
    assert error_code(approve) == "NOT_FOUND"
    assert error_code(cancel) == "NOT_FOUND"
    assert (await outsider.data(MY_JOIN_REQUESTS))["myJoinRequests"]["totalCount"] == 0
    row = await models.JoinRequest.get(id=request_id)
    assert row.status == models.JoinRequestStatus.PENDING


# --- join requests and invitations: the requester and the link holder -------------------------


async def test_a_requester_never_sees_who_decided(
    healthspace: models.Healthspace, assistant: Person, people: People
) -> None:
    await models.Healthspace.filter(id=healthspace.id).update(findable=True)
    requester = await people.signed_in(await people.account("asks@example.org"))
    asked = await requester.data(REQUEST_TO_JOIN, healthspaceId=str(healthspace.id))
    await assistant.data(APPROVE_JOIN_REQUEST, id=asked["requestToJoin"]["joinRequest"]["id"])

    [request] = (await requester.data(MY_JOIN_REQUESTS))["myJoinRequests"]["nodes"]

    assert request["status"] == "APPROVED"
    assert request["decidedBy"] is None
    assert assistant.id not in ids_in(request)


async def test_an_invitation_link_shows_a_masked_address_and_no_member_lists(
    healthspace: models.Healthspace,
    assistant: Person,
    anonymous: Person,
    outsider: Person,
    other_client: Person,
) -> None:
    # given an invitation whose token is read from its mail
    invited = await assistant.data(
        INVITE_CLIENT,
        input={
            "healthspaceId": str(healthspace.id),
            "email": "anna.jansen@example.org",
            "firstName": "Anna",
            "lastName": "Jansen",
        },
    )
    assert invited["inviteClient"]["errors"] == []
    token = await latest_token("anna.jansen@example.org")

    # when anonymous and an outsider open the link and ask for the member lists
    preview = (await anonymous.data(INVITATION_PREVIEW, token=token))["invitation"]
    as_anonymous = await anonymous(PREVIEW_MEMBERS, token=token)
    as_outsider = await outsider(PREVIEW_MEMBERS, token=token)

    # then the address is masked and the lists are refused
    assert preview["maskedEmail"] == "a***n@example.org"
    assert "anna.jansen@example.org" not in text_of(preview)
    assert preview["healthspace"]["viewerMember"] is None
    assert error_code(as_anonymous) == "UNAUTHENTICATED"
    assert error_code(as_outsider) == "NOT_FOUND"
    for answer in (as_anonymous, as_outsider):
        assert other_client.email not in text_of(answer)
    assert await anonymous.data(INVITATION_PREVIEW, token="not-a-token") == {"invitation": None}


async def test_a_signed_in_stranger_cannot_accept_someone_elses_invitation(
    healthspace: models.Healthspace, assistant: Person, outsider: Person
) -> None:
    # given an invitation to Anna, its token read from her mail
    await assistant.data(
        INVITE_CLIENT,
        input={
            "healthspaceId": str(healthspace.id),
            "email": "anna.jansen@example.org",
            "firstName": "Anna",
            "lastName": "Jansen",
        },
    )
    token = await latest_token("anna.jansen@example.org")

    # when a signed-in outsider accepts it
    result = await outsider.data(ACCEPT_INVITATION, input={"token": token})

    # then it is refused and they do not become a member
    assert result["acceptInvitation"] == {"member": None, "errors": [{"code": "EMAIL_MISMATCH"}]}
    assert not await models.Member.filter(
        account_id=outsider.account.id, healthspace_id=healthspace.id
    ).exists()


# --- what a clinician with INVITE_CLIENTS may not see -----------------------------------------


async def test_client_inviting_clinicians_never_see_staff_invitations(
    healthspace: models.Healthspace, administrator: Person, people: People
) -> None:
    # given a clinician who may invite clients, and a staff invitation with a note
    inviting = await people.staff(
        healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS], label="inviting"
    )
    staff_invited = await administrator.data(
        """mutation($input: InviteStaffInput!) { inviteStaff(input: $input) {
             invitation { id } errors { code } } }""",
        input={
            "healthspaceId": str(healthspace.id),
            "email": "new.colleague@example.org",
            "firstName": "New",
            "lastName": "Colleague",
            "roles": ["ASSISTANT"],
            "note": "Secret salary talk",
        },
    )
    assert staff_invited["inviteStaff"]["errors"] == []

    # when that clinician lists invitations, tasks and looks the address up
    listed = await inviting.data(
        HEALTHSPACE_FIELD % "invitations { totalCount nodes { id email note } }",
        id=str(healthspace.id),
    )
    tasks = await inviting.data(
        HEALTHSPACE_FIELD
        % "tasks { counts { openInvitations } openInvitations { nodes { id note } } }",
        id=str(healthspace.id),
    )
    lookup = await inviting.data(
        MEMBER_LOOKUP, healthspaceId=str(healthspace.id), email="new.colleague@example.org"
    )

    # then the staff invitation shows nowhere
    assert listed["healthspace"]["invitations"] == {"totalCount": 0, "nodes": []}
    assert tasks["healthspace"]["tasks"]["counts"]["openInvitations"] == 0
    assert tasks["healthspace"]["tasks"]["openInvitations"]["nodes"] == []
    assert lookup["memberLookup"] == {"status": "UNKNOWN", "member": None, "invitation": None}


# --- secrets are not in the schema ----------------------------------------------------------


def test_no_field_of_the_schema_can_read_a_hash_a_password_or_a_stored_token() -> None:
    # given every field of every object type
    schema = build_schema(Settings())._schema
    fields = {
        (name, field)
        for name, type_ in schema.type_map.items()
        if isinstance(type_, GraphQLObjectType) and name not in {"Query", "Mutation"}
        if not name.startswith("__")
        for field in type_.fields
    }

    # then none reads a hash or a password, and only the known payloads hand out a token
    assert not [f for f in fields if "hash" in f[1].lower() or "password" in f[1].lower()]
    # The only tokens handed out are a new session's, to the person who just signed in, and
    # a new integration token, once, to the administrator who made it (apiToken: its name).
    assert sorted(".".join(f) for f in fields if "token" in f[1].lower()) == [
        "AcceptInvitationPayload.token",
        "ApiTokenPayload.apiToken",
        "ApiTokenPayload.token",
        "SignInPayload.token",
    ]


async def test_cursors_are_only_positions_and_a_made_up_one_is_refused(
    healthspace: models.Healthspace, administrator: Person, client: Person
) -> None:
    """A cursor carries an offset and nothing else, so one list's cursor used on another reveals
    nothing; a forged one is BAD_USER_INPUT."""
    # given a cursor of the members list
    page = await administrator.data(
        "query($id: ID!) { healthspace(id: $id) { members(first: 1) { pageInfo { endCursor } } } }",
        id=str(healthspace.id),
    )
    cursor = page["healthspace"]["members"]["pageInfo"]["endCursor"]
    # when it is used on another list, and a made-up one is used
    on_another_list = await administrator.data(
        "query($after: String) { myJoinRequests(after: $after) { totalCount nodes { id } } }",
        after=cursor,
    )
    forged = await administrator(
        "query($after: String) { myJoinRequests(after: $after) { totalCount } }",
        after=str(uuid.uuid4()),
    )

    # then the other list starts at that offset, and the made-up one is refused
    assert on_another_list == {"myJoinRequests": {"totalCount": 0, "nodes": []}}
    assert error_code(forged) == "BAD_USER_INPUT"


# --- every Member and Account a role can reach follows the rule of member(id:) -----------------

PEOPLE_TYPES = {"Member": "__typename id dateOfBirth email", "Account": "__typename id email"}
# Object hops from the root: deep enough for viewer.memberships.connections.createdBy and the
# like, through every list (members, invitations, join requests, tasks, audit log...).
WALK_DEPTH = 5


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def paths_to_people(type_: GraphQLObjectType, depth: int = WALK_DEPTH) -> list[list[str]]:
    """Every path of field names from `type_` that ends at a field returning a Member or an
    Account (list or single), without reusing a field within one path; fields that need an
    argument are left out (the roots below supply the Healthspace id)."""
    found: list[list[str]] = []

    def walk(current: GraphQLObjectType, path: list[str], used: frozenset[str], left: int) -> None:
        for name, field in current.fields.items():
            target = _named(field.type)
            needs_argument = any(
                isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
                for argument in field.args.values()
            )
            key = f"{current.name}.{name}"
            if not isinstance(target, GraphQLObjectType) or needs_argument or key in used:
                continue
            if target.name in PEOPLE_TYPES:
                found.append([*path, name])
            if left > 1:
                walk(target, [*path, name], used | {key}, left - 1)

    walk(type_, [], frozenset(), depth)
    return found


def walk_document(schema: Any) -> tuple[str, dict[str, list[str]]]:
    """One document with an alias per path, from the nullable roots `viewer` and
    `healthspace(id: $hs)` (a refused field nulls only its own alias), and the path of each."""
    query = schema.query_type
    aliases: dict[str, list[str]] = {}
    parts = []
    for root, call in (("viewer", "viewer"), ("healthspace", "healthspace(id: $hs)")):
        for path in paths_to_people(_named(query.fields[root].type)):
            alias = f"p{len(aliases)}"
            aliases[alias] = [root, *path]
            target = _named(query.fields[root].type)
            for name in path:
                target = _named(target.fields[name].type)
            selection = "{ " + PEOPLE_TYPES[target.name] + " }"
            for name in reversed(path):
                selection = "{ " + name + " " + selection + " }"
            parts.append(f"{alias}: {call} {selection}")
    return "query Walk($hs: ID!) {\n" + "\n".join(parts) + "\n}", aliases


def people_at(value: Any, path: list[str]) -> list[dict[str, Any]]:
    """The objects at the end of `path` in an answer, through lists and nulls."""
    if value is None:
        return []
    if isinstance(value, list):
        return [found for item in value for found in people_at(item, path)]
    if not path:
        return [value]
    return people_at(value.get(path[0]), path[1:])


@pytest.fixture
async def busy_healthspace(
    healthspace: models.Healthspace,
    people: People,
    administrator: Person,
    assistant: Person,
    clinician: Person,
    colleague: Person,
    client: Person,
    other_client: Person,
) -> models.Healthspace:
    """A Healthspace where every field that returns a person has someone to return: connections
    made by an administrator, an ended one, an invitation with its inviter and clinicians, a join
    request decided by the assistant, audit events with actors."""
    for pair in ((client, clinician), (other_client, colleague), (other_client, clinician)):
        await administrator.data(ADD_CONNECTION, clientId=pair[0].id, staffId=pair[1].id)
    await administrator.data(REMOVE_CONNECTION, clientId=other_client.id, staffId=clinician.id)
    await administrator.data(
        INVITE_CLIENT,
        input={
            "healthspaceId": str(healthspace.id),
            "email": "invitee@example.org",
            "firstName": "Ivy",
            "lastName": "Invitee",
            "connectTo": [colleague.id],
        },
    )
    healthspace.findable = True
    await healthspace.save()
    requester = await people.signed_in(await people.account("requester@example.org"))
    asked = await requester.data(REQUEST_TO_JOIN, healthspaceId=str(healthspace.id))
    await assistant.data(APPROVE_JOIN_REQUEST, id=asked["requestToJoin"]["joinRequest"]["id"])
    return healthspace


@pytest.fixture
def settings() -> Settings:
    """This module's app: the walk reads every path to a person in one document, far beyond
    what one request may cost (the limits themselves are tested in test_query_limits.py)."""
    unlimited = QueryLimits(max_depth=50, max_aliases=10_000, max_tokens=10**6, max_cost=10**12)
    return Settings(public_url=PUBLIC_URL, limits=unlimited)


@pytest.fixture
def walker(request: pytest.FixtureRequest) -> Person:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("walker", ["client", "clinician", "assistant", "outsider"], indirect=True)
async def test_every_member_and_account_reachable_follows_the_rule_of_member_by_id(
    busy_healthspace: models.Healthspace, walker: Person
) -> None:
    # Given a role and every path of the schema that returns a Member or an Account
    viewer = walker
    document, aliases = walk_document(build_schema(Settings())._schema)
    assert len(aliases) > 50  # the walk reaches far, not just the obvious fields

    # When the role reads them all
    answer = await viewer(document, hs=str(busy_healthspace.id))

    # Then each Member is one member(id:) shows them, with the same restricted fields, and
    # each Account is their own
    seen: dict[str, dict[str, Any]] = {}
    reached = 0
    for alias, path in aliases.items():
        for person in people_at(answer["data"][alias], path[1:]):
            reached += 1
            if person["__typename"] == "Account":
                assert person["id"] == str(viewer.account.id), path  # type: ignore[union-attr]
            else:
                seen.setdefault(person["id"], {**person, "path": ".".join(path)})
    assert reached > 0
    for member_id, person in seen.items():
        direct = (await viewer.data(MEMBER_BY_ID, id=member_id))["member"]
        assert direct is not None, person["path"]
        assert (direct["dateOfBirth"], direct["email"]) == (
            person["dateOfBirth"],
            person["email"],
        ), person["path"]


async def test_a_client_is_not_shown_who_made_their_connection_unless_connected(
    busy_healthspace: models.Healthspace, client: Person, administrator: Person
) -> None:
    answer = await client.data(MY_CONNECTIONS)

    [membership] = answer["viewer"]["memberships"]
    [connection] = membership["connections"]
    assert connection["createdBy"] is None
    assert await client.data(MEMBER, id=administrator.id) == {"member": None}


async def test_inside_their_healthspace_a_client_cannot_tell_a_real_member_id_from_a_random_one(
    client: Person, administrator: Person
) -> None:
    # Given the id of an administrator the client may not see, and an id nobody has
    real = await client(UPDATE_MEMBER_ROLES, memberId=administrator.id, roles=["CLINICIAN"])
    made_up = await client(UPDATE_MEMBER_ROLES, memberId=str(uuid.uuid4()), roles=["CLINICIAN"])

    # Then both answers are the same, and the refused attempt on the real one is audited
    assert (error_code(real), real["data"]) == (error_code(made_up), made_up["data"])
    assert error_code(real) == "NOT_FOUND"
    assert await models.AuditEvent.exists(
        action="ACCESS_DENIED", actor_member_id=client.id, outcome=models.AuditOutcome.DENIED
    )
