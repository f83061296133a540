"""Healthspaces through the API: who sees one, finding them, changing their settings."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import People, Person, error_code

import models
from domain.members import add_member

HEALTHSPACE = """
query Healthspace($id: ID!) {
  healthspace(id: $id) {
    id name description
    viewerMember { id kind }
    settings { reminderDays invitationLifetimeDays findable }
  }
}
"""

HEALTHSPACES = """
query Healthspaces($search: String, $first: Int, $after: String) {
  healthspaces(search: $search, first: $first, after: $after) {
    nodes { name }
    pageInfo { endCursor hasNextPage }
    totalCount
  }
}
"""

VIEWER_MEMBERSHIPS = """
query { viewer { memberships { id kind healthspace { name } } } }
"""

UPDATE_HEALTHSPACE = """
mutation UpdateHealthspace($input: UpdateHealthspaceInput!) {
  updateHealthspace(input: $input) {
    healthspace {
      name description welcomeText address openingHours logoUrl backgroundUrl
      settings { reminderDays invitationLifetimeDays findable }
    }
    errors { field code message }
  }
}
"""


async def update(person: Person, healthspace: models.Healthspace, **changes: Any) -> Any:
    return await person(UPDATE_HEALTHSPACE, input={"healthspaceId": str(healthspace.id), **changes})


# --- seeing a Healthspace ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "person", ["administrator", "assistant", "clinician", "client"], indirect=True
)
async def test_members_see_their_healthspace_and_their_own_membership(
    healthspace: models.Healthspace, person: Person
) -> None:
    result = (await person.data(HEALTHSPACE, id=str(healthspace.id)))["healthspace"]

    assert result["id"] == str(healthspace.id)
    assert result["name"] == "Praktijk De Linde"
    assert result["viewerMember"] == {
        "id": person.id,
        "kind": "CLIENT" if person.label == "client" else "STAFF",
    }
    assert result["settings"] == {
        "reminderDays": [3, 7],
        "invitationLifetimeDays": 30,
        "findable": False,
    }


async def test_non_members_see_null(healthspace: models.Healthspace, outsider: Person) -> None:
    assert await outsider.data(HEALTHSPACE, id=str(healthspace.id)) == {"healthspace": None}


async def test_a_deactivated_member_sees_null(
    healthspace: models.Healthspace, client: Person
) -> None:
    await models.Member.filter(id=client.id).update(status=models.MemberStatus.DEACTIVATED)

    assert await client.data(HEALTHSPACE, id=str(healthspace.id)) == {"healthspace": None}


@pytest.mark.parametrize("id", [str(uuid.uuid4()), "not-a-uuid", "", "1"])
async def test_an_unknown_or_malformed_id_is_null_like_a_hidden_one(
    administrator: Person, id: str
) -> None:
    assert await administrator.data(HEALTHSPACE, id=id) == {"healthspace": None}


async def test_signing_in_comes_first(healthspace: models.Healthspace, anonymous: Person) -> None:
    result = await anonymous(HEALTHSPACE, id=str(healthspace.id))

    assert result["data"] == {"healthspace": None}
    assert error_code(result) == "UNAUTHENTICATED"


async def test_a_findable_healthspace_is_visible_to_any_signed_in_account(
    healthspace: models.Healthspace, outsider: Person
) -> None:
    await models.Healthspace.filter(id=healthspace.id).update(findable=True)

    result = (await outsider.data(HEALTHSPACE, id=str(healthspace.id)))["healthspace"]

    assert result["name"] == "Praktijk De Linde"
    assert result["viewerMember"] is None


# --- finding Healthspaces ----------------------------------------------------------------------


async def test_healthspaces_lists_mine_and_the_findable_ones_by_name(
    people: People, administrator: Person, other_healthspace: models.Healthspace
) -> None:
    await models.Healthspace.create(name="Zuid Fysio", findable=True)
    await models.Healthspace.create(name="Aardse Psychologie", findable=True)
    await models.Healthspace.create(name="Hidden Clinic")  # neither mine nor findable

    result = (await administrator.data(HEALTHSPACES))["healthspaces"]

    assert [node["name"] for node in result["nodes"]] == [
        "Aardse Psychologie",
        "Praktijk De Linde",
        "Zuid Fysio",
    ]
    assert result["totalCount"] == 3
    assert result["pageInfo"]["hasNextPage"] is False


async def test_healthspaces_search_matches_part_of_the_name_in_any_case(
    administrator: Person,
) -> None:
    await models.Healthspace.create(name="Zuid Fysio", findable=True)
    await models.Healthspace.create(name="Fysio Noord")  # matches, but hidden

    result = (await administrator.data(HEALTHSPACES, search=" fysio "))["healthspaces"]

    assert [node["name"] for node in result["nodes"]] == ["Zuid Fysio"]
    assert result["totalCount"] == 1


async def test_healthspaces_pages(administrator: Person) -> None:
    for index in range(4):
        await models.Healthspace.create(name=f"Open {index}", findable=True)

    first = (await administrator.data(HEALTHSPACES, search="open", first=3))["healthspaces"]
    rest = (
        await administrator.data(
            HEALTHSPACES, search="open", first=3, after=first["pageInfo"]["endCursor"]
        )
    )["healthspaces"]

    assert [n["name"] for n in first["nodes"]] == ["Open 0", "Open 1", "Open 2"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [n["name"] for n in rest["nodes"]] == ["Open 3"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert first["totalCount"] == rest["totalCount"] == 4


async def test_a_left_healthspace_is_no_longer_listed(
    healthspace: models.Healthspace, client: Person
) -> None:
    await models.Member.filter(id=client.id).update(status=models.MemberStatus.DEACTIVATED)

    result = (await client.data(HEALTHSPACES))["healthspaces"]

    assert result == {
        "nodes": [],
        "pageInfo": {"endCursor": None, "hasNextPage": False},
        "totalCount": 0,
    }


async def test_healthspaces_pages_are_at_most_a_hundred(administrator: Person) -> None:
    assert error_code(await administrator(HEALTHSPACES, first=101)) == "BAD_USER_INPUT"


async def test_the_viewer_lists_their_active_memberships(
    healthspace: models.Healthspace,
    other_healthspace: models.Healthspace,
    administrator: Person,
) -> None:
    account = administrator.account
    assert account is not None
    client = await add_member(account, other_healthspace.id, models.MemberKind.CLIENT)
    third = await models.Healthspace.create(name="Left Clinic")
    left = await add_member(account, third.id, models.MemberKind.CLIENT)
    await models.Member.filter(id=left.id).update(status=models.MemberStatus.DEACTIVATED)

    viewer = (await administrator.data(VIEWER_MEMBERSHIPS))["viewer"]

    assert viewer["memberships"] == [
        {"id": administrator.id, "kind": "STAFF", "healthspace": {"name": "Praktijk De Linde"}},
        {"id": str(client.id), "kind": "CLIENT", "healthspace": {"name": "Elsewhere Clinic"}},
    ]


async def test_healthspaces_needs_a_signed_in_viewer(anonymous: Person) -> None:
    assert error_code(await anonymous(HEALTHSPACES)) == "UNAUTHENTICATED"


# --- updating a Healthspace ----------------------------------------------------------------------


async def test_an_administrator_updates_settings_and_appearance(
    healthspace: models.Healthspace, administrator: Person
) -> None:
    # when the administrator updates the settings and appearance
    result = await update(
        administrator,
        healthspace,
        name="  De Linde  ",
        welcomeText="Welkom!",
        openingHours="ma-vr 8-17",
        logoUrl="https://cdn.example.org/linde.png",
        reminderDays=[7, 2, 7],
        invitationLifetimeDays=14,
        findable=True,
    )

    # then they are stored, cleaned and audited
    payload = result["data"]["updateHealthspace"]
    assert payload["errors"] == []
    assert payload["healthspace"] == {
        "name": "De Linde",
        "description": "General practice",  # not given, so unchanged
        "welcomeText": "Welkom!",
        "address": "",
        "openingHours": "ma-vr 8-17",
        "logoUrl": "https://cdn.example.org/linde.png",
        "backgroundUrl": None,
        "settings": {"reminderDays": [2, 7], "invitationLifetimeDays": 14, "findable": True},
    }
    row = await models.Healthspace.get(id=healthspace.id)
    assert (row.name, row.invitation_lifetime_days, row.findable) == ("De Linde", 14, True)
    event = await models.AuditEvent.get(action="HEALTHSPACE_UPDATED")
    assert event.actor_member_id == administrator.member.id  # type: ignore[union-attr]


async def test_an_empty_image_address_clears_the_image(
    healthspace: models.Healthspace, administrator: Person
) -> None:
    await update(administrator, healthspace, logoUrl="https://cdn.example.org/linde.png")

    result = await update(administrator, healthspace, logoUrl="")

    assert result["data"]["updateHealthspace"]["healthspace"]["logoUrl"] is None
    assert (await models.Healthspace.get(id=healthspace.id)).logo_url is None


@pytest.mark.parametrize(
    ("person", "code"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("client", "FORBIDDEN"),
        ("clinician", "FORBIDDEN"),
        ("assistant", "FORBIDDEN"),
        ("outsider", "NOT_FOUND"),
    ],
    indirect=["person"],
)
async def test_only_an_administrator_of_that_healthspace_may_update_it(
    healthspace: models.Healthspace, person: Person, code: str
) -> None:
    result = await update(person, healthspace, name="Taken over")

    assert result["data"] is None
    assert error_code(result) == code
    assert (await models.Healthspace.get(id=healthspace.id)).name == "Praktijk De Linde"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"invitationLifetimeDays": 0}, "INVALID", "invitationLifetimeDays"),
        ({"invitationLifetimeDays": 366}, "INVALID", "invitationLifetimeDays"),
        ({"reminderDays": [0]}, "INVALID", "reminderDays"),
        ({"reminderDays": [1, 2, 3, 4, 5, 6]}, "INVALID", "reminderDays"),
        ({"name": "  "}, "REQUIRED", "name"),
        ({"name": "x" * 201}, "TOO_LONG", "name"),
        ({"logoUrl": "javascript:alert(1)"}, "INVALID", "logoUrl"),
        ({"backgroundUrl": "ftp://example.org/x.png"}, "INVALID", "backgroundUrl"),
        ({"welcomeText": "x" * 5001}, "TOO_LONG", "welcomeText"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(
    healthspace: models.Healthspace,
    administrator: Person,
    changes: dict[str, Any],
    code: str,
    field: str,
) -> None:
    # A valid change in the same input must not be saved either.
    result = await update(administrator, healthspace, description="Changed", **changes)

    assert result["data"]["updateHealthspace"]["healthspace"] is None
    errors = result["data"]["updateHealthspace"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [(code, [field])]
    assert errors[0]["message"]
    row = await models.Healthspace.get(id=healthspace.id)
    assert (row.name, row.description, row.invitation_lifetime_days, row.reminder_days) == (
        "Praktijk De Linde",
        "General practice",
        30,
        [3, 7],
    )
    assert await models.AuditEvent.filter(action="HEALTHSPACE_UPDATED").count() == 0


async def test_an_unknown_healthspace_cannot_be_updated(administrator: Person) -> None:
    result = await administrator(
        UPDATE_HEALTHSPACE, input={"healthspaceId": str(uuid.uuid4()), "name": "X"}
    )

    assert error_code(result) == "NOT_FOUND"
