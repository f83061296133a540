"""Configuration from CARESPACE_* environment variables: safe defaults, and one clear line for
each bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from live_server import ROOT

from schema.settings import Settings
from server import ConfigurationError, Environment, create_app, environment_from


def test_defaults_need_no_environment() -> None:
    environment = environment_from({})

    assert environment.database_url == "sqlite://var/carespace.sqlite3"
    settings = environment.settings
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.session_lifetime == timedelta(days=14)
    assert (settings.debug, settings.graphiql, settings.introspection) == (True, True, True)
    assert settings.secure_cookies is False
    mail = environment.mail
    assert (mail.backend, mail.directory) == ("file", "var/mail")
    assert mail.sender == "Carespace <no-reply@carespace.local>"


def test_empty_variables_mean_the_default() -> None:
    assert environment_from(
        {"CARESPACE_DATABASE_URL": "", "CARESPACE_DEBUG": "", "CARESPACE_SMTP_PORT": ""}
    ) == environment_from({})


def test_production_settings() -> None:
    # given a production environment
    environment = environment_from(
        {
            "CARESPACE_DATABASE_URL": "postgres://carespace:secret@db.internal:5432/carespace",
            "CARESPACE_PUBLIC_URL": "https://app.carespace.example/",
            "CARESPACE_DEBUG": "false",
            "CARESPACE_SESSION_HOURS": "8",
            "CARESPACE_MAIL_BACKEND": "smtp",
            "CARESPACE_SMTP_HOST": "smtp.example.org",
            "CARESPACE_SMTP_TLS": "tls",
            "CARESPACE_SMTP_USERNAME": "mailer",
            "CARESPACE_SMTP_PASSWORD": "mail-secret",
            "CARESPACE_MAIL_FROM": "Praktijk <praktijk@example.org>",
        }
    )

    # then the database, public URL, session, safety switches and mail are read from it
    assert environment.database_url == "postgres://carespace:secret@db.internal:5432/carespace"
    settings = environment.settings
    assert settings.public_url == "https://app.carespace.example"
    assert settings.link("/verify-email") == "https://app.carespace.example/verify-email"
    assert settings.session_lifetime == timedelta(hours=8)
    # Production: no GraphiQL or introspection unless asked for; cookies only over https.
    assert (settings.debug, settings.graphiql, settings.introspection) == (False, False, False)
    assert settings.secure_cookies is True
    mail = environment.mail
    assert (mail.backend, mail.host, mail.port, mail.tls) == (
        "smtp",
        "smtp.example.org",
        465,
        "tls",
    )
    assert (mail.username, mail.password) == ("mailer", "mail-secret")
    assert mail.sender == "Praktijk <praktijk@example.org>"


def test_graphiql_and_introspection_can_be_turned_on_in_production() -> None:
    settings = environment_from(
        {"CARESPACE_DEBUG": "0", "CARESPACE_GRAPHIQL": "yes", "CARESPACE_INTROSPECTION": "on"}
    ).settings

    assert (settings.debug, settings.graphiql, settings.introspection) == (False, True, True)


@pytest.mark.parametrize(
    ("tls", "port"), [("starttls", 587), ("tls", 465), ("none", 25), ("STARTTLS", 587)]
)
def test_smtp_port_follows_tls_unless_given(tls: str, port: int) -> None:
    base = {
        "CARESPACE_MAIL_BACKEND": "smtp",
        "CARESPACE_SMTP_HOST": "mx",
        "CARESPACE_SMTP_TLS": tls,
    }

    assert environment_from(base).mail.port == port
    assert environment_from(base | {"CARESPACE_SMTP_PORT": "2525"}).mail.port == 2525


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://:memory:",
        "sqlite:///tmp/carespace.sqlite3",
        "postgres://u@h:5432/db",
        "postgresql://u@h:5432/db",  # libpq's spelling
        "asyncpg://u@h/db",
    ],
)
def test_database_urls_of_supported_databases_are_accepted(url: str) -> None:
    assert environment_from({"CARESPACE_DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize(
    ("variables", "names"),
    [
        ({"CARESPACE_DATABASE_URL": "mysql://x"}, "CARESPACE_DATABASE_URL"),
        ({"CARESPACE_DATABASE_URL": "carespace.sqlite3"}, "CARESPACE_DATABASE_URL"),
        ({"CARESPACE_PUBLIC_URL": "ftp://files.example.org"}, "CARESPACE_PUBLIC_URL"),
        ({"CARESPACE_PUBLIC_URL": "carespace.example"}, "CARESPACE_PUBLIC_URL"),
        ({"CARESPACE_DEBUG": "maybe"}, "CARESPACE_DEBUG"),
        ({"CARESPACE_GRAPHIQL": "2"}, "CARESPACE_GRAPHIQL"),
        ({"CARESPACE_SESSION_HOURS": "two weeks"}, "CARESPACE_SESSION_HOURS"),
        ({"CARESPACE_SESSION_HOURS": "-1"}, "CARESPACE_SESSION_HOURS"),
        ({"CARESPACE_SESSION_HOURS": "0"}, "CARESPACE_SESSION_HOURS"),
        ({"CARESPACE_MAIL_BACKEND": "sendmail"}, "CARESPACE_MAIL_BACKEND"),
        ({"CARESPACE_CORS_ORIGINS": "*"}, "CARESPACE_CORS_ORIGINS"),
        ({"CARESPACE_CORS_ORIGINS": "https://app.example.org/login"}, "CARESPACE_CORS_ORIGINS"),
        ({"CARESPACE_MAIL_BACKEND": "smtp"}, "CARESPACE_SMTP_HOST"),
        (
            {
                "CARESPACE_MAIL_BACKEND": "smtp",
                "CARESPACE_SMTP_HOST": "mx",
                "CARESPACE_SMTP_TLS": "ssl",
            },
            "CARESPACE_SMTP_TLS",
        ),
        ({"CARESPACE_SMTP_PORT": "smtp"}, "CARESPACE_SMTP_PORT"),
        ({"CARESPACE_SMTP_PORT": "0"}, "CARESPACE_SMTP_PORT"),
        ({"CARESPACE_SMTP_PORT": "70000"}, "CARESPACE_SMTP_PORT"),
        ({"CARESPACE_MAIL_RELAY_INTERVAL": "0"}, "CARESPACE_MAIL_RELAY_INTERVAL"),
        ({"CARESPACE_REMINDER_INTERVAL": "soon"}, "CARESPACE_REMINDER_INTERVAL"),
    ],
)
def test_bad_configuration_is_one_clear_line_naming_the_variable(
    variables: dict[str, str], names: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        environment_from(variables)

    message = str(raised.value)
    assert names in message
    assert "\n" not in message
    assert len(message) < 160


def run_server(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("CARESPACE_")
    }
    return subprocess.run(
        [sys.executable, "server.py", *args],
        cwd=ROOT,
        env=environment | variables,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_bad_variable_stops_the_command_line_with_one_line_and_exit_code_2() -> None:
    result = run_server("migrate", CARESPACE_DATABASE_URL="mysql://x")

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("carespace: configuration error: CARESPACE_DATABASE_URL")


INTROSPECTION = "{ __schema { queryType { name } } }"


async def served(db: str, settings: Settings) -> tuple[httpx.Response, httpx.Response]:
    """What a browser gets on GET /graphql, and the answer to an introspection query."""
    app = create_app(Environment(database_url=db, settings=settings), lifespan_tasks=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://carespace.test") as web:
        page = await web.get("/graphql", headers={"Accept": "text/html"})
        introspection = await web.post("/graphql", json={"query": INTROSPECTION})
    return page, introspection


async def test_development_serves_graphiql_and_introspection(db: str) -> None:
    page, introspection = await served(db, environment_from({}).settings)

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_production_serves_neither_graphiql_nor_introspection(db: str) -> None:
    page, introspection = await served(db, environment_from({"CARESPACE_DEBUG": "false"}).settings)

    assert "graphiql" not in page.text.lower()
    assert page.status_code >= 400
    assert introspection.json()["data"] is None
    assert "introspection" in introspection.json()["errors"][0]["message"].lower()


async def test_listed_browser_origins_may_call_the_api_with_their_cookie(db: str) -> None:
    # given two listed browser origins
    environment = environment_from(
        {"CARESPACE_CORS_ORIGINS": "https://app.example.org, http://localhost:5173"}
    )
    assert environment.cors_origins == ("https://app.example.org", "http://localhost:5173")
    app = create_app(
        Environment(database_url=db, cors_origins=environment.cors_origins), lifespan_tasks=False
    )
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    # when a listed and an unlisted origin ask, and a listed one posts
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://carespace.test"
    ) as web:
        listed = await web.options(
            "/graphql", headers={"Origin": "https://app.example.org", **preflight}
        )
        other = await web.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
        answer = await web.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Origin": "http://localhost:5173"},
        )

    # then only the listed origins are allowed, with their cookie
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == "https://app.example.org"
    assert listed.headers["access-control-allow-credentials"] == "true"
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    assert answer.json() == {"data": {"viewer": None}}
    assert answer.headers["access-control-allow-origin"] == "http://localhost:5173"


async def test_without_listed_origins_no_cross_origin_headers_are_sent(db: str) -> None:
    app = create_app(Environment(database_url=db), lifespan_tasks=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://carespace.test"
    ) as web:
        answer = await web.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Origin": "https://app.example.org"},
        )

    assert answer.json() == {"data": {"viewer": None}}
    assert "access-control-allow-origin" not in answer.headers
