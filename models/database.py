"""Opening the database and bringing its schema up to date with the committed migrations."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor

from models.config import tortoise_config


async def open_database(database_url: str, *, create: bool = False) -> TortoiseContext:
    """Connect for this process (command line, tests); the server uses RegisterTortoise."""
    return await Tortoise.init(
        config=tortoise_config(database_url), _create_db=create, _enable_global_fallback=True
    )


async def close_database() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every committed migration not yet applied. Needs an open database."""
    apps = tortoise_config(database_url)["apps"]
    await MigrationExecutor(get_connection("default"), apps).migrate()


async def pending_model_changes(database_url: str) -> list[str]:
    """Names of migrations that `makemigrations` would write now: empty when models and
    committed migrations agree. Needs an open database."""
    apps = tortoise_config(database_url)["apps"]
    writers = await MigrationAutodetector(Tortoise.apps, apps).changes()
    return [f"{writer.app_label}.{writer.name}" for writer in writers]
