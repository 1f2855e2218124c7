"""What the benchmark reads from PostgreSQL: commit timestamps (the one clock of its figures),
the events billing produced, the entries the gateway posted, the row counts that must match, and
samples of `pg_stat_activity` (where billing's sessions wait).

Every instant here is the database server's: `pg_xact_commit_timestamp(xmin)` of a row is the
commit of the transaction that wrote it (`track_commit_timestamp = on`), `clock_timestamp()` is
the server's clock when asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.engine import make_url

from coulisse.ops.bench.figures import Batch, Drain

BILLING_DB = "coulisse_billing"
GATEWAY_DB = "coulisse_accounting_gateway"
REPORTING_DB = "coulisse_reporting"


def database_url(admin_url: str, database: str) -> str:
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


async def connect(admin_url: str, database: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url(admin_url, database))


async def connect_url(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url)


async def commit_timestamps_on(admin_url: str) -> bool:
    connection = await connect(admin_url, "postgres")
    try:
        return str(await connection.fetchval("SHOW track_commit_timestamp")) == "on"
    finally:
        await connection.close()


async def enable_commit_timestamps(admin_url: str) -> None:
    """Written to postgresql.auto.conf; takes effect at the server's next start."""
    connection = await connect(admin_url, "postgres")
    try:
        await connection.execute("ALTER SYSTEM SET track_commit_timestamp = on")
    finally:
        await connection.close()


async def server_settings(connection: asyncpg.Connection) -> dict[str, str]:
    names = (
        "server_version",
        "shared_buffers",
        "synchronous_commit",
        "fsync",
        "max_connections",
        "track_commit_timestamp",
    )
    rows = await connection.fetch(
        "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])", list(names)
    )
    return {r["name"]: f"{r['setting']}{r['unit'] or ''}" for r in rows}


async def now(connection: asyncpg.Connection) -> datetime:
    found: datetime = await connection.fetchval("SELECT clock_timestamp()")
    return found


async def outbox_position(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT coalesce(max(position), 0) FROM outbox"))


@dataclass(frozen=True)
class Produced:
    """Billing's events written after a position: those of the documents the bench created, and
    the others written meanwhile (by type), which the consumers read too."""

    documents: dict[UUID, str]
    """Event id → the document's id (its subject)."""
    others: dict[str, int]


async def produced_since(
    connection: asyncpg.Connection, position: int, document_ids: Iterable[str]
) -> Produced:
    rows = await connection.fetch(
        "SELECT event_id, event_type, convert_from(value, 'UTF8')::json->>'subject' AS subject "
        "FROM outbox WHERE position > $1",
        position,
    )
    wanted = set(document_ids)
    documents = {r["event_id"]: str(r["subject"]) for r in rows if r["subject"] in wanted}
    others = Counter(str(r["event_type"]) for r in rows if r["subject"] not in wanted)
    return Produced(documents, dict(others.most_common()))


async def wait_published(connection: asyncpg.Connection, timeout: float) -> float:
    """Seconds until the relay has published every outbox row."""
    started = time.monotonic()
    while await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"billing's outbox still holds rows after {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def invoice_commits(
    connection: asyncpg.Connection, invoice_ids: Iterable[str]
) -> dict[str, datetime]:
    """Each invoice's commit instant. Only for invoices nothing changed since (no payment, no
    credit note): an update gives the row a newer xmin."""
    rows = await connection.fetch(
        "SELECT id::text AS id, pg_xact_commit_timestamp(xmin) AS committed "
        "FROM invoices WHERE id = ANY($1::uuid[])",
        [UUID(i) for i in invoice_ids],
    )
    return {r["id"]: r["committed"] for r in rows if r["committed"] is not None}


async def entries_for(connection: asyncpg.Connection, source_ids: Sequence[UUID]) -> list[Any]:
    """The journal entries posted for these events: their transaction, its commit instant, the
    gateway's own `posted_at`, and their lines and matches counts."""
    return list(
        await connection.fetch(
            "SELECT e.source_event_id, e.id, xmin::text::bigint AS xid, "
            "pg_xact_commit_timestamp(e.xmin) AS committed, e.posted_at "
            "FROM journal_entries e WHERE e.source_event_id = ANY($1::uuid[])",
            list(source_ids),
        )
    )


async def count_entries(connection: asyncpg.Connection, source_ids: Sequence[UUID]) -> int:
    return int(
        await connection.fetchval(
            "SELECT count(*) FROM journal_entries WHERE source_event_id = ANY($1::uuid[])",
            list(source_ids),
        )
    )


async def wait_entries(
    connection: asyncpg.Connection, source_ids: Sequence[UUID], timeout: float
) -> int:
    """Waits until every event has its entry; returns how many were found at the end."""
    deadline = time.monotonic() + timeout
    while True:
        found = await count_entries(connection, source_ids)
        if found >= len(source_ids) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def timeline_count(connection: asyncpg.Connection, customer_id: UUID) -> int:
    """Entries of reporting's timeline about a customer."""
    return int(
        await connection.fetchval(
            "SELECT count(*) FROM rm_timeline WHERE customer_id = $1", customer_id
        )
    )


async def timeline_commits(
    connection: asyncpg.Connection, event_ids: Sequence[UUID]
) -> list[datetime]:
    """The commit instant of each of these events' timeline entries that reporting holds."""
    rows = await connection.fetch(
        "SELECT pg_xact_commit_timestamp(xmin) AS committed FROM rm_timeline "
        "WHERE event_id = ANY($1::uuid[])",
        list(event_ids),
    )
    return [r["committed"] for r in rows if r["committed"] is not None]


async def wait_timeline(
    connection: asyncpg.Connection, event_ids: Sequence[UUID], timeout: float
) -> int:
    """Waits until reporting's timeline holds every one of these events; returns how many it
    holds at the end."""
    deadline = time.monotonic() + timeout
    query = "SELECT count(*) FROM rm_timeline WHERE event_id = ANY($1::uuid[])"
    while True:
        found = int(await connection.fetchval(query, list(event_ids)))
        if found >= len(event_ids) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


def drain_of(started_at: datetime, entries: Sequence[Any]) -> Drain:
    """The drain as the database saw it: one batch per posting transaction."""
    by_xid: dict[int, list[Any]] = {}
    for entry in entries:
        by_xid.setdefault(entry["xid"], []).append(entry)
    batches = tuple(
        Batch(rows[0]["committed"].timestamp(), len(rows))
        for rows in by_xid.values()
        if rows[0]["committed"] is not None
    )
    return Drain(started_at.timestamp(), batches)


class ActivitySampler:
    """Samples `pg_stat_activity` for one database while a phase runs: how many of its sessions
    are active, idle in a transaction, and waiting on a lock taken by the numbering counter's
    UPSERT. Seconds spent waiting on the counter ≈ Σ (sessions waiting × sampling interval)."""

    QUERY = """
        SELECT state, wait_event_type, wait_event,
               (wait_event_type = 'Lock' AND query ILIKE '%number_counters%') AS on_counter
        FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
    """

    def __init__(self, admin_url: str, database: str, interval: float = 0.01) -> None:
        self.admin_url = admin_url
        self.database = database
        self.interval = interval
        self.samples = 0
        self.elapsed = 0.0
        self.counter_session_seconds = 0.0
        self.states: Counter[str] = Counter()
        self.waits: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None

    async def __aenter__(self) -> ActivitySampler:
        self._connection = await connect(self.admin_url, "postgres")
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None and self._connection is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._connection.close()

    async def _run(self) -> None:
        assert self._connection is not None
        last = time.monotonic()
        while True:
            rows = await self._connection.fetch(self.QUERY, self.database)
            moment = time.monotonic()
            step, last = moment - last, moment
            self.samples += 1
            self.elapsed += step
            for row in rows:
                self.states[str(row["state"])] += 1
                if row["wait_event_type"]:
                    self.waits[f"{row['wait_event_type']}:{row['wait_event']}"] += 1
                if row["on_counter"]:
                    self.counter_session_seconds += step
            await asyncio.sleep(self.interval)

    def summary(self, invoices: int) -> dict[str, Any]:
        samples = max(self.samples, 1)
        return {
            "samples": self.samples,
            "seconds": round(self.elapsed, 3),
            "mean_sessions_by_state": {
                state: round(count / samples, 2) for state, count in self.states.most_common()
            },
            "mean_sessions_waiting_by_event": {
                wait: round(count / samples, 2) for wait, count in self.waits.most_common(8)
            },
            "counter_wait_session_seconds": round(self.counter_session_seconds, 3),
            "counter_wait_ms_per_invoice": round(1000 * self.counter_session_seconds / invoices, 3)
            if invoices
            else None,
        }


COLUMNS = """
    SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision,
           numeric_scale, is_nullable
    FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = ANY($1::text[])
"""
# Index definitions without their names: SQLAlchemy and a hand-written CREATE TABLE name
# unique constraints differently, what matters is what they cover.
INDEXES = """
    SELECT tablename, regexp_replace(indexdef, '^CREATE (UNIQUE )?INDEX \\S+ ', 'CREATE \\1INDEX ')
    FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1::text[])
"""


async def schema_of(connection: asyncpg.Connection, tables: Sequence[str]) -> set[tuple[Any, ...]]:
    columns = {tuple(r) for r in await connection.fetch(COLUMNS, list(tables))}
    indexes = {("index", *tuple(r)) for r in await connection.fetch(INDEXES, list(tables))}
    return columns | indexes


async def schema_differences(
    reference: asyncpg.Connection, copy: asyncpg.Connection, tables: Sequence[str]
) -> list[str]:
    """What the copy's tables lack or add compared with the reference's: columns, types,
    nullability, indexes and unique constraints."""
    theirs, ours = await schema_of(reference, tables), await schema_of(copy, tables)
    return [f"missing: {item}" for item in sorted(theirs - ours, key=str)] + [
        f"extra: {item}" for item in sorted(ours - theirs, key=str)
    ]
