"""Audit events: sign-ins (success and failure), role and permission changes, deactivations and
leaving each write one line with who, on whose behalf, what, when, from where and the outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import PASSWORD, People, Person

import models

CLIENT_ADDRESS = "203.0.113.7"  # the http fixture's client address

SIGN_IN = """
mutation SignIn($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token errors { code } }
}
"""

UPDATE_MEMBER_ROLES = """
mutation UpdateMemberRoles($memberId: ID!, $roles: [Role!]!) {
  updateMemberRoles(memberId: $memberId, roles: $roles) { errors { code } }
}
"""

GRANT_PERMISSIONS = """
mutation GrantPermissions($memberId: ID!, $permissions: [Permission!]!) {
  grantPermissions(memberId: $memberId, permissions: $permissions) { errors { code } }
}
"""

DEACTIVATE_MEMBER = """
mutation DeactivateMember($memberId: ID!) { deactivateMember(memberId: $memberId) { errors { code } } }
"""

LEAVE_HEALTHSPACE = """
mutation LeaveHealthspace($healthspaceId: ID!) {
  leaveHealthspace(healthspaceId: $healthspaceId) { errors { code } }
}
"""


def recent(event: models.AuditEvent) -> bool:
    return datetime.now(UTC) - timedelta(minutes=1) < event.occurred_at <= datetime.now(UTC)


async def test_a_successful_sign_in_is_audited(anonymous: Person, people: People) -> None:
    account = await people.account("bo@example.org")

    await anonymous.data(SIGN_IN, email="bo@example.org", password=PASSWORD)

    [event] = await models.AuditEvent.filter(action="SIGN_IN")
    assert event.outcome == models.AuditOutcome.SUCCESS
    assert event.actor_account_id == account.id
    assert event.ip_address == CLIENT_ADDRESS
    assert recent(event)


async def test_a_failed_sign_in_is_audited_without_the_password(
    anonymous: Person, people: People
) -> None:
    account = await people.account("bo@example.org")

    await anonymous.data(SIGN_IN, email="Bo@example.org", password="wrong-password-1")
    await anonymous.data(SIGN_IN, email="nobody@example.org", password="wrong-password-2")

    wrong_password, unknown = await models.AuditEvent.filter(action="SIGN_IN").order_by(
        "occurred_at"
    )
    assert wrong_password.outcome == unknown.outcome == models.AuditOutcome.FAILURE
    assert wrong_password.actor_account_id == account.id
    assert unknown.actor_account_id is None
    assert unknown.details["email"] == "nobody@example.org"
    assert wrong_password.ip_address == unknown.ip_address == CLIENT_ADDRESS
    assert "wrong-password" not in str(wrong_password.details) + str(unknown.details)


async def test_a_sign_in_to_a_closed_account_is_audited_as_denied(
    anonymous: Person, people: People
) -> None:
    account = await people.account("bo@example.org", deactivated_at=datetime.now(UTC))

    await anonymous.data(SIGN_IN, email="bo@example.org", password=PASSWORD)

    [event] = await models.AuditEvent.filter(action="SIGN_IN")
    assert event.outcome == models.AuditOutcome.DENIED
    assert event.actor_account_id == account.id


async def test_a_role_change_is_audited_with_before_and_after(
    healthspace: models.Healthspace, administrator: Person, clinician: Person
) -> None:
    await administrator.data(
        UPDATE_MEMBER_ROLES, memberId=clinician.id, roles=["CLINICIAN", "LIBRARY_MANAGER"]
    )

    [event] = await models.AuditEvent.filter(action="MEMBER_ROLES_CHANGED")
    assert event.outcome == models.AuditOutcome.SUCCESS
    assert event.healthspace_id == healthspace.id
    assert str(event.actor_member_id) == administrator.id
    assert event.actor_account_id == administrator.account.id  # type: ignore[union-attr]
    assert str(event.subject_id) == clinician.id
    assert event.ip_address == CLIENT_ADDRESS
    assert event.details == {"before": ["CLINICIAN"], "after": ["CLINICIAN", "LIBRARY_MANAGER"]}
    assert recent(event)


async def test_a_granted_permission_is_audited(administrator: Person, clinician: Person) -> None:
    await administrator.data(
        GRANT_PERMISSIONS, memberId=clinician.id, permissions=["INVITE_CLIENTS"]
    )

    [event] = await models.AuditEvent.filter(action="MEMBER_PERMISSIONS_CHANGED")
    assert str(event.actor_member_id) == administrator.id
    assert event.details == {"before": [], "after": ["INVITE_CLIENTS"]}


async def test_a_deactivation_is_audited(
    healthspace: models.Healthspace, administrator: Person, client: Person
) -> None:
    await administrator.data(DEACTIVATE_MEMBER, memberId=client.id)

    [event] = await models.AuditEvent.filter(action="MEMBER_DEACTIVATED")
    assert event.outcome == models.AuditOutcome.SUCCESS
    assert event.healthspace_id == healthspace.id
    assert str(event.actor_member_id) == administrator.id
    assert str(event.subject_id) == client.id
    assert str(event.client_member_id) == client.id
    assert event.ip_address == CLIENT_ADDRESS


async def test_leaving_is_audited_with_the_member_as_actor(
    healthspace: models.Healthspace, clinician: Person
) -> None:
    await clinician.data(LEAVE_HEALTHSPACE, healthspaceId=str(healthspace.id))

    [event] = await models.AuditEvent.filter(action="MEMBER_LEFT")
    assert str(event.actor_member_id) == str(event.subject_id) == clinician.id
    assert event.ip_address == CLIENT_ADDRESS


async def test_a_refused_change_writes_no_success_line(
    administrator: Person, clinician: Person
) -> None:
    result = await clinician(DEACTIVATE_MEMBER, memberId=administrator.id)

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await models.AuditEvent.filter(action="MEMBER_DEACTIVATED").count() == 0


async def test_a_rule_that_rolls_back_rolls_back_its_audit_line(administrator: Person) -> None:
    result = await administrator.data(DEACTIVATE_MEMBER, memberId=administrator.id)

    assert [e["code"] for e in result["deactivateMember"]["errors"]] == ["LAST_ADMINISTRATOR"]
    assert await models.AuditEvent.filter(action="MEMBER_DEACTIVATED").count() == 0


async def test_a_refused_call_by_a_member_is_audited_as_denied(
    administrator: Person, clinician: Person, healthspace: models.Healthspace
) -> None:
    assert administrator.member is not None and clinician.member is not None

    result = await clinician(
        DEACTIVATE_MEMBER.replace("DeactivateMember", "Attempt"), memberId=administrator.id
    )

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    [event] = await models.AuditEvent.filter(action="ACCESS_DENIED")
    assert event.outcome == models.AuditOutcome.DENIED
    assert event.actor_member_id == clinician.member.id
    assert event.healthspace_id == healthspace.id
    assert event.details == {"field": "Mutation.deactivateMember"}
    assert event.ip_address == CLIENT_ADDRESS
    assert (await models.Member.get(id=administrator.member.id)).status == "ACTIVE"
