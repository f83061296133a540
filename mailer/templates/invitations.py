"""Invitation messages: (subject, body) per language. `{name}` is " Anna" or "" (roster
invitations may carry no name), so a greeting reads "Hello Anna," or "Hello,"."""

from __future__ import annotations

_INVITATION_EN = """Hello{name},

{inviter} invites you to join {healthspace} on Carespace.
{note_paragraph}
Accept the invitation here. If you have no Carespace account yet, you create one on the way:
{link}

This invitation is valid until {expires_on}. If you do not want to join, you can ignore this message."""

_INVITATION_NL = """Hallo{name},

{inviter} nodigt je uit voor {healthspace} op Carespace.
{note_paragraph}
Neem de uitnodiging hier aan. Heb je nog geen Carespace-account, dan maak je dat onderweg aan:
{link}

Deze uitnodiging is geldig tot {expires_on}. Wil je niet meedoen? Dan kun je dit bericht negeren."""


def _with_note(body: str, label: str) -> str:
    return body.replace("{note_paragraph}", "\n" + label + "\n{note}\n")


def _without_note(body: str) -> str:
    return body.replace("{note_paragraph}", "")


INVITATION_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "invitation": {
        "en": (
            "{inviter} invites you to {healthspace} on Carespace",
            _without_note(_INVITATION_EN),
        ),
        "nl": (
            "{inviter} nodigt je uit voor {healthspace} op Carespace",
            _without_note(_INVITATION_NL),
        ),
    },
    "invitation_with_note": {
        "en": (
            "{inviter} invites you to {healthspace} on Carespace",
            _with_note(_INVITATION_EN, "A personal note from {inviter}:"),
        ),
        "nl": (
            "{inviter} nodigt je uit voor {healthspace} op Carespace",
            _with_note(_INVITATION_NL, "Een persoonlijk bericht van {inviter}:"),
        ),
    },
    "invitation_reminder": {
        "en": (
            "Reminder: your invitation to {healthspace}",
            """Hello{name},

A reminder: {inviter} invited you to join {healthspace} on Carespace, and the invitation is still open.

Accept it here (this link replaces the one in earlier messages):
{link}

The invitation is valid until {expires_on}. If you do not want to join, you can ignore this message.""",
        ),
        "nl": (
            "Herinnering: je uitnodiging voor {healthspace}",
            """Hallo{name},

Een herinnering: {inviter} heeft je uitgenodigd voor {healthspace} op Carespace, en de uitnodiging staat nog open.

Neem haar hier aan (deze link vervangt die uit eerdere berichten):
{link}

De uitnodiging is geldig tot {expires_on}. Wil je niet meedoen? Dan kun je dit bericht negeren.""",
        ),
    },
}
