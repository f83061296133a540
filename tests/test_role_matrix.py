"""Who may call each mutation of the foundation: one cell per role and mutation, with the exact
outcome. A refused call changes nothing; an allowed one changes what it says."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import PASSWORD, People, Person
from helpers import outcome
from strawberry.schema.name_converter import NameConverter

import models
from permissions.roles import Role
from permissions.tokens import hash_token, new_token
from resolvers import accounts, healthspaces, members

OK = "OK"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
LAST_ADMINISTRATOR = "LAST_ADMINISTRATOR"

ROLES = ("anonymous", "client", "clinician", "assistant", "administrator", "outsider")

# A client may not see the target (an unconnected clinician, another client): NOT_FOUND, the
# answer a missing member gets, never FORBIDDEN (issue 7, item 4).
# fmt: off
MATRIX: dict[str, tuple[str, str, str, str, str, str]] = {
    #                          anonymous        client     clinician  assistant  administrator       outsider
    "signUp":                  (OK,              OK,        OK,        OK,        OK,                 OK),
    "signIn":                  (OK,              OK,        OK,        OK,        OK,                 OK),
    "signOut":                 (UNAUTHENTICATED, OK,        OK,        OK,        OK,                 OK),
    "verifyEmail":             (OK,              OK,        OK,        OK,        OK,                 OK),
    "resendVerificationEmail": (UNAUTHENTICATED, OK,        OK,        OK,        OK,                 OK),
    "requestPasswordReset":    (OK,              OK,        OK,        OK,        OK,                 OK),
    "resetPassword":           (OK,              OK,        OK,        OK,        OK,                 OK),
    "updateAccount":           (UNAUTHENTICATED, OK,        OK,        OK,        OK,                 OK),
    "updateHealthspace":       (UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,                 NOT_FOUND),
    "updateMemberRoles":       (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, FORBIDDEN, OK,                 NOT_FOUND),
    "grantPermissions":        (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, FORBIDDEN, OK,                 NOT_FOUND),
    "revokePermissions":       (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, FORBIDDEN, OK,                 NOT_FOUND),
    "deactivateMember":        (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, FORBIDDEN, OK,                 NOT_FOUND),
    "reactivateMember":        (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, FORBIDDEN, OK,                 NOT_FOUND),
    "updateMember":            (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, OK,        OK,                 NOT_FOUND),
    "leaveHealthspace":        (UNAUTHENTICATED, OK,        OK,        OK,        LAST_ADMINISTRATOR, NOT_FOUND),
}
# fmt: on

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { account { id } errors { code } } }
"""
SIGN_IN = """
mutation($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token errors { code } }
}
"""
SIGN_OUT = "mutation { signOut { ok errors { code } } }"
VERIFY_EMAIL = """
mutation($token: String!) { verifyEmail(token: $token) { account { id } errors { code } } }
"""
RESEND_VERIFICATION_EMAIL = (
    "mutation { resendVerificationEmail { account { id } errors { code } } }"
)
REQUEST_PASSWORD_RESET = """
mutation($email: String!) { requestPasswordReset(email: $email) { ok errors { code } } }
"""
RESET_PASSWORD = """
mutation($token: String!, $password: String!) {
  resetPassword(token: $token, password: $password) { account { id } errors { code } }
}
"""
UPDATE_ACCOUNT = """
mutation($input: UpdateAccountInput!) {
  updateAccount(input: $input) { account { firstName } errors { code } }
}
"""
UPDATE_HEALTHSPACE = """
mutation($input: UpdateHealthspaceInput!) {
  updateHealthspace(input: $input) { healthspace { name } errors { code } }
}
"""
UPDATE_MEMBER_ROLES = """
mutation($memberId: ID!, $roles: [Role!]!) {
  updateMemberRoles(memberId: $memberId, roles: $roles) { member { roles } errors { code } }
}
"""
GRANT_PERMISSIONS = """
mutation($memberId: ID!, $permissions: [Permission!]!) {
  grantPermissions(memberId: $memberId, permissions: $permissions) {
    member { grantedPermissions } errors { code }
  }
}
"""
REVOKE_PERMISSIONS = """
mutation($memberId: ID!, $permissions: [Permission!]!) {
  revokePermissions(memberId: $memberId, permissions: $permissions) {
    member { grantedPermissions } errors { code }
  }
}
"""
DEACTIVATE_MEMBER = """
mutation($memberId: ID!) { deactivateMember(memberId: $memberId) { member { status } errors { code } } }
"""
REACTIVATE_MEMBER = """
mutation($memberId: ID!) { reactivateMember(memberId: $memberId) { member { status } errors { code } } }
"""
UPDATE_MEMBER = """
mutation($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { identificationNumber } errors { code } }
}
"""
LEAVE_HEALTHSPACE = """
mutation($healthspaceId: ID!) {
  leaveHealthspace(healthspaceId: $healthspaceId) { member { status } errors { code } }
}
"""


@dataclass
class World:
    """What the mutations act on: the Healthspace, a clinician and a client in it, and an
    account that is not anyone's in this test (for the sign-in and email-link mutations)."""

    healthspace: models.Healthspace
    clinician: Person
    client: Person
    stranger: models.Account

    async def email_token(self, purpose: models.TokenPurpose) -> str:
        token = new_token()
        await models.EmailToken.create(
            account=self.stranger,
            purpose=purpose,
            token_hash=hash_token(token),
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
        return token


Variables = Callable[[World, Person], Awaitable[dict[str, Any]]]
Snapshot = Callable[[World, Person], Awaitable[Any]]


@dataclass(frozen=True)
class Scenario:
    document: str
    variables: Variables
    snapshot: Snapshot  # what the call changes when allowed and must leave alone when refused


async def no_variables(world: World, actor: Person) -> dict[str, Any]:
    return {}


async def actor_unverified(world: World, actor: Person) -> dict[str, Any]:
    if actor.account is not None:
        await models.Account.filter(id=actor.account.id).update(email_verified=False)
    return {}


async def stranger_account(world: World, actor: Person) -> Any:
    return await models.Account.get(id=world.stranger.id).values()


async def stranger_sessions(world: World, actor: Person) -> int:
    return await models.Session.filter(account_id=world.stranger.id).count()


async def revoked_sessions(world: World, actor: Person) -> int:
    return await models.Session.filter(revoked_at__not_isnull=True).count()


async def outbox(world: World, actor: Person) -> int:
    return await models.OutboxMessage.all().count()


async def accounts_count(world: World, actor: Person) -> int:
    return await models.Account.all().count()


async def actor_names(world: World, actor: Person) -> Any:
    return await models.Account.all().order_by("id").values_list("first_name", flat=True)


async def healthspace_row(world: World, actor: Person) -> Any:
    return await models.Healthspace.get(id=world.healthspace.id).values()


async def memberships(world: World, actor: Person) -> Any:
    return (
        await models.Member.all()
        .order_by("id")
        .values("id", "roles", "granted_permissions", "status", "identification_number")
    )


def member_change(**variables: Any) -> Variables:
    async def build(world: World, actor: Person) -> dict[str, Any]:
        return {"memberId": world.clinician.id, **variables}

    return build


async def sign_up(world: World, actor: Person) -> dict[str, Any]:
    email = f"new-{uuid.uuid4().hex[:8]}@example.org"
    return {"input": {"email": email, "password": PASSWORD, "firstName": "N", "lastName": "N"}}


async def stranger_credentials(world: World, actor: Person) -> dict[str, Any]:
    return {"email": world.stranger.email, "password": PASSWORD}


async def verify_link(world: World, actor: Person) -> dict[str, Any]:
    return {"token": await world.email_token(models.TokenPurpose.VERIFY_EMAIL)}


async def reset_link(world: World, actor: Person) -> dict[str, Any]:
    token = await world.email_token(models.TokenPurpose.RESET_PASSWORD)
    return {"token": token, "password": "brand-new-pass-9"}


async def stranger_email(world: World, actor: Person) -> dict[str, Any]:
    return {"email": world.stranger.email}


async def rename_me(world: World, actor: Person) -> dict[str, Any]:
    return {"input": {"firstName": "Renamed"}}


async def rename_healthspace(world: World, actor: Person) -> dict[str, Any]:
    return {"input": {"healthspaceId": str(world.healthspace.id), "name": "Renamed"}}


async def revoke_grant(world: World, actor: Person) -> dict[str, Any]:
    await models.Member.filter(id=world.clinician.id).update(
        granted_permissions=["MANAGE_OWN_CONNECTIONS"]
    )
    return {"memberId": world.clinician.id, "permissions": ["MANAGE_OWN_CONNECTIONS"]}


async def deactivated_clinician(world: World, actor: Person) -> dict[str, Any]:
    await models.Member.filter(id=world.clinician.id).update(
        status=models.MemberStatus.DEACTIVATED, deactivated_at=datetime.now(UTC)
    )
    return {"memberId": world.clinician.id}


async def client_number(world: World, actor: Person) -> dict[str, Any]:
    return {"input": {"memberId": world.client.id, "identificationNumber": "PAT-0001"}}


async def leave(world: World, actor: Person) -> dict[str, Any]:
    return {"healthspaceId": str(world.healthspace.id)}


SCENARIOS: dict[str, Scenario] = {
    "signUp": Scenario(SIGN_UP, sign_up, accounts_count),
    "signIn": Scenario(SIGN_IN, stranger_credentials, stranger_sessions),
    "signOut": Scenario(SIGN_OUT, no_variables, revoked_sessions),
    "verifyEmail": Scenario(VERIFY_EMAIL, verify_link, stranger_account),
    "resendVerificationEmail": Scenario(RESEND_VERIFICATION_EMAIL, actor_unverified, outbox),
    "requestPasswordReset": Scenario(REQUEST_PASSWORD_RESET, stranger_email, outbox),
    "resetPassword": Scenario(RESET_PASSWORD, reset_link, stranger_account),
    "updateAccount": Scenario(UPDATE_ACCOUNT, rename_me, actor_names),
    "updateHealthspace": Scenario(UPDATE_HEALTHSPACE, rename_healthspace, healthspace_row),
    "updateMemberRoles": Scenario(
        UPDATE_MEMBER_ROLES, member_change(roles=["CLINICIAN", "LIBRARY_MANAGER"]), memberships
    ),
    "grantPermissions": Scenario(
        GRANT_PERMISSIONS, member_change(permissions=["INVITE_CLIENTS"]), memberships
    ),
    "revokePermissions": Scenario(REVOKE_PERMISSIONS, revoke_grant, memberships),
    "deactivateMember": Scenario(DEACTIVATE_MEMBER, member_change(), memberships),
    "reactivateMember": Scenario(REACTIVATE_MEMBER, deactivated_clinician, memberships),
    "updateMember": Scenario(UPDATE_MEMBER, client_number, memberships),
    "leaveHealthspace": Scenario(LEAVE_HEALTHSPACE, leave, memberships),
}


@pytest.fixture
async def world(people: People, healthspace: models.Healthspace) -> World:
    return World(
        healthspace=healthspace,
        clinician=await people.staff(healthspace, Role.CLINICIAN, label="target clinician"),
        client=await people.client(healthspace, label="target client"),
        stranger=await people.account("stranger@example.org", verified=False),
    )


CELLS = [
    pytest.param(mutation, role, expected, id=f"{mutation}-{role}")
    for mutation, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.mark.parametrize(("mutation", "actor", "expected"), CELLS, indirect=["actor"])
async def test_role_matrix(world: World, mutation: str, actor: Person, expected: str) -> None:
    scenario = SCENARIOS[mutation]
    variables = await scenario.variables(world, actor)
    before = await scenario.snapshot(world, actor)

    result = await actor(scenario.document, **variables)

    assert outcome(result, mutation, payload_prefix="") == expected, result
    after = await scenario.snapshot(world, actor)
    if expected == OK:
        assert after != before, f"{mutation} by {actor.label} answered OK but changed nothing"
    else:
        assert after == before, f"{mutation} by {actor.label} was refused but changed something"


def test_the_matrix_covers_every_mutation_of_the_foundation() -> None:
    names = NameConverter()
    foundation = {
        names.get_graphql_name(field)
        for module in (accounts, healthspaces, members)
        for field in module.Mutation.__strawberry_definition__.fields
    }

    assert set(MATRIX) == foundation
    assert set(SCENARIOS) == foundation
