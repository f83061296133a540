"""What the API needs to know about its deployment (`Settings`), and the whole deployment read
from CARESPACE_* environment variables (`Environment`, `environment_from`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from mailer.relay import MailSettings
from models.config import DEFAULT_DATABASE_URL
from schema.limits import QueryLimits, limits_from


@dataclass(frozen=True)
class Settings:
    public_url: str = "http://127.0.0.1:8000"
    session_lifetime: timedelta = timedelta(days=14)
    email_token_lifetime: timedelta = timedelta(days=2)
    debug: bool = True
    graphiql: bool = True
    introspection: bool = True
    secure_cookies: bool = False
    session_cookie: str = "carespace_session"
    # Serve the built-in pages at the mail links' paths (false when a front end answers there).
    builtin_pages: bool = True
    # Least time between two sends of one invitation by hand ("resend").
    resend_interval: timedelta = timedelta(minutes=5)
    # What one request may cost (schema/limits.py).
    limits: QueryLimits = field(default_factory=QueryLimits)

    def link(self, path: str) -> str:
        return self.public_url.rstrip("/") + path


class ConfigurationError(Exception):
    """Bad configuration: start-up stops with this one line."""


@dataclass(frozen=True)
class Environment:
    database_url: str = DEFAULT_DATABASE_URL
    settings: Settings = field(default_factory=Settings)
    mail: MailSettings = field(default_factory=MailSettings)
    # How often the lifespan tasks look for due mail and due invitation reminders.
    relay_interval: float = 1.0
    reminder_interval: float = 300.0
    # Browser front ends on these origins may call the API (with the session cookie).
    cors_origins: tuple[str, ...] = ()


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def _number(
    env: Mapping[str, str],
    name: str,
    default: float,
    kind: type = int,
    *,
    maximum: float | None = None,
) -> Any:
    """A positive number: zero would mean sessions that never last or a relay that never rests."""
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        number = kind(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {value!r}") from None
    if number <= 0:
        raise ConfigurationError(f"{name} must be greater than 0, not {value!r}")
    if maximum is not None and number > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum}, not {value!r}")
    return number


_SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
            raise ConfigurationError(
                f"CARESPACE_CORS_ORIGINS lists origins like https://app.example.org, not {origin!r}"
            )
    return origins


def _database_url(url: str) -> str:
    """A database URL Carespace can use, or ConfigurationError: a scheme it knows, a file for
    SQLite, a database name and a numeric port for PostgreSQL (without a name the server would
    pick a default database and Carespace would migrate into it)."""
    name = "CARESPACE_DATABASE_URL"
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        if not url.removeprefix("sqlite://"):
            raise ConfigurationError(
                f"{name} sqlite:// needs a file, e.g. sqlite://var/carespace.sqlite3"
            )
        return url
    if parts.scheme not in {"postgres", "postgresql", "asyncpg", "psycopg"}:
        raise ConfigurationError(
            f"{name} must start with sqlite:// or postgres://, not {parts.scheme + '://'!r}"
        )
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise ConfigurationError(
            f"{name} has a port that is not a number: {parts.netloc!r}"
        ) from None
    if not parts.path.strip("/"):
        raise ConfigurationError(
            f"{name} names no database: add it after the host, e.g. postgres://host:5432/carespace"
        )
    return url


def environment_from(env: Mapping[str, str]) -> Environment:
    """Read and check every CARESPACE_* variable; raise ConfigurationError on the first bad one."""
    database_url = _database_url(env.get("CARESPACE_DATABASE_URL") or DEFAULT_DATABASE_URL)
    public_url = (env.get("CARESPACE_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    if urlsplit(public_url).scheme not in {"http", "https"} or not urlsplit(public_url).netloc:
        raise ConfigurationError("CARESPACE_PUBLIC_URL must be an http(s) URL")
    debug = _flag(env, "CARESPACE_DEBUG", True)
    settings = Settings(
        public_url=public_url,
        session_lifetime=timedelta(hours=_number(env, "CARESPACE_SESSION_HOURS", 24 * 14)),
        debug=debug,
        graphiql=_flag(env, "CARESPACE_GRAPHIQL", debug),
        introspection=_flag(env, "CARESPACE_INTROSPECTION", debug),
        secure_cookies=_flag(env, "CARESPACE_SECURE_COOKIES", public_url.startswith("https")),
        limits=limits_from(env, _number),
        builtin_pages=_flag(env, "CARESPACE_BUILTIN_PAGES", True),
    )
    backend = env.get("CARESPACE_MAIL_BACKEND") or "file"
    if backend not in {"file", "smtp"}:
        raise ConfigurationError(f"CARESPACE_MAIL_BACKEND must be file or smtp, not {backend!r}")
    tls = (env.get("CARESPACE_SMTP_TLS") or "starttls").lower()
    if tls not in {"none", "starttls", "tls"}:
        raise ConfigurationError(f"CARESPACE_SMTP_TLS must be none, starttls or tls, not {tls!r}")
    mail = MailSettings(
        backend=backend,
        directory=env.get("CARESPACE_MAIL_DIR") or "var/mail",
        host=env.get("CARESPACE_SMTP_HOST") or "localhost",
        port=_number(env, "CARESPACE_SMTP_PORT", _SMTP_PORTS[tls], maximum=65535),
        tls=tls,
        username=env.get("CARESPACE_SMTP_USERNAME") or None,
        password=env.get("CARESPACE_SMTP_PASSWORD") or None,
        sender=env.get("CARESPACE_MAIL_FROM") or "Carespace <no-reply@carespace.local>",
    )
    if backend == "smtp" and not env.get("CARESPACE_SMTP_HOST"):
        raise ConfigurationError("CARESPACE_SMTP_HOST is required when CARESPACE_MAIL_BACKEND=smtp")
    return Environment(
        cors_origins=_origins(env.get("CARESPACE_CORS_ORIGINS") or ""),
        database_url=database_url,
        settings=settings,
        mail=mail,
        relay_interval=_number(env, "CARESPACE_MAIL_RELAY_INTERVAL", 1.0, float),
        reminder_interval=_number(env, "CARESPACE_REMINDER_INTERVAL", 300.0, float),
    )
