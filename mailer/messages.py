"""Message builders: one function per message, in the account's language, text and HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass

from mailer.mime import header_text
from mailer.templates import TEMPLATES


@dataclass(frozen=True)
class Message:
    template: str
    to: str
    subject: str
    text: str
    html: str


def compose(template: str, language: str, to: str, **params: str) -> Message:
    """Fill template `template` in `language` (English when that language has none).

    Parameters are plain text; they are escaped for the HTML part. A parameter named `link`
    becomes a button-like link in HTML.
    """
    by_language = TEMPLATES[template]
    subject, body = by_language.get(language) or by_language["en"]
    text = body.format(**params).strip() + "\n"
    return Message(
        template=template,
        to=to,
        subject=header_text(subject.format(**params)),
        text=text,
        html=_html(body, params),
    )


def _html(body: str, params: dict[str, str]) -> str:
    escaped = {key: html.escape(value) for key, value in params.items()}
    if "link" in params:
        escaped["link"] = (
            f'<a href="{html.escape(params["link"])}">{html.escape(params["link"])}</a>'
        )
    paragraphs = [
        "<p>" + part.strip().format(**escaped).replace("\n", "<br>\n") + "</p>"
        for part in body.strip().split("\n\n")
        if part.strip()
    ]
    return (
        '<!doctype html>\n<html><body style="font-family: sans-serif; line-height: 1.5">\n'
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


def verify_email(*, to: str, language: str, first_name: str, link: str) -> Message:
    return compose("verify_email", language, to, first_name=first_name, link=link)


def password_reset(*, to: str, language: str, first_name: str, link: str) -> Message:
    return compose("password_reset", language, to, first_name=first_name, link=link)


def sign_up_attempt(*, to: str, language: str, first_name: str, link: str) -> Message:
    """To an account's owner when someone signs up with its address (no enumeration)."""
    return compose("sign_up_attempt", language, to, first_name=first_name, link=link)


def _greeting_name(first_name: str) -> str:
    return f" {first_name.strip()}" if first_name.strip() else ""


def invitation(
    *,
    to: str,
    language: str,
    first_name: str,
    healthspace: str,
    inviter: str,
    note: str,
    link: str,
    expires_on: str,
) -> Message:
    """The invitation to join a Healthspace; the inviter's personal note has its own paragraph."""
    message = compose(
        "invitation_with_note" if note.strip() else "invitation",
        language,
        to,
        name=_greeting_name(first_name),
        healthspace=healthspace,
        inviter=inviter,
        note=note.strip(),
        link=link,
        expires_on=expires_on,
    )
    # One template name for both variants, so the outbox and logs say "invitation".
    return Message(
        template="invitation",
        to=message.to,
        subject=message.subject,
        text=message.text,
        html=message.html,
    )


def invitation_reminder(
    *,
    to: str,
    language: str,
    first_name: str,
    healthspace: str,
    inviter: str,
    link: str,
    expires_on: str,
) -> Message:
    return compose(
        "invitation_reminder",
        language,
        to,
        name=_greeting_name(first_name),
        healthspace=healthspace,
        inviter=inviter,
        link=link,
        expires_on=expires_on,
    )


# --- connections and join requests -----------------------------------------------------------


def connection_added(
    *, to: str, language: str, first_name: str, staff_name: str, healthspace: str
) -> Message:
    return compose(
        "connection_added",
        language,
        to,
        first_name=first_name,
        staff_name=staff_name,
        healthspace=healthspace,
    )


def connection_ended(
    *, to: str, language: str, first_name: str, staff_name: str, healthspace: str
) -> Message:
    return compose(
        "connection_ended",
        language,
        to,
        first_name=first_name,
        staff_name=staff_name,
        healthspace=healthspace,
    )


def connections_changed(
    *,
    to: str,
    language: str,
    first_name: str,
    healthspace: str,
    added: list[str],
    ended: list[str],
) -> Message:
    """One message for several changes to one client's connections (setConnections)."""
    return compose(
        "connections_changed",
        language,
        to,
        first_name=first_name,
        healthspace=healthspace,
        added="\n".join(f"- {name}" for name in added) or "-",
        ended="\n".join(f"- {name}" for name in ended) or "-",
    )


def join_request_approved(
    *, to: str, language: str, first_name: str, healthspace: str, link: str
) -> Message:
    return compose(
        "join_request_approved",
        language,
        to,
        first_name=first_name,
        healthspace=healthspace,
        link=link,
    )


def join_request_rejected(
    *, to: str, language: str, first_name: str, healthspace: str, reason: str
) -> Message:
    template = "join_request_rejected_with_reason" if reason else "join_request_rejected"
    return compose(
        template, language, to, first_name=first_name, healthspace=healthspace, reason=reason
    )
