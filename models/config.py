"""The Tortoise configuration for a database URL: one app, its models and its migrations."""

from __future__ import annotations

import os
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import ConfigurationError

MODEL_MODULES = [
    "models.accounts",
    "models.audit",
    "models.connections",
    "models.healthspaces",
    "models.invitations",
    "models.join_requests",
    "models.members",
    "models.outbox",
    "models.rate_limits",
    "models.records",
]

DEFAULT_DATABASE_URL = "sqlite://var/carespace.sqlite3"


def connection_config(database_url: str) -> str | dict[str, Any]:
    """What Tortoise connects to for `database_url`: the URL itself, except that SQLite goes
    through `models.sqlite` (writers wait their turn instead of failing: WAL, a busy timeout,
    BEGIN IMMEDIATE)."""
    if not database_url.startswith("sqlite://"):
        return database_url
    try:
        config = expand_db_url(database_url)
    except ConfigurationError:
        # A bad URL is reported in one line where the settings are read, not at import.
        return database_url
    config["engine"] = "models.sqlite"
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "migrations": "models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For Tortoise's own command line: `tortoise -c models.config.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config(os.environ.get("CARESPACE_DATABASE_URL", DEFAULT_DATABASE_URL))
