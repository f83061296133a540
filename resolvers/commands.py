"""What the command line does beyond serving: demo data, new Healthspaces, reminders, rosters."""

from __future__ import annotations

import secrets
import string

from tortoise.transactions import in_transaction

import models
from mailer import messages, outbox
from permissions.passwords import hash_password, password_problem
from permissions.roles import Permission, Role
from permissions.tokens import hash_token, new_token
from resolvers.members import add_member
from resolvers.validation import normalized_email
from schema.settings import Settings

DEMO_HEALTHSPACE = "Demo Practice"
DEMO_PEOPLE = [
    (
        "administrator@example.com",
        "Ada",
        "Administrator",
        models.MemberKind.STAFF,
        [Role.ADMINISTRATOR],
    ),
    ("assistant@example.com", "Assa", "Assistant", models.MemberKind.STAFF, [Role.ASSISTANT]),
    ("clinician@example.com", "Clara", "Clinician", models.MemberKind.STAFF, [Role.CLINICIAN]),
    ("client1@example.com", "Chris", "Client", models.MemberKind.CLIENT, []),
    ("client2@example.com", "Casey", "Client", models.MemberKind.CLIENT, []),
]


def generated_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(14))
        if password_problem(password) is None and any(c.isdigit() for c in password):
            return password


async def seed_demo(settings: Settings, password: str | None) -> int:
    """Create (or refresh) the demo Healthspace and its five sign-ins. Safe to run again."""
    if password is not None and password_problem(password):
        print(f"CARESPACE_DEMO_PASSWORD is too weak: {password_problem(password)}")
        return 2
    chosen = password or generated_password()
    password_hash = await hash_password(chosen)
    async with in_transaction():
        healthspace = await models.Healthspace.get_or_none(name=DEMO_HEALTHSPACE)
        if healthspace is None:
            healthspace = await models.Healthspace.create(
                name=DEMO_HEALTHSPACE,
                description="A practice to try Carespace with.",
                welcome_text="Welcome to the demo practice.",
                address="Keizersgracht 1, Amsterdam",
                opening_hours="Mon-Fri 09:00-17:00",
                findable=True,
            )
        members: dict[str, models.Member] = {}
        for email, first, last, kind, roles in DEMO_PEOPLE:
            account, _ = await models.Account.get_or_create(
                email=email,
                defaults={"first_name": first, "last_name": last, "email_verified": True},
            )
            account.password_hash = password_hash
            await account.save(update_fields=["password_hash"])
            member = await models.Member.get_or_none(
                account_id=account.id, healthspace_id=healthspace.id
            )
            if member is None:
                grants = (
                    [Permission.MANAGE_OWN_CONNECTIONS, Permission.INVITE_CLIENTS]
                    if Role.CLINICIAN in roles
                    else []
                )
                member = await add_member(
                    account, healthspace.id, kind, roles=roles, granted_permissions=grants
                )
            members[email] = member
        clinician = members["clinician@example.com"]
        for client_email in ("client1@example.com", "client2@example.com"):
            client = members[client_email]
            await models.Connection.get_or_create(
                current_key=f"{client.id}:{clinician.id}",
                defaults={
                    "healthspace_id": healthspace.id,
                    "client_id": client.id,
                    "staff_id": clinician.id,
                },
            )
    print(f"Demo Healthspace: {DEMO_HEALTHSPACE} ({healthspace.id})")
    print("Demo sign-ins: " + ", ".join(email for email, *_ in DEMO_PEOPLE))
    print(
        f"Demo password: {chosen}"
        + ("" if password else "  (generated; set CARESPACE_DEMO_PASSWORD to choose one)")
    )
    return 0


async def create_healthspace(settings: Settings, name: str, administrator_email: str) -> int:
    """Create a Healthspace and make the given person its first administrator, mailing them a
    one-time sign-in link (their account is created when it does not exist yet)."""
    email = normalized_email(administrator_email)
    if email is None:
        print(f"{administrator_email!r} is not a valid email address.")
        return 2
    if not name.strip():
        print("Give the Healthspace a name.")
        return 2
    token = new_token()
    async with in_transaction():
        healthspace = await models.Healthspace.create(name=name.strip())
        account, _ = await models.Account.get_or_create(email=email)
        await add_member(
            account, healthspace.id, models.MemberKind.STAFF, roles=[Role.ADMINISTRATOR]
        )
        await models.EmailToken.create(
            account=account,
            purpose=models.TokenPurpose.SIGN_IN,
            token_hash=hash_token(token),
            expires_at=_days_from_now(7),
        )
        link = settings.link(f"/sign-in?token={token}")
        await outbox.enqueue(
            messages.sign_in_link(
                to=email, language=account.language, healthspace=healthspace.name, link=link
            )
        )
    print(
        f"Created Healthspace {healthspace.name!r} ({healthspace.id}); {email} is its administrator."
    )
    print(f"One-time sign-in link (also mailed): {link}")
    print(
        'In GraphiQL: mutation { signInWithLink(token: "'
        + token
        + '") { token errors { code message } } }'
    )
    return 0


def _days_from_now(days: int):
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(days=days)


async def send_reminders(settings: Settings) -> int:
    print("Invitation reminders are not available yet.")
    return 0


async def invite_roster_file(settings: Settings, **options: object) -> int:
    print("Roster invitations are not available yet.")
    return 1
