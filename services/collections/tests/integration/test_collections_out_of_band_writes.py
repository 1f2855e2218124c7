"""Collections on a database its own role owns and migrates, as `coulisse up` sets it up: its
own work records no out-of-band write; another role's INSERT, UPDATE and DELETE each record one
`collections.database.out_of_band_write.v1` in its outbox, in the same transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from collections_harness import AGENT, running_collections
from sqlalchemy.engine import make_url

from coulisse.collections.bootstrap import definition
from coulisse.contracts.collections import CollectionsOutOfBandWrite
from coulisse.ops.postgres import drop_database, ensure_service_database
from coulisse.platform import testing
from coulisse.platform.db import create_engine
from coulisse.platform.envelope import parse_record_value
from coulisse.platform.migrations import alembic_config
from coulisse.platform.out_of_band import own_role, watched_tables

pytestmark = pytest.mark.integration

OUT_OF_BAND = CollectionsOutOfBandWrite.TYPE


@pytest.fixture
async def service_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A database owned by a role of its own, which is not a superuser: collections' URL."""
    url = await ensure_service_database(postgres_admin_url, f"collections_{uuid4().hex[:8]}")
    yield url
    name = make_url(url).database
    assert name is not None
    await drop_database(postgres_admin_url, name)
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'DROP ROLE "{name}"')
    finally:
        await admin.close()


async def out_of_band_payloads(url: str) -> list[tuple[CollectionsOutOfBandWrite, datetime]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT value, created_at FROM outbox WHERE event_type = :type"
                    " ORDER BY position"
                ),
                {"type": OUT_OF_BAND},
            )
            return [
                (parse_record_value(value).payload_as(CollectionsOutOfBandWrite), created_at)
                for value, created_at in rows
            ]
    finally:
        await engine.dispose()


async def patch(url: str, *statements: str, commit: bool = True) -> datetime:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            started: datetime = (await conn.execute(sa.text("SELECT now()"))).scalar_one()
            for statement in statements:
                await conn.execute(sa.text(statement))
            await (conn.commit() if commit else conn.rollback())
        return started
    finally:
        await engine.dispose()


async def test_only_changes_made_outside_collections_are_recorded(
    service_url: str, postgres_admin_url: str
) -> None:
    service_role = make_url(service_url).username
    async with running_collections(service_url) as collections:
        customer_id = await collections.register()
        invoice = await collections.invoice(customer_id, "1200.00")
        collections.on(date(2026, 1, 20))
        run = await collections.run(date(2026, 1, 20))
        assert run.status_code == 201, run.text
        rate = await collections.client.put(
            "/v1/reference-rates/ecb_main_refinancing/2026-07-01",
            json={"rate": "2.15", "source": "ECB"},
            headers=AGENT,
        )
        assert rate.status_code == 201, rate.text
    assert await out_of_band_payloads(service_url) == []

    async with testing.another_role(service_url, admin_url=postgres_admin_url) as other:
        role = make_url(other).username
        started = await patch(
            other,
            "UPDATE receivables SET amount_due = 0, settled_on = '2026-01-21'"
            f" WHERE invoice_id = '{invoice.invoice_id}'",
            "INSERT INTO reference_rates VALUES ('legal_interest', '2026-01-01', 3.5, 'by hand', now())",
            "DELETE FROM reference_rates WHERE effective_on = '2026-07-01'",
        )
        rolled_back = await patch(
            other,
            f"DELETE FROM receivables WHERE invoice_id = '{invoice.invoice_id}'",
            commit=False,
        )
    assert rolled_back
    at = started.astimezone(UTC)

    def written(table: str, operation: Any, row_key: str, customer: Any = None) -> Any:
        return (
            CollectionsOutOfBandWrite(
                table=table,
                operation=operation,
                row_key=row_key,
                db_role=role,
                at=at,
                customer_id=customer,
            ),
            started,
        )

    assert await out_of_band_payloads(service_url) == [
        written("receivables", "UPDATE", str(invoice.invoice_id), customer_id),
        written("reference_rates", "INSERT", "legal_interest/2026-01-01"),
        written("reference_rates", "DELETE", "ecb_main_refinancing/2026-07-01"),
    ]
    engine = create_engine(service_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(own_role) == service_role
    finally:
        await engine.dispose()


async def test_the_downgrade_removes_the_watch(service_url: str) -> None:
    config = alembic_config(definition.alembic_ini, service_url)
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = create_engine(service_url)
    try:
        async with engine.connect() as conn:
            assert "receivables" in await conn.run_sync(watched_tables)
        await asyncio.to_thread(command.downgrade, config, "0003")
        async with engine.connect() as conn:
            assert await conn.run_sync(watched_tables) == set()
            assert await conn.run_sync(own_role) is None
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            assert "receivables" in await conn.run_sync(watched_tables)
    finally:
        await engine.dispose()
