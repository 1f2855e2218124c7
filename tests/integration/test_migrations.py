"""Each service's migrations produce exactly the tables its code declares (no drift), and watch
every business table for writes made from outside the service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from coulisse.platform.db import create_engine
from coulisse.platform.migrations import alembic_config, upgrade
from coulisse.platform.out_of_band import (
    PLATFORM_TABLES,
    own_role,
    unwatched_tables,
    watched_tables,
)

pytestmark = pytest.mark.integration


def services() -> list[tuple[str, Path, sa.MetaData]]:
    from coulisse.customer.adapters.tables import metadata as customer
    from coulisse.customer.bootstrap import definition as customer_service

    found = [("customer", customer_service.alembic_ini, customer)]
    try:
        from coulisse.billing.adapters.tables import metadata as billing
        from coulisse.billing.bootstrap import definition as billing_service

        found.append(("billing", billing_service.alembic_ini, billing))
    except ImportError:
        pass
    try:
        from coulisse.collections.adapters.tables import metadata as collections
        from coulisse.collections.bootstrap import definition as collections_service

        found.append(("collections", collections_service.alembic_ini, collections))
    except ImportError:
        pass
    try:
        from coulisse.accounting_gateway.adapters.tables import metadata as gateway
        from coulisse.accounting_gateway.bootstrap import definition as gateway_service

        found.append(("accounting-gateway", gateway_service.alembic_ini, gateway))
    except ImportError:
        pass
    try:
        from coulisse.reporting.adapters.tables import metadata as reporting
        from coulisse.reporting.bootstrap import definition as reporting_service

        found.append(("reporting", reporting_service.alembic_ini, reporting))
    except ImportError:
        pass
    return found


@pytest.mark.parametrize(
    ("name", "alembic_ini", "metadata"), services(), ids=lambda v: v if isinstance(v, str) else ""
)
async def test_migrations_match_the_declared_tables(
    make_database: object, name: str, alembic_ini: Path, metadata: sa.MetaData
) -> None:
    url = await make_database()  # type: ignore[operator]
    await asyncio.to_thread(upgrade, alembic_ini, url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert diff == [], f"{name}: migrations and tables differ: {diff}"


# The revision each service's out-of-band write watch follows: downgrading to it removes the watch.
BEFORE_THE_WATCH = {
    "customer": "0002",
    "billing": "0002",
    "collections": "0003",
    "accounting-gateway": "0003",
}


@pytest.mark.parametrize(
    ("name", "alembic_ini", "metadata"), services(), ids=lambda v: v if isinstance(v, str) else ""
)
async def test_every_business_table_is_watched_for_out_of_band_writes(
    make_database: object, name: str, alembic_ini: Path, metadata: sa.MetaData
) -> None:
    """A table added without its trigger fails here: every table but the platform's is watched.
    Reporting's tables are projections of the topics, rebuilt from them: nothing is watched."""
    url = await make_database()  # type: ignore[operator]
    await asyncio.to_thread(upgrade, alembic_ini, url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            watched = await conn.run_sync(watched_tables)
            unwatched = await conn.run_sync(unwatched_tables)
            role = await conn.run_sync(own_role)
            session_user = (await conn.execute(sa.text("SELECT session_user"))).scalar_one()
        if name not in BEFORE_THE_WATCH:
            assert (watched, role) == (set(), None)
            return
        assert unwatched == [], f"{name}: tables without the out-of-band write trigger: {unwatched}"
        assert watched == set(metadata.tables) - PLATFORM_TABLES
        assert role == session_user  # the role that ran the migrations
        await asyncio.to_thread(
            command.downgrade, alembic_config(alembic_ini, url), BEFORE_THE_WATCH[name]
        )
        async with engine.connect() as conn:
            assert await conn.run_sync(watched_tables) == set()
            assert await conn.run_sync(own_role) is None
    finally:
        await engine.dispose()
