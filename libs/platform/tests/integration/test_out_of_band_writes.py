"""The out-of-band write watch on PostgreSQL, on a database owned by a service role as `coulisse
up` creates it: the service's own writes record nothing; any other role's write records one
event in the outbox, in the same transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from coulisse.contracts.billing import BillingOutOfBandWrite
from coulisse.ops.postgres import drop_database, ensure_service_database
from coulisse.platform import migration_ops, out_of_band
from coulisse.platform.db import create_engine
from coulisse.platform.envelope import parse_record_value
from coulisse.platform.tables import include_platform_tables
from coulisse.platform.testing import another_role

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
)
invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
)
# Composite key, no customer: as billing's number series.
series = sa.Table(
    "number_counters",
    metadata,
    sa.Column("series", sa.String(5), primary_key=True),
    sa.Column("year", sa.Integer(), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)
keyless = sa.Table("keyless", metadata, sa.Column("note", sa.Text()))
include_platform_tables(metadata)

WATCHED: dict[str, str | None] = {
    "customers": "id",
    "invoices": "customer_id",
    "number_counters": None,
}
OUT_OF_BAND = BillingOutOfBandWrite.TYPE


def run_ops(connection: sa.Connection, step: Any) -> None:
    """Runs migration steps on `connection`, as a revision's upgrade() would."""
    with Operations.context(MigrationContext.configure(connection)):
        step()


@pytest.fixture
async def service_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A database and its owner role, as `coulisse up` makes them; the tables and the watch
    installed by that role, as its migrations do."""
    service = f"oob_{uuid4().hex[:8]}"
    url = await ensure_service_database(postgres_admin_url, service)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(
                run_ops, lambda: migration_ops.watch_out_of_band_writes_v1("billing", WATCHED)
            )
        yield url
    finally:
        await engine.dispose()
        name = make_url(url).database
        assert name is not None
        await drop_database(postgres_admin_url, name)
        admin = await asyncpg.connect(postgres_admin_url)
        try:
            await admin.execute(f'DROP ROLE "{name}"')
        finally:
            await admin.close()


async def outbox_rows(url: str) -> list[Mapping[str, Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(sa.text("SELECT * FROM outbox ORDER BY position"))
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


async def as_role(url: str, *statements: str, rollback: bool = False) -> datetime:
    """Runs `statements` in one transaction as the role of `url`; returns the transaction's
    start (PostgreSQL's now())."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            started = await _run(conn, statements)
            await (conn.rollback() if rollback else conn.commit())
            return started
    finally:
        await engine.dispose()


async def _run(conn: AsyncConnection, statements: tuple[str, ...]) -> datetime:
    started: datetime = (await conn.execute(sa.text("SELECT now()"))).scalar_one()
    for statement in statements:
        await conn.execute(sa.text(statement))
    return started


CUSTOMER = UUID("6f1c3b52-9a0e-4d8e-9a56-2f1f4b1a7c01")
INVOICE = UUID("0b9e4f0c-3c43-4f5e-8f0e-6a4c1d2e3f40")
SEED = (
    f"INSERT INTO customers VALUES ('{CUSTOMER}', 'Martin')",
    f"INSERT INTO invoices VALUES ('{INVOICE}', '{CUSTOMER}', 120.00)",
    "INSERT INTO number_counters VALUES ('F', 2026, 41)",
)


async def test_the_services_own_writes_record_nothing(service_url: str) -> None:
    await as_role(
        service_url,
        *SEED,
        f"UPDATE invoices SET amount = 130.00 WHERE id = '{INVOICE}'",
        "DELETE FROM number_counters",
    )
    assert await outbox_rows(service_url) == []


async def test_each_write_of_another_role_records_one_event_like_the_relay_publishes(
    service_url: str, postgres_admin_url: str
) -> None:
    await as_role(service_url, *SEED)
    async with another_role(service_url, admin_url=postgres_admin_url) as other:
        role = make_url(other).username
        started = await as_role(
            other,
            f"UPDATE invoices SET amount = 1.00 WHERE id = '{INVOICE}'",
            "INSERT INTO number_counters VALUES ('A', 2026, 1)",
            f"DELETE FROM invoices WHERE id = '{INVOICE}'",
        )
    rows = await outbox_rows(service_url)
    assert len(rows) == 3
    at = started.astimezone(UTC)
    expected = [
        ("invoices", "UPDATE", str(INVOICE), CUSTOMER),
        ("number_counters", "INSERT", "A/2026", None),
        ("invoices", "DELETE", str(INVOICE), CUSTOMER),
    ]
    for row, (table, operation, row_key, customer) in zip(rows, expected, strict=True):
        event = parse_record_value(row["value"])
        payload = event.payload_as(BillingOutOfBandWrite)
        assert payload == BillingOutOfBandWrite(
            table=table,
            operation=operation,
            row_key=row_key,
            db_role=role,
            at=at,
            customer_id=customer,
        )
        envelope = event.envelope
        key = str(customer) if customer else row_key
        assert (envelope.source, envelope.type, envelope.subject) == (
            "/coulisse/billing",
            OUT_OF_BAND,
            row_key,
        )
        assert (envelope.partitionkey, envelope.time, envelope.actor) == (
            key,
            at,
            f"database:{role}",
        )
        assert envelope.correlationid == str(envelope.id)
        assert envelope.datacontenttype == "application/json"
        assert envelope.traceparent is None
        assert (payload.subject, payload.partition_key) == (envelope.subject, envelope.partitionkey)
        # The columns the unit of work writes, as the relay reads them.
        assert {k: row[k] for k in ("event_id", "topic", "key", "event_type", "traceparent")} == {
            "event_id": envelope.id,
            "topic": "billing.events",
            "key": key,
            "event_type": OUT_OF_BAND,
            "traceparent": None,
        }
        assert row["created_at"] == started and row["published_at"] is None
        # The envelope attributes `build_envelope` writes, no more, no less.
        assert set(json.loads(row["value"])) == {
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "partitionkey",
            "actor",
            "correlationid",
            "data",
        }


async def test_a_rolled_back_change_leaves_no_event(
    service_url: str, postgres_admin_url: str
) -> None:
    await as_role(service_url, *SEED)
    async with another_role(service_url, admin_url=postgres_admin_url) as other:
        await as_role(
            other, f"UPDATE invoices SET amount = 1.00 WHERE id = '{INVOICE}'", rollback=True
        )
    assert await outbox_rows(service_url) == []


async def test_writes_to_the_platform_tables_record_nothing(
    service_url: str, postgres_admin_url: str
) -> None:
    async with another_role(service_url, admin_url=postgres_admin_url) as other:
        await as_role(
            other,
            f"INSERT INTO inbox VALUES ('billing', '{uuid4()}', 'x.y.z.v1', now())",
            "INSERT INTO idempotency_keys VALUES ('k', 'h', 201, '\\x00', now())",
            f"INSERT INTO outbox (event_id, topic, key, event_type, value, created_at)"
            f" VALUES ('{uuid4()}', 'billing.events', 'k', 'billing.x.y.v1', '\\x7b7d', now())",
            "UPDATE inbox SET event_type = 'x.y.w.v1'",
            "DELETE FROM idempotency_keys",
        )
    assert [row["event_type"] for row in await outbox_rows(service_url)] == ["billing.x.y.v1"]


async def test_a_role_without_rights_on_the_outbox_still_leaves_its_trace(
    service_url: str, postgres_admin_url: str
) -> None:
    await as_role(service_url, *SEED)
    async with another_role(
        service_url, admin_url=postgres_admin_url, privileges="UPDATE, SELECT", tables=["invoices"]
    ) as other:
        await as_role(other, f"UPDATE invoices SET amount = 2.00 WHERE id = '{INVOICE}'")
    assert [row["event_type"] for row in await outbox_rows(service_url)] == [OUT_OF_BAND]


async def test_taking_the_services_role_with_set_role_does_not_hide_who_logged_in(
    service_url: str, postgres_admin_url: str
) -> None:
    await as_role(service_url, *SEED)
    service_role = make_url(service_url).username
    async with another_role(service_url, admin_url=postgres_admin_url) as other:
        admin = await asyncpg.connect(postgres_admin_url)
        try:
            await admin.execute(f'GRANT "{service_role}" TO "{make_url(other).username}"')
        finally:
            await admin.close()
        await as_role(
            other,
            f'SET LOCAL ROLE "{service_role}"',
            f"UPDATE invoices SET amount = 3.00 WHERE id = '{INVOICE}'",
        )
        rows = await outbox_rows(service_url)
        assert len(rows) == 1
        payload = parse_record_value(rows[0]["value"]).payload_as(BillingOutOfBandWrite)
        assert payload.db_role == make_url(other).username


async def test_the_watch_knows_its_tables_and_refuses_the_platforms_and_keyless_ones(
    service_url: str,
) -> None:
    engine = create_engine(service_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(out_of_band.watched_tables) == set(WATCHED)
            assert await conn.run_sync(out_of_band.unwatched_tables) == ["keyless"]
            assert await conn.run_sync(out_of_band.own_role) == make_url(service_url).username
            for refused in (
                {"outbox": None},
                {"inbox": None},
                {"keyless": None},
                {"invoices": "x"},
            ):
                with pytest.raises(out_of_band.NotWatchable):
                    await conn.run_sync(run_ops, lambda r=refused: migration_ops.watch_tables_v1(r))
            await conn.rollback()
    finally:
        await engine.dispose()


async def test_removing_the_watch_leaves_no_trigger_nor_function(
    service_url: str, postgres_admin_url: str
) -> None:
    engine = create_engine(service_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(
                run_ops, lambda: migration_ops.unwatch_out_of_band_writes_v1(WATCHED)
            )
        async with engine.connect() as conn:
            assert await conn.run_sync(out_of_band.watched_tables) == set()
            assert await conn.run_sync(out_of_band.own_role) is None
    finally:
        await engine.dispose()
    await as_role(service_url, *SEED)
    async with another_role(service_url, admin_url=postgres_admin_url) as other:
        await as_role(other, f"UPDATE invoices SET amount = 4.00 WHERE id = '{INVOICE}'")
    assert await outbox_rows(service_url) == []


def test_nothing_is_installed_on_sqlite() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        metadata.create_all(conn)
        run_ops(conn, lambda: migration_ops.watch_out_of_band_writes_v1("billing", WATCHED))
        run_ops(conn, lambda: migration_ops.unwatch_out_of_band_writes_v1(WATCHED))
        names = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        assert names.all() == []


async def test_replacing_the_own_role_function_moves_the_service_to_another_role(
    service_url: str, postgres_admin_url: str
) -> None:
    await as_role(service_url, *SEED)
    async with another_role(service_url, admin_url=postgres_admin_url) as other:
        newcomer = make_url(other).username
        await as_role(
            service_url,
            "CREATE OR REPLACE FUNCTION coulisse_own_role() RETURNS name LANGUAGE sql STABLE"
            f" AS $$ SELECT '{newcomer}'::name $$",
        )
        await as_role(other, f"UPDATE invoices SET amount = 5.00 WHERE id = '{INVOICE}'")
        assert await outbox_rows(service_url) == []
        await as_role(service_url, f"UPDATE invoices SET amount = 6.00 WHERE id = '{INVOICE}'")
    rows = await outbox_rows(service_url)
    payload = parse_record_value(rows[0]["value"]).payload_as(BillingOutOfBandWrite)
    assert (len(rows), payload.db_role) == (1, make_url(service_url).username)
