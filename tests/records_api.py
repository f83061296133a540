"""GraphQL documents and helpers shared by the record tests."""

from __future__ import annotations

from typing import Any

from conftest import Person

import models
from domain.connections import connect

RECORD = """
query Record($clientId: ID!) {
  record(clientId: $clientId) {
    client { id firstName lastName email dateOfBirth identificationNumber createdAt }
    connectedClinicians { id lastName }
    assignments { nodes { id title status progress } totalCount }
    notes { nodes { id body author { id } } totalCount }
    videoCalls { nodes { id startedAt durationSeconds staff { id } } totalCount }
  }
}
"""

MEMBER_RECORD = """
query MemberRecord($id: ID!) {
  member(id: $id) { id record { client { id } assignments { totalCount } } }
}
"""

ASSIGNMENTS = """
query Assignments($clientId: ID!, $status: AssignmentStatus, $first: Int, $after: String) {
  record(clientId: $clientId) {
    assignments(status: $status, first: $first, after: $after) {
      nodes {
        id title status progress draftAnswer answer feedback submittedAt reviewedAt
        availableFrom dueAt plannedBy { id } reviewedBy { id }
      }
      pageInfo { endCursor hasNextPage }
      totalCount
    }
  }
}
"""

ADD_NOTE = """
mutation AddNote($clientId: ID!, $body: String!) {
  addNote(clientId: $clientId, body: $body) {
    note { id body author { id } createdAt }
    errors { field code message }
  }
}
"""

PLAN = """
mutation Plan($input: PlanAssignmentInput!) {
  planAssignment(input: $input) {
    assignment { id title status progress availableFrom dueAt plannedBy { id } }
    errors { field code message }
  }
}
"""

PROGRESS = """
mutation Progress($id: ID!, $progress: Int!, $draftAnswer: String) {
  updateAssignmentProgress(id: $id, progress: $progress, draftAnswer: $draftAnswer) {
    assignment { id status progress draftAnswer }
    errors { field code message }
  }
}
"""

SUBMIT = """
mutation Submit($id: ID!, $answer: String!) {
  submitAssignment(id: $id, answer: $answer) {
    assignment { id status progress answer submittedAt }
    errors { field code message }
  }
}
"""

REVIEW = """
mutation Review($id: ID!, $feedback: String!) {
  reviewAssignment(id: $id, feedback: $feedback) {
    assignment { id status feedback reviewedAt reviewedBy { id } }
    errors { field code message }
  }
}
"""

LOG_CALL = """
mutation LogCall($input: LogVideoCallInput!) {
  logVideoCall(input: $input) {
    videoCall { id startedAt durationSeconds endedAt staff { id } }
    errors { field code message }
  }
}
"""


async def connected(client: Person, clinician: Person) -> None:
    """Connect the client and the clinician directly in the database."""
    assert client.member is not None and clinician.member is not None
    await connect(None, client.member, clinician.member, created_by=None)


async def plan(clinician: Person, client: Person, title: str = "Sleep diary", **extra: Any) -> str:
    """Plan an assignment through the API; its id."""
    result = await clinician.data(PLAN, input={"clientId": client.id, "title": title, **extra})
    assert result["planAssignment"]["errors"] == [], result
    return str(result["planAssignment"]["assignment"]["id"])


async def denied_events() -> int:
    return await models.AuditEvent.filter(
        action="RECORD_DENIED", outcome=models.AuditOutcome.DENIED
    ).count()
