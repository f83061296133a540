"""Record messages: a planned assignment and feedback (to the client), a submitted assignment
(to connected staff). (subject, body) per language."""

from __future__ import annotations

RECORD_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "assignment_planned": {
        "en": (
            "A new assignment from {healthspace}: {title}",
            """Hello {first_name},

{staff_name} of {healthspace} planned a new assignment for you: "{title}".

You find it on your Dashboard in Carespace.""",
        ),
        "nl": (
            "Een nieuwe opdracht van {healthspace}: {title}",
            """Hallo {first_name},

{staff_name} van {healthspace} heeft een nieuwe opdracht voor je klaargezet: "{title}".

Je vindt de opdracht op je Dashboard in Carespace.""",
        ),
    },
    "assignment_feedback": {
        "en": (
            "Feedback on your assignment: {title}",
            """Hello {first_name},

{staff_name} of {healthspace} gave feedback on your assignment "{title}".

Read it in your record in Carespace.""",
        ),
        "nl": (
            "Feedback op je opdracht: {title}",
            """Hallo {first_name},

{staff_name} van {healthspace} heeft feedback gegeven op je opdracht "{title}".

Lees de feedback in je dossier in Carespace.""",
        ),
    },
    "assignment_submitted": {
        "en": (
            "{client_name} submitted an assignment: {title}",
            """Hello {first_name},

Your client {client_name} of {healthspace} submitted the assignment "{title}". It is waiting for your review under Clients with tasks.""",
        ),
        "nl": (
            "{client_name} heeft een opdracht ingeleverd: {title}",
            """Hallo {first_name},

Je cliënt {client_name} van {healthspace} heeft de opdracht "{title}" ingeleverd. De opdracht wacht op je feedback onder Cliënten met taken.""",
        ),
    },
}
