"""Connection messages, sent to the client: (subject, body) per language."""

from __future__ import annotations

CONNECTION_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "connection_added": {
        "en": (
            "{staff_name} of {healthspace} is now connected with you",
            """Hello {first_name},

{staff_name} of {healthspace} is now connected with you on Carespace. A connection lets {staff_name} open your record in {healthspace}: your client data, assignments, the files you share and your messages.

Did you not expect this? Please contact {healthspace}.""",
        ),
        "nl": (
            "{staff_name} van {healthspace} is nu met je verbonden",
            """Hallo {first_name},

{staff_name} van {healthspace} is nu met je verbonden op Carespace. Door deze verbinding kan {staff_name} je dossier in {healthspace} openen: je gegevens, opdrachten, de bestanden die je deelt en je berichten.

Had je dit niet verwacht? Neem dan contact op met {healthspace}.""",
        ),
    },
    "connection_ended": {
        "en": (
            "{staff_name} of {healthspace} is no longer connected with you",
            """Hello {first_name},

{staff_name} of {healthspace} is no longer connected with you on Carespace and can no longer open your record there. Your record itself stays as it is.

Questions? Please contact {healthspace}.""",
        ),
        "nl": (
            "{staff_name} van {healthspace} is niet meer met je verbonden",
            """Hallo {first_name},

{staff_name} van {healthspace} is niet meer met je verbonden op Carespace en kan je dossier daar niet meer openen. Je dossier zelf blijft zoals het is.

Vragen? Neem dan contact op met {healthspace}.""",
        ),
    },
    "connections_changed": {
        "en": (
            "Your connections in {healthspace} changed",
            """Hello {first_name},

Your connections in {healthspace} on Carespace changed. Connected staff members can open your record there.

Now connected with you:
{added}

No longer connected with you:
{ended}

Questions? Please contact {healthspace}.""",
        ),
        "nl": (
            "Je verbindingen in {healthspace} zijn gewijzigd",
            """Hallo {first_name},

Je verbindingen in {healthspace} op Carespace zijn gewijzigd. Verbonden medewerkers kunnen je dossier daar openen.

Nu met je verbonden:
{added}

Niet meer met je verbonden:
{ended}

Vragen? Neem dan contact op met {healthspace}.""",
        ),
    },
}
