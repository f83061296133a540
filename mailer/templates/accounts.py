"""Account messages: (subject, body) per language."""

from __future__ import annotations

ACCOUNT_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "verify_email": {
        "en": (
            "Confirm your email address for Carespace",
            """Hello {first_name},

Please confirm your email address by opening this link:
{link}

If you did not create a Carespace account, you can ignore this message.""",
        ),
        "nl": (
            "Bevestig je e-mailadres voor Carespace",
            """Hallo {first_name},

Bevestig je e-mailadres via deze link:
{link}

Heb je geen Carespace-account aangemaakt? Dan kun je dit bericht negeren.""",
        ),
    },
    "password_reset": {
        "en": (
            "Reset your Carespace password",
            """Hello {first_name},

Someone asked to reset the password of your Carespace account. Choose a new password here:
{link}

If it was not you, ignore this message: your password stays as it is.""",
        ),
        "nl": (
            "Stel je Carespace-wachtwoord opnieuw in",
            """Hallo {first_name},

Er is gevraagd het wachtwoord van je Carespace-account opnieuw in te stellen. Kies hier een nieuw wachtwoord:
{link}

Was jij dit niet? Negeer dan dit bericht: je wachtwoord blijft ongewijzigd.""",
        ),
    },
}
