"""Message texts: template name → language → (subject, body). Bodies are plain text with
{placeholders}; blank lines separate paragraphs in the HTML part. One module per domain."""

from __future__ import annotations

from mailer.templates.accounts import ACCOUNT_TEMPLATES
from mailer.templates.connections import CONNECTION_TEMPLATES
from mailer.templates.invitations import INVITATION_TEMPLATES
from mailer.templates.join_requests import JOIN_REQUEST_TEMPLATES
from mailer.templates.records import RECORD_TEMPLATES

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    **ACCOUNT_TEMPLATES,
    **INVITATION_TEMPLATES,
    **CONNECTION_TEMPLATES,
    **JOIN_REQUEST_TEMPLATES,
    **RECORD_TEMPLATES,
}
