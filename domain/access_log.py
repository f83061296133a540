"""Reading the access log: a client's own (who looked at my record) and a Healthspace's whole
audit log for VIEW_AUDIT_LOG, which is itself audited (issue 11, NEN 7513)."""

from __future__ import annotations

import uuid
from datetime import datetime

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

import models
from permissions.audit import record_event
from permissions.roles import Permission
from permissions.viewer import Viewer

RECORD_ACTION_PREFIX = "RECORD_"


def client_access_log(account_id: uuid.UUID) -> QuerySet[models.AuditEvent]:
    """Staff reads and changes of the account's records in every Healthspace, newest first.
    Only lines whose actor is a staff member: never another client, never the client's own
    looks, never an integration's token."""
    own_records = models.Member.filter(account_id=account_id, kind=models.MemberKind.CLIENT).values(
        "id"
    )
    staff = models.Member.filter(kind=models.MemberKind.STAFF).values("id")
    return models.AuditEvent.filter(
        client_member_id__in=Subquery(own_records),
        actor_member_id__in=Subquery(staff),
        action__startswith=RECORD_ACTION_PREFIX,
        outcome=models.AuditOutcome.SUCCESS,
    ).order_by("-occurred_at", "-id")


async def names_actor(
    viewer: Viewer, event: models.AuditEvent, client: models.Member | None
) -> bool:
    """Whether the viewer may read who acted on `event` by name and role (`client` is the
    member whose record it is about, if any): the client themself, in their access log (NEN
    7513: who looked at my record, also after that clinician's connection ended or they left),
    and staff with VIEW_AUDIT_LOG in the event's Healthspace. Nobody else."""
    account = viewer.account
    if account is None:
        return False
    if client is not None and client.account_id == account.id:
        return True
    if event.healthspace_id is None:
        return False
    return Permission.VIEW_AUDIT_LOG in await viewer.permissions_in(event.healthspace_id)


async def healthspace_audit_log(
    viewer: Viewer,
    actor: models.Member,
    *,
    client_id: uuid.UUID | None,
    member_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> QuerySet[models.AuditEvent]:
    """The Healthspace's audit lines, newest first, narrowed to one client (the record they
    concern), one member (who acted) and a period [since, until]. Writes an AUDIT_LOG_READ line
    first: reading the audit log is itself audited."""
    healthspace_id = actor.healthspace_id
    await record_event(
        viewer,
        "AUDIT_LOG_READ",
        healthspace_id=healthspace_id,
        actor=actor,
        client_member_id=client_id,
        details={
            "member_id": str(member_id) if member_id else None,
            "from": since.isoformat() if since else None,
            "to": until.isoformat() if until else None,
        },
    )
    query = models.AuditEvent.filter(healthspace_id=healthspace_id)
    if client_id is not None:
        query = query.filter(client_member_id=client_id)
    if member_id is not None:
        query = query.filter(actor_member_id=member_id)
    if since is not None:
        query = query.filter(occurred_at__gte=since)
    if until is not None:
        query = query.filter(occurred_at__lte=until)
    return query.order_by("-occurred_at", "-id")
