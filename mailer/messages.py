"""Message builders: one function per message, in the account's language, text and HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass

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
        subject=subject.format(**params),
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


def sign_in_link(*, to: str, language: str, healthspace: str, link: str) -> Message:
    return compose("sign_in_link", language, to, healthspace=healthspace, link=link)
