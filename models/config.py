"""The Tortoise configuration for a database URL: one app, its models and its migrations."""

from __future__ import annotations

import os
from typing import Any

MODEL_MODULES = [
    "models.accounts",
    "models.audit",
    "models.connections",
    "models.healthspaces",
    "models.invitations",
    "models.join_requests",
    "models.members",
    "models.outbox",
    "models.records",
]

DEFAULT_DATABASE_URL = "sqlite://var/carespace.sqlite3"


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
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
