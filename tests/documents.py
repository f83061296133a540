"""GraphQL documents used by more than one test file (a document only one file uses stays in
that file)."""

from __future__ import annotations

INVITE_CLIENT = """
mutation InviteClient($input: InviteClientInput!) {
  inviteClient(input: $input) {
    invitation {
      id kind email firstName lastName note status remindersSent lastSentAt nextReminderAt
      expiresAt identificationNumber dateOfBirth
      invitedBy { id firstName } connectTo { id } healthspace { id name }
    }
    errors { field code message }
  }
}
"""


INVITE_STAFF = """
mutation InviteStaff($input: InviteStaffInput!) {
  inviteStaff(input: $input) {
    invitation { id kind email roles grantedPermissions status }
    errors { field code message }
  }
}
"""


RESEND = """
mutation Resend($id: ID!) {
  resendInvitation(id: $id) {
    invitation { id status lastSentAt expiresAt }
    errors { field code message }
  }
}
"""


WITHDRAW = """
mutation Withdraw($id: ID!) {
  withdrawInvitation(id: $id) {
    invitation { id status }
    errors { field code message }
  }
}
"""


INVITATIONS = """
query Invitations($id: ID!, $status: InvitationStatus, $first: Int, $after: String) {
  healthspace(id: $id) {
    invitations(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id email kind status remindersSent nextReminderAt expiresAt lastSentAt createdAt
        invitedBy { firstName lastName }
      }
    }
  }
}
"""


INVITATION_PREVIEW = """
query Preview($token: String!) {
  invitation(token: $token) {
    kind status firstName lastName maskedEmail note inviterName expiresAt
    accountExists viewerIsInvitee
    healthspace { id name }
  }
}
"""


ACCEPT_INVITATION = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    token
    member { id kind roles permissions identificationNumber firstName email
             connections { staff { id } } }
    account { email firstName lastName emailVerified }
    errors { field code message }
  }
}
"""


JOIN_REQUEST_FIELDS = """
    id status message reason createdAt decidedAt
    firstName lastName email
    healthspace { id name }
    decidedBy { id }
"""


REQUEST_TO_JOIN = f"""
mutation RequestToJoin($healthspaceId: ID!, $message: String) {{
  requestToJoin(healthspaceId: $healthspaceId, message: $message) {{
    joinRequest {{ {JOIN_REQUEST_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""


APPROVE_JOIN_REQUEST = f"""
mutation Approve($id: ID!) {{
  approveJoinRequest(id: $id) {{
    joinRequest {{ {JOIN_REQUEST_FIELDS} }}
    member {{ id kind status firstName email identificationNumber }}
    errors {{ field code message }}
  }}
}}
"""


SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    account { id email firstName lastName language emailVerified }
    errors { field code message }
  }
}
"""


RESET_PASSWORD = """
mutation ResetPassword($token: String!, $password: String!) {
  resetPassword(token: $token, password: $password) {
    account { email emailVerified }
    errors { field code message }
  }
}
"""


INVITE_ROSTER = """
mutation InviteRoster($input: InviteRosterInput!) {
  inviteRoster(input: $input) {
    batch { id ready counts { total sent } }
    ready
    counts {
      total sent notOnPlatform alreadyConnected alreadyMember alreadyInvited duplicate invalid
      error
    }
    rows { line email note outcome message invitation { id email note status } }
    notOnPlatform
    errors { field code message }
  }
}
"""


INVITE_ROSTER_COUNTS = """
mutation InviteRoster($input: InviteRosterInput!) {
  inviteRoster(input: $input) {
    batch { id }
    ready
    counts { total sent }
    rows { line email outcome message }
    errors { field code message }
  }
}
"""
