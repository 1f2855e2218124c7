"""Alembic, written once: each service's `migrations/env.py` calls `run_migrations`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection

from coulisse.platform.db import create_engine


def alembic_config(alembic_ini: Path, database_url: str) -> Config:
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(alembic_ini: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(alembic_ini, database_url), revision)


def run_migrations(target_metadata: sa.MetaData) -> None:
    """Body of a service's env.py: online migrations over the async engine."""
    url = context.config.attributes.get("database_url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError(
            "no database URL: run migrations through `python -m coulisse.<service> migrate`"
        )

    def _run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def _main() -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Replicas starting together migrate one after the other.
                await connection.execute(sa.text("SELECT pg_advisory_xact_lock(727274)"))
            await connection.run_sync(_run)
        await engine.dispose()

    asyncio.run(_main())
