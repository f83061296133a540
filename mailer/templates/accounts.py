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
    "sign_up_attempt": {
        "en": (
            "Someone tried to sign up for Carespace with your address",
            """Hello {first_name},

Someone tried to create a new Carespace account with your email address. You already have an
account, so nothing was created.

If it was you: sign in, or choose a new password here:
{link}

If it was not you, you can ignore this message.""",
        ),
        "nl": (
            "Iemand probeerde zich met jouw adres aan te melden bij Carespace",
            """Hallo {first_name},

Iemand probeerde een nieuw Carespace-account aan te maken met jouw e-mailadres. Je hebt al een
account, dus er is niets aangemaakt.

Was jij dit? Log dan in, of kies hier een nieuw wachtwoord:
{link}

Was jij dit niet? Dan kun je dit bericht negeren.""",
        ),
    },
}
