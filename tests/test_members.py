"""Members through the API: listing and finding them, roles and granted permissions,
deactivation and leaving a Healthspace."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import People, Person, data_of, error_code
from helpers import coded_fields as codes

import models
from domain.members import add_member
from permissions.roles import Role

MEMBERS = """
query Members($id: ID!, $kind: MemberKind, $search: String, $first: Int, $after: String) {
  healthspace(id: $id) {
    members(kind: $kind, search: $search, first: $first, after: $after) {
      nodes { id kind firstName lastName email status }
      pageInfo { endCursor hasNextPage }
      totalCount
    }
  }
}
"""

MEMBER = """
query Member($id: ID!) {
  member(id: $id) {
    id kind status roles permissions grantedPermissions firstName lastName email createdAt
    healthspace { name }
  }
}
"""

HEALTHSPACE = """
query Healthspace($id: ID!) { healthspace(id: $id) { name viewerMember { id } } }
"""

UPDATE_MEMBER_ROLES = """
mutation UpdateMemberRoles($memberId: ID!, $roles: [Role!]!) {
  updateMemberRoles(memberId: $memberId, roles: $roles) {
    member { id roles permissions grantedPermissions }
    errors { field code message }
  }
}
"""

GRANT_PERMISSIONS = """
mutation GrantPermissions($memberId: ID!, $permissions: [Permission!]!) {
  grantPermissions(memberId: $memberId, permissions: $permissions) {
    member { id roles permissions grantedPermissions }
    errors { field code message }
  }
}
"""

REVOKE_PERMISSIONS = """
mutation RevokePermissions($memberId: ID!, $permissions: [Permission!]!) {
  revokePermissions(memberId: $memberId, permissions: $permissions) {
    member { permissions grantedPermissions }
    errors { field code message }
  }
}
"""

DEACTIVATE_MEMBER = """
mutation DeactivateMember($memberId: ID!) {
  deactivateMember(memberId: $memberId) {
    member { id status }
    errors { field code message }
  }
}
"""

REACTIVATE_MEMBER = """
mutation ReactivateMember($memberId: ID!) {
  reactivateMember(memberId: $memberId) {
    member { id status }
    errors { field code message }
  }
}
"""

LEAVE_HEALTHSPACE = """
mutation LeaveHealthspace($healthspaceId: ID!) {
  leaveHealthspace(healthspaceId: $healthspaceId) {
    member { id status }
    errors { field code message }
  }
}
"""


async def members_page(person: Person, healthspace: models.Healthspace, **args: Any) -> Any:
    result = await person.data(MEMBERS, id=str(healthspace.id), **args)
    return result["healthspace"]["members"]


async def member_row(person: Person) -> models.Member:
    return await models.Member.get(id=person.id)


# --- the member list -----------------------------------------------------------------------------


@pytest.fixture
async def roster(
    people: People, healthspace: models.Healthspace, administrator: Person, clinician: Person
) -> list[Person]:
    """Three clients beside the administrator and clinician."""
    return [
        await people.client(
            healthspace, email="bea@example.org", first_name="Bea", last_name="Smit"
        ),
        await people.client(
            healthspace, email="cor@zorg.example", first_name="Cor", last_name="Bakker"
        ),
        await people.client(
            healthspace, email="dirk@example.org", first_name="Dirk", last_name="Visser"
        ),
    ]


async def test_staff_list_members_by_surname(
    healthspace: models.Healthspace, administrator: Person, roster: list[Person]
) -> None:
    # when the administrator lists the members
    page = await members_page(administrator, healthspace)

    # then they come by surname, with their details
    assert [node["lastName"] for node in page["nodes"]] == [
        "Admin",
        "Bakker",
        "Clinic",
        "Smit",
        "Visser",
    ]
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is False
    bea = next(node for node in page["nodes"] if node["firstName"] == "Bea")
    assert bea == {
        "id": roster[0].id,
        "kind": "CLIENT",
        "firstName": "Bea",
        "lastName": "Smit",
        "email": "bea@example.org",
        "status": "ACTIVE",
    }


@pytest.mark.parametrize(("kind", "expected"), [("CLIENT", 3), ("STAFF", 2)])
async def test_members_filter_by_kind(
    healthspace: models.Healthspace,
    administrator: Person,
    roster: list[Person],
    kind: str,
    expected: int,
) -> None:
    page = await members_page(administrator, healthspace, kind=kind)

    assert {node["kind"] for node in page["nodes"]} == {kind}
    assert page["totalCount"] == len(page["nodes"]) == expected


@pytest.mark.parametrize(
    ("search", "first_names"),
    [
        ("bakker", ["Cor"]),  # surname, any case
        ("BEA", ["Bea"]),  # first name
        ("zorg.example", ["Cor"]),  # part of the email
        ("example.org", ["Bea", "Dirk"]),
        ("  visser ", ["Dirk"]),  # trimmed
        ("nobody", []),
        ("%", []),  # LIKE wildcards are matched literally
        ("_", []),
    ],
)
async def test_members_search_by_name_or_email(
    healthspace: models.Healthspace,
    administrator: Person,
    roster: list[Person],
    search: str,
    first_names: list[str],
) -> None:
    page = await members_page(administrator, healthspace, kind="CLIENT", search=search)

    assert sorted(node["firstName"] for node in page["nodes"]) == first_names
    assert page["totalCount"] == len(first_names)


async def test_members_search_by_identification_number(
    healthspace: models.Healthspace, administrator: Person, roster: list[Person]
) -> None:
    await models.Member.filter(id=roster[2].id).update(identification_number="PAT-4711")

    page = await members_page(administrator, healthspace, search="pat-47")

    assert [node["firstName"] for node in page["nodes"]] == ["Dirk"]


async def test_members_come_in_pages(
    people: People, healthspace: models.Healthspace, administrator: Person
) -> None:
    # given six clients
    for index in range(6):
        await people.client(healthspace, last_name=f"Client{index}")

    # when the members are read four at a time
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await members_page(administrator, healthspace, kind="CLIENT", first=4, after=after)
        assert page["totalCount"] == 6
        seen += [node["lastName"] for node in page["nodes"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then two pages hold all six, in order
    assert pages == 2
    assert seen == [f"Client{index}" for index in range(6)]


async def test_an_empty_page_has_no_cursor(
    healthspace: models.Healthspace, administrator: Person
) -> None:
    page = await members_page(administrator, healthspace, kind="CLIENT")

    assert page == {
        "nodes": [],
        "pageInfo": {"endCursor": None, "hasNextPage": False},
        "totalCount": 0,
    }


@pytest.mark.parametrize(
    "args", [{"first": 101}, {"first": -1}, {"after": "bm90IGEgY3Vyc29y"}, {"after": "%%%"}]
)
async def test_bad_page_arguments_are_bad_user_input(
    healthspace: models.Healthspace, administrator: Person, args: dict[str, Any]
) -> None:
    result = await administrator(MEMBERS, id=str(healthspace.id), **args)

    assert error_code(result) == "BAD_USER_INPUT"
    assert "first" in result["errors"][0]["message"] or "cursor" in result["errors"][0]["message"]


async def test_a_page_of_a_hundred_is_allowed(
    healthspace: models.Healthspace, administrator: Person
) -> None:
    page = await members_page(administrator, healthspace, first=100)

    assert page["totalCount"] == 1


async def test_clients_cannot_list_members(healthspace: models.Healthspace, client: Person) -> None:
    result = await client(MEMBERS, id=str(healthspace.id))

    assert error_code(result) == "FORBIDDEN"
    assert result["data"] == {"healthspace": None}


async def test_members_of_a_findable_healthspace_stay_hidden_from_outsiders(
    healthspace: models.Healthspace, administrator: Person, outsider: Person
) -> None:
    await models.Healthspace.filter(id=healthspace.id).update(findable=True)

    result = await outsider(MEMBERS, id=str(healthspace.id))

    assert error_code(result) == "NOT_FOUND"
    assert result["data"] == {"healthspace": None}
    assert administrator.email not in str(result)


# --- one member ------------------------------------------------------------------------------------


async def test_staff_see_a_member_with_roles_and_permissions(
    people: People, healthspace: models.Healthspace, assistant: Person
) -> None:
    # given a clinician granted INVITE_CLIENTS
    clinician = await people.staff(
        healthspace, Role.CLINICIAN, granted=["INVITE_CLIENTS"], first_name="Clara"
    )

    # when the assistant looks them up
    member = (await assistant.data(MEMBER, id=clinician.id))["member"]
    created_at = datetime.fromisoformat(member.pop("createdAt"))

    # then the roles, permissions and a zoned creation time are shown
    assert member == {
        "id": clinician.id,
        "kind": "STAFF",
        "status": "ACTIVE",
        "roles": ["CLINICIAN"],
        "permissions": ["INVITE_CLIENTS"],
        "grantedPermissions": ["INVITE_CLIENTS"],
        "firstName": "Clara",
        "lastName": clinician.account.last_name,  # type: ignore[union-attr]
        "email": clinician.email,
        "healthspace": {"name": "Praktijk De Linde"},
    }
    assert created_at.utcoffset() is not None  # ISO 8601 with a time zone
    assert abs(created_at - datetime.now(UTC)) < timedelta(minutes=1)


async def test_a_client_sees_themselves_and_their_clinicians_but_not_other_clients(
    people: People, healthspace: models.Healthspace, client: Person, clinician: Person
) -> None:
    other_client = await people.client(healthspace)
    unconnected_clinician = await people.staff(healthspace, Role.CLINICIAN)
    await models.Connection.create(
        healthspace=healthspace,
        client_id=client.id,
        staff_id=clinician.id,
        current_key=f"{client.id}:{clinician.id}",
    )

    assert (await client.data(MEMBER, id=client.id))["member"]["id"] == client.id
    assert (await client.data(MEMBER, id=clinician.id))["member"]["id"] == clinician.id
    assert (await client.data(MEMBER, id=other_client.id))["member"] is None
    assert (await client.data(MEMBER, id=unconnected_clinician.id))["member"] is None


@pytest.mark.parametrize("id", [str(uuid.uuid4()), "not-a-uuid", ""])
async def test_an_unknown_or_malformed_member_id_is_null(administrator: Person, id: str) -> None:
    assert await administrator.data(MEMBER, id=id) == {"member": None}


async def test_members_of_another_healthspace_are_null(
    administrator: Person, outsider: Person
) -> None:
    assert await outsider.data(MEMBER, id=administrator.id) == {"member": None}


async def test_member_needs_a_signed_in_viewer(anonymous: Person, administrator: Person) -> None:
    assert error_code(await anonymous(MEMBER, id=administrator.id)) == "UNAUTHENTICATED"


# --- roles -----------------------------------------------------------------------------------------


async def test_an_administrator_changes_a_staff_members_roles(
    administrator: Person, clinician: Person
) -> None:
    result = await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=clinician.id, roles=["CLINICIAN", "ASSISTANT", "CLINICIAN"]
    )

    payload = result["updateMemberRoles"]
    assert payload["errors"] == []
    assert payload["member"]["roles"] == ["ASSISTANT", "CLINICIAN"]
    assert "INVITE_STAFF" in payload["member"]["permissions"]
    assert (await member_row(clinician)).roles == ["ASSISTANT", "CLINICIAN"]


async def test_the_new_roles_apply_at_the_members_next_request(
    healthspace: models.Healthspace, administrator: Person, clinician: Person
) -> None:
    assert error_code(await clinician(MEMBERS, id=str(healthspace.id), first=1)) is None
    before = await clinician(DEACTIVATE_MEMBER, memberId=administrator.id)
    assert error_code(before) == "FORBIDDEN"

    await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=clinician.id, roles=["ADMINISTRATOR", "CLINICIAN"]
    )

    after = await clinician.data(
        UPDATE_MEMBER_ROLES, memberId=administrator.id, roles=["CLINICIAN"]
    )
    assert after["updateMemberRoles"]["errors"] == []


@pytest.mark.parametrize(
    ("roles", "target", "code"),
    [
        ([], "clinician", "INVALID_ROLE"),  # staff hold at least one role
        (["CLINICIAN"], "client", "INVALID_ROLE"),  # clients hold none
    ],
)
async def test_invalid_roles_are_refused_and_change_nothing(
    administrator: Person,
    clinician: Person,
    client: Person,
    roles: list[str],
    target: str,
    code: str,
) -> None:
    member = {"clinician": clinician, "client": client}[target]
    before = (await member_row(member)).roles

    result = await administrator.data(UPDATE_MEMBER_ROLES, memberId=member.id, roles=roles)

    assert result["updateMemberRoles"]["member"] is None
    assert codes(result["updateMemberRoles"]) == [(code, ["roles"])]
    assert (await member_row(member)).roles == before


async def test_the_last_administrator_cannot_drop_the_role(administrator: Person) -> None:
    result = await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=administrator.id, roles=["CLINICIAN"]
    )

    assert codes(result["updateMemberRoles"]) == [("LAST_ADMINISTRATOR", ["memberId"])]
    assert (
        "at least one active administrator" in result["updateMemberRoles"]["errors"][0]["message"]
    )
    assert (await member_row(administrator)).roles == ["ADMINISTRATOR"]


async def test_an_administrator_may_step_down_when_another_remains(
    people: People, healthspace: models.Healthspace, administrator: Person
) -> None:
    # given a second administrator
    await people.staff(healthspace, Role.ADMINISTRATOR)

    # when the first steps down to clinician
    result = await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=administrator.id, roles=["CLINICIAN"]
    )

    # then it works, and their very next request is made without the role
    assert result["updateMemberRoles"]["errors"] == []
    # Their very next request is made without the role.
    assert (
        error_code(
            await administrator(
                UPDATE_MEMBER_ROLES, memberId=administrator.id, roles=["ADMINISTRATOR"]
            )
        )
        == "FORBIDDEN"
    )


async def test_a_deactivated_administrator_does_not_count_as_the_remaining_one(
    people: People, healthspace: models.Healthspace, administrator: Person
) -> None:
    other = await people.staff(healthspace, Role.ADMINISTRATOR)
    await models.Member.filter(id=other.id).update(status=models.MemberStatus.DEACTIVATED)

    result = await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=administrator.id, roles=["CLINICIAN"]
    )

    assert codes(result["updateMemberRoles"]) == [("LAST_ADMINISTRATOR", ["memberId"])]


@pytest.mark.parametrize(
    ("mutation", "variables"),
    [
        (UPDATE_MEMBER_ROLES, {"roles": ["CLINICIAN"]}),
        (GRANT_PERMISSIONS, {"permissions": ["INVITE_CLIENTS"]}),
        (DEACTIVATE_MEMBER, {}),
    ],
)
@pytest.mark.parametrize("member_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_unknown_members_are_not_found(
    administrator: Person, mutation: str, variables: dict[str, Any], member_id: str
) -> None:
    result = await administrator(mutation, memberId=member_id, **variables)

    assert result["data"] is None
    assert error_code(result) == "NOT_FOUND"


async def test_members_of_another_healthspace_are_not_found_for_changes(
    administrator: Person, outsider: Person
) -> None:
    result = await administrator(UPDATE_MEMBER_ROLES, memberId=outsider.id, roles=["CLINICIAN"])

    assert error_code(result) == "NOT_FOUND"
    assert (await member_row(outsider)).roles == ["ADMINISTRATOR"]


# --- granted permissions ---------------------------------------------------------------------------


async def test_clinicians_can_be_granted_invite_clients_and_own_connections(
    administrator: Person, clinician: Person
) -> None:
    # when the administrator grants a clinician two permissions
    result = await administrator.data(
        GRANT_PERMISSIONS,
        memberId=clinician.id,
        permissions=["MANAGE_OWN_CONNECTIONS", "INVITE_CLIENTS"],
    )

    # then both are granted, and a second grant keeps the first
    payload = result["grantPermissions"]
    assert payload["errors"] == []
    assert payload["member"]["grantedPermissions"] == ["INVITE_CLIENTS", "MANAGE_OWN_CONNECTIONS"]
    assert payload["member"]["permissions"] == ["INVITE_CLIENTS", "MANAGE_OWN_CONNECTIONS"]
    # Granting adds: a second grant keeps the first.
    again = await administrator.data(
        GRANT_PERMISSIONS, memberId=clinician.id, permissions=["INVITE_CLIENTS"]
    )
    assert again["grantPermissions"]["member"]["grantedPermissions"] == [
        "INVITE_CLIENTS",
        "MANAGE_OWN_CONNECTIONS",
    ]


async def test_granted_permissions_can_be_revoked(
    people: People, healthspace: models.Healthspace, administrator: Person
) -> None:
    clinician = await people.staff(
        healthspace, Role.CLINICIAN, granted=["INVITE_CLIENTS", "MANAGE_OWN_CONNECTIONS"]
    )

    result = await administrator.data(
        REVOKE_PERMISSIONS, memberId=clinician.id, permissions=["INVITE_CLIENTS"]
    )

    assert result["revokePermissions"] == {
        "member": {
            "permissions": ["MANAGE_OWN_CONNECTIONS"],
            "grantedPermissions": ["MANAGE_OWN_CONNECTIONS"],
        },
        "errors": [],
    }


@pytest.mark.parametrize(
    ("target", "permission"),
    [
        ("clinician", "MANAGE_MEMBERS"),  # comes with a role only
        ("clinician", "VIEW_AUDIT_LOG"),
        ("assistant", "MANAGE_OWN_CONNECTIONS"),  # grantable to clinicians only
        ("client", "INVITE_CLIENTS"),
    ],
)
async def test_only_the_grantable_permissions_go_to_clinicians(
    administrator: Person,
    assistant: Person,
    clinician: Person,
    client: Person,
    target: str,
    permission: str,
) -> None:
    member = {"assistant": assistant, "clinician": clinician, "client": client}[target]

    result = await administrator.data(
        GRANT_PERMISSIONS, memberId=member.id, permissions=[permission]
    )

    assert result["grantPermissions"]["member"] is None
    assert [e["code"] for e in result["grantPermissions"]["errors"]] == ["INVALID_PERMISSION"]
    assert (await member_row(member)).granted_permissions == []


async def test_dropping_the_clinician_role_lapses_its_grants(
    people: People, healthspace: models.Healthspace, administrator: Person
) -> None:
    clinician = await people.staff(
        healthspace, Role.CLINICIAN, granted=["INVITE_CLIENTS", "MANAGE_OWN_CONNECTIONS"]
    )

    result = await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=clinician.id, roles=["LIBRARY_MANAGER"]
    )

    assert result["updateMemberRoles"]["member"]["grantedPermissions"] == []
    assert result["updateMemberRoles"]["member"]["permissions"] == ["MANAGE_LIBRARY"]


async def test_a_granted_permission_takes_effect_at_the_next_request(
    healthspace: models.Healthspace, administrator: Person, clinician: Person, client: Person
) -> None:
    await administrator.data(
        GRANT_PERMISSIONS, memberId=clinician.id, permissions=["INVITE_CLIENTS"]
    )

    # updateMember (identification numbers) is open to INVITE_CLIENTS.
    result = await clinician.data(
        """
        mutation($input: UpdateMemberInput!) {
          updateMember(input: $input) { member { identificationNumber } errors { code } }
        }
        """,
        input={"memberId": client.id, "identificationNumber": "PAT-1"},
    )

    assert result["updateMember"] == {"member": {"identificationNumber": "PAT-1"}, "errors": []}


# --- deactivation ----------------------------------------------------------------------------------


async def test_deactivation_ends_access_at_the_very_next_request(
    healthspace: models.Healthspace, administrator: Person, clinician: Person
) -> None:
    # given a clinician who sees their Healthspace
    assert (await clinician.data(HEALTHSPACE, id=str(healthspace.id)))["healthspace"] is not None

    # when the administrator deactivates them
    result = await administrator.data(DEACTIVATE_MEMBER, memberId=clinician.id)

    # then the very next requests see nothing of it, while the account and the history stay
    assert result["deactivateMember"] == {
        "member": {"id": clinician.id, "status": "DEACTIVATED"},
        "errors": [],
    }
    assert await clinician.data(HEALTHSPACE, id=str(healthspace.id)) == {"healthspace": None}
    assert await clinician.data(MEMBER, id=clinician.id) == {"member": None}
    assert await clinician.data(MEMBERS, id=str(healthspace.id)) == {"healthspace": None}
    left = await clinician(LEAVE_HEALTHSPACE, healthspaceId=str(healthspace.id))
    assert error_code(left) == "NOT_FOUND"
    # The account itself still works; only this membership ended. History is kept.
    assert (await clinician.data("{ viewer { email } }"))["viewer"]["email"] == clinician.email
    row = await member_row(clinician)
    assert row.status == models.MemberStatus.DEACTIVATED
    assert row.deactivated_at is not None
    staff_view = await administrator.data(MEMBER, id=clinician.id)
    assert staff_view["member"]["status"] == "DEACTIVATED"


async def test_a_deactivated_administrator_loses_their_powers_at_once(
    people: People, healthspace: models.Healthspace, administrator: Person, clinician: Person
) -> None:
    second = await people.staff(healthspace, Role.ADMINISTRATOR)
    await administrator.data(DEACTIVATE_MEMBER, memberId=second.id)

    result = await second(UPDATE_MEMBER_ROLES, memberId=clinician.id, roles=["ASSISTANT"])

    assert error_code(result) == "NOT_FOUND"
    assert (await member_row(clinician)).roles == ["CLINICIAN"]


async def test_deactivating_twice_is_refused(administrator: Person, client: Person) -> None:
    await administrator.data(DEACTIVATE_MEMBER, memberId=client.id)

    again = await administrator.data(DEACTIVATE_MEMBER, memberId=client.id)

    assert codes(again["deactivateMember"]) == [("MEMBER_DEACTIVATED", ["memberId"])]


async def test_the_last_administrator_cannot_be_deactivated(administrator: Person) -> None:
    result = await administrator.data(DEACTIVATE_MEMBER, memberId=administrator.id)

    assert codes(result["deactivateMember"]) == [("LAST_ADMINISTRATOR", ["memberId"])]
    assert (await member_row(administrator)).status == models.MemberStatus.ACTIVE


async def test_a_deactivated_member_can_be_reactivated(
    healthspace: models.Healthspace, administrator: Person, client: Person
) -> None:
    await administrator.data(DEACTIVATE_MEMBER, memberId=client.id)

    result = await administrator.data(REACTIVATE_MEMBER, memberId=client.id)

    assert result["reactivateMember"]["member"] == {"id": client.id, "status": "ACTIVE"}
    assert (await client.data(HEALTHSPACE, id=str(healthspace.id)))["healthspace"] is not None


# --- leaving -----------------------------------------------------------------------------------------


async def test_a_member_leaves_a_healthspace(
    healthspace: models.Healthspace, client: Person
) -> None:
    result = await client.data(LEAVE_HEALTHSPACE, healthspaceId=str(healthspace.id))

    assert result["leaveHealthspace"] == {
        "member": {"id": client.id, "status": "DEACTIVATED"},
        "errors": [],
    }
    assert await client.data(HEALTHSPACE, id=str(healthspace.id)) == {"healthspace": None}
    assert error_code(await client(LEAVE_HEALTHSPACE, healthspaceId=str(healthspace.id))) == (
        "NOT_FOUND"
    )


async def test_the_last_administrator_cannot_leave(
    healthspace: models.Healthspace, administrator: Person
) -> None:
    result = await administrator.data(LEAVE_HEALTHSPACE, healthspaceId=str(healthspace.id))

    assert codes(result["leaveHealthspace"]) == [("LAST_ADMINISTRATOR", ["healthspaceId"])]
    assert (await member_row(administrator)).status == models.MemberStatus.ACTIVE


@pytest.mark.parametrize("healthspace_id", [str(uuid.uuid4()), "nope"])
async def test_leaving_a_healthspace_one_is_not_in_is_not_found(
    administrator: Person, healthspace_id: str
) -> None:
    result = await administrator(LEAVE_HEALTHSPACE, healthspaceId=healthspace_id)

    assert error_code(result) == "NOT_FOUND"


async def test_leaving_another_healthspace_is_not_found(
    healthspace: models.Healthspace, outsider: Person
) -> None:
    assert error_code(await outsider(LEAVE_HEALTHSPACE, healthspaceId=str(healthspace.id))) == (
        "NOT_FOUND"
    )


async def test_a_left_membership_comes_back_with_its_history(
    people: People, healthspace: models.Healthspace, client: Person
) -> None:
    await client.data(LEAVE_HEALTHSPACE, healthspaceId=str(healthspace.id))
    account = await models.Account.get(id=client.account.id)  # type: ignore[union-attr]
    again = await add_member(account, healthspace.id, models.MemberKind.CLIENT)

    assert str(again.id) == client.id
    assert data_of(await client(HEALTHSPACE, id=str(healthspace.id)))["healthspace"] is not None


async def test_two_administrators_stepping_down_at_once_leave_one_in_place(
    people: People, healthspace: models.Healthspace, administrator: Person
) -> None:
    # given two administrators
    other = await people.staff(healthspace, Role.ADMINISTRATOR)

    # when both step down and deactivate each other at once
    results = await asyncio.gather(
        administrator(UPDATE_MEMBER_ROLES, memberId=administrator.id, roles=["CLINICIAN"]),
        other(DEACTIVATE_MEMBER, memberId=administrator.id),
        other(UPDATE_MEMBER_ROLES, memberId=other.id, roles=["ASSISTANT"]),
        administrator(DEACTIVATE_MEMBER, memberId=other.id),
    )

    # One who lost the role first may be FORBIDDEN for the rest: requests run in any order.
    # then somebody stepped down and exactly one administrator is left
    outcomes = [
        error_code(result) or next(iter(result["data"].values()))["errors"] for result in results
    ]
    assert [] in outcomes  # somebody stepped down ...
    left = [
        roles
        for roles in await models.Member.filter(
            healthspace_id=healthspace.id, status=models.MemberStatus.ACTIVE
        ).values_list("roles", flat=True)
        if "ADMINISTRATOR" in roles
    ]
    assert len(left) == 1  # ... and exactly one administrator is left


MEMBERS_BY_STATUS = """
query($id: ID!, $status: MemberStatus) {
  healthspace(id: $id) { members(status: $status) { totalCount nodes { id status } } }
}
"""


async def test_members_filter_by_status(administrator, clinician, client, healthspace) -> None:
    await administrator.data(DEACTIVATE_FOR_STATUS, memberId=client.id)

    active = await administrator.data(MEMBERS_BY_STATUS, id=str(healthspace.id), status="ACTIVE")
    gone = await administrator.data(MEMBERS_BY_STATUS, id=str(healthspace.id), status="DEACTIVATED")
    everyone = await administrator.data(MEMBERS_BY_STATUS, id=str(healthspace.id))

    active_ids = {node["id"] for node in active["healthspace"]["members"]["nodes"]}
    assert active_ids == {administrator.id, clinician.id}
    assert [node["id"] for node in gone["healthspace"]["members"]["nodes"]] == [client.id]
    assert everyone["healthspace"]["members"]["totalCount"] == 3


DEACTIVATE_FOR_STATUS = """
mutation($memberId: ID!) { deactivateMember(memberId: $memberId) { errors { code } } }
"""


MEMBER_SURNAMES = """
query($id: ID!) { healthspace(id: $id) { members(kind: CLIENT) { nodes { lastName } } } }
"""


async def test_members_are_listed_by_surname_ignoring_case(
    people: People, administrator: Person, healthspace: models.Healthspace
) -> None:
    for surname in ("Smit", "de Vries", "Aalders", "bakker"):
        await people.client(healthspace, last_name=surname)

    result = await administrator.data(MEMBER_SURNAMES, id=str(healthspace.id))

    surnames = [node["lastName"] for node in result["healthspace"]["members"]["nodes"]]
    assert surnames == ["Aalders", "bakker", "de Vries", "Smit"]
