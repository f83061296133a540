"""Message texts: template name → language → (subject, body). Bodies are plain text with
{placeholders}; blank lines separate paragraphs in the HTML part. One module per domain."""

from __future__ import annotations

from mailer.templates.accounts import ACCOUNT_TEMPLATES

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    **ACCOUNT_TEMPLATES,
}
