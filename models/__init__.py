"""Tortoise models, one domain per module. Imports nothing else of Carespace."""

from models.accounts import Account, EmailToken, Session, TokenPurpose
from models.audit import AuditEvent, AuditOutcome
from models.config import MODEL_MODULES, tortoise_config
from models.connections import (
    Connection,
    connection_key,
    current_connection,
    current_connections,
)
from models.healthspaces import Healthspace
from models.invitations import Invitation, InvitationStatus, RosterBatch
from models.join_requests import JoinRequest, JoinRequestStatus
from models.members import Member, MemberKind, MemberStatus
from models.outbox import OutboxMessage, OutboxStatus
from models.rate_limits import RateLimitHit
from models.records import (
    ApiToken,
    ApiTokenScope,
    Assignment,
    AssignmentStatus,
    Note,
    RecordSection,
    VideoCall,
)

__all__ = [
    "MODEL_MODULES",
    "Account",
    "ApiToken",
    "ApiTokenScope",
    "Assignment",
    "AssignmentStatus",
    "AuditEvent",
    "AuditOutcome",
    "Connection",
    "EmailToken",
    "Healthspace",
    "Invitation",
    "InvitationStatus",
    "JoinRequest",
    "JoinRequestStatus",
    "Member",
    "MemberKind",
    "MemberStatus",
    "Note",
    "OutboxMessage",
    "OutboxStatus",
    "RateLimitHit",
    "RecordSection",
    "RosterBatch",
    "Session",
    "TokenPurpose",
    "VideoCall",
    "connection_key",
    "current_connection",
    "current_connections",
    "tortoise_config",
]
