"""The committed migrations and the models agree, and applying them is repeatable."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.connection import get_connection

from models.database import migrate, pending_model_changes


async def test_models_and_committed_migrations_agree(db: str) -> None:
    pending = await pending_model_changes(db)

    assert pending == [], (
        "The models changed without a migration; run "
        "`tortoise -c models.config.TORTOISE_ORM makemigrations` and commit the result: "
        + ", ".join(pending)
    )


async def test_every_model_has_its_table(db: str) -> None:
    connection = get_connection("default")
    for model in Tortoise.apps["models"].values():
        # Raises when the table or any of the model's columns is missing.
        await connection.execute_query(
            f"SELECT {', '.join(model._meta.fields_db_projection.values())} "
            f'FROM "{model._meta.db_table}" WHERE 1 = 0'
        )


async def test_migrating_again_changes_nothing(db: str) -> None:
    await migrate(db)

    assert await pending_model_changes(db) == []
