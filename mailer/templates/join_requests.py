"""Join request decisions, sent to the person who asked: (subject, body) per language."""

from __future__ import annotations

JOIN_REQUEST_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "join_request_approved": {
        "en": (
            "Welcome to {healthspace}",
            """Hello {first_name},

{healthspace} approved your request to join. You are now a client there; sign in to Carespace to get started:
{link}""",
        ),
        "nl": (
            "Welkom bij {healthspace}",
            """Hallo {first_name},

{healthspace} heeft je verzoek om lid te worden goedgekeurd. Je bent nu cliënt; meld je aan bij Carespace om te beginnen:
{link}""",
        ),
    },
    "join_request_rejected": {
        "en": (
            "Your request to join {healthspace}",
            """Hello {first_name},

{healthspace} did not approve your request to join.

Questions? Please contact {healthspace} directly.""",
        ),
        "nl": (
            "Je verzoek om lid te worden van {healthspace}",
            """Hallo {first_name},

{healthspace} heeft je verzoek om lid te worden niet goedgekeurd.

Vragen? Neem dan rechtstreeks contact op met {healthspace}.""",
        ),
    },
    "join_request_rejected_with_reason": {
        "en": (
            "Your request to join {healthspace}",
            """Hello {first_name},

{healthspace} did not approve your request to join. Their reason:

{reason}

Questions? Please contact {healthspace} directly.""",
        ),
        "nl": (
            "Je verzoek om lid te worden van {healthspace}",
            """Hallo {first_name},

{healthspace} heeft je verzoek om lid te worden niet goedgekeurd. De reden:

{reason}

Vragen? Neem dan rechtstreeks contact op met {healthspace}.""",
        ),
    },
}
