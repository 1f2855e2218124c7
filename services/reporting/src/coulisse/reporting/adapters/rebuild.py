"""The database and broker side of a rebuild: shadow tables, where the topics end, the swap.

The swap runs in one transaction holding the live tables: positions the live streams already
handed out are kept (by event id), events only the rebuild read get positions after them, then
the live tables are dropped and the shadow ones renamed into place. Readers wait for the swap
(milliseconds to seconds), never see a half-built model, and streams resume where they were.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coulisse.platform.tables import inbox_table

from .repositories import SEQUENCE
from .tables import LIVE, SHADOW, SHADOW_SUFFIX, ReadModel

Offsets = dict[tuple[str, int], int]


class RebuildUnsupported(RuntimeError):
    """The read model is rebuilt by renaming tables in one transaction: PostgreSQL only."""


REBUILD_LOCK = 727275
"""The advisory lock a rebuild holds: one at a time per database, whichever process runs it."""


class RebuildRunning(RuntimeError):
    """Another process is rebuilding this read model."""


@contextlib.asynccontextmanager
async def exclusive(engine: AsyncEngine) -> AsyncIterator[None]:
    """Holds the rebuild lock (on a connection of its own) for the whole rebuild."""
    if engine.dialect.name != "postgresql":
        raise RebuildUnsupported("rebuilding the read model needs PostgreSQL")
    async with engine.connect() as guard:
        taken = await guard.scalar(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": REBUILD_LOCK}
        )
        await guard.commit()
        if not taken:
            raise RebuildRunning("another process is rebuilding the read model")
        try:
            yield
        finally:
            await guard.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": REBUILD_LOCK})
            await guard.commit()


def _live_name(name: str) -> str:
    assert name.endswith(SHADOW_SUFFIX), name
    return name[: -len(SHADOW_SUFFIX)]


async def prepare_shadow(engine: AsyncEngine) -> None:
    """Empty shadow tables, whatever a failed rebuild left behind."""
    if engine.dialect.name != "postgresql":
        raise RebuildUnsupported("rebuilding the read model needs PostgreSQL")
    async with engine.begin() as conn:
        await drop_shadow_tables(conn)
        await conn.run_sync(lambda sync: SHADOW.tables[0].metadata.create_all(sync))


async def drop_shadow_tables(conn: AsyncConnection) -> None:
    for table in SHADOW.tables:
        await conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}"'))


async def drop_shadow(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await drop_shadow_tables(conn)


async def forget_consumer(engine: AsyncEngine, consumer: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.delete(inbox_table).where(inbox_table.c.consumer == consumer))


async def end_offsets(bootstrap: str, topics: Sequence[str]) -> Offsets:
    """Where each partition of the topics ends now (the offset the next record will take)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        ends = await consumer.end_offsets(partitions)
        return {(tp.topic, tp.partition): int(offset) for tp, offset in ends.items()}
    finally:
        await consumer.stop()


def caught_up(positions: Offsets, ends: Offsets) -> bool:
    """Whether a consumer that handled `positions` (last offset per partition) read to `ends`."""
    return all(end == 0 or positions.get(key, -1) >= end - 1 for key, end in ends.items())


def _quoted(model: ReadModel) -> str:
    return ", ".join(f'"{t.name}"' for t in model.tables)


async def swap(engine: AsyncEngine, tail: Callable[[], Awaitable[None]]) -> int:
    """Puts the shadow tables in place of the live ones; returns how many events they hold.

    `tail` is awaited with the live tables locked: it waits until the rebuild has read what
    was published up to now, so the shadow holds everything the live model does.
    """
    live_timeline, shadow_timeline = LIVE.timeline.name, SHADOW.timeline.name
    async with engine.begin() as conn:
        await conn.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
        await conn.execute(sa.text(f"LOCK TABLE {_quoted(LIVE)} IN ACCESS EXCLUSIVE MODE"))
        await tail()
        # Positions already handed out stay what they were; the others come after them.
        await conn.execute(sa.text(f'UPDATE "{shadow_timeline}" SET seq = -seq'))
        await conn.execute(
            sa.text(
                f'UPDATE "{shadow_timeline}" AS s SET seq = l.seq '
                f'FROM "{live_timeline}" AS l WHERE s.event_id = l.event_id'
            )
        )
        await conn.execute(
            sa.text(
                f'UPDATE "{shadow_timeline}" AS s SET seq = m.top + f.n '
                f"FROM (SELECT event_id, row_number() OVER (ORDER BY seq DESC) AS n "
                f'      FROM "{shadow_timeline}" WHERE seq < 0) AS f, '
                f'     (SELECT coalesce(max(seq), 0) AS top FROM "{live_timeline}") AS m '
                f"WHERE s.event_id = f.event_id"
            )
        )
        # Links repeat their row's position.
        await conn.execute(
            sa.text(
                f'UPDATE "{SHADOW.timeline_links.name}" AS k SET seq = s.seq '
                f'FROM "{shadow_timeline}" AS s WHERE k.event_id = s.event_id AND k.seq <> s.seq'
            )
        )
        await conn.execute(
            sa.text(
                f'INSERT INTO "{SHADOW.state.name}" (name, value) '
                f'SELECT :name, coalesce(max(seq), 0) FROM "{shadow_timeline}" '
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            ),
            {"name": SEQUENCE},
        )
        count = int(await conn.scalar(sa.text(f'SELECT count(*) FROM "{shadow_timeline}"')) or 0)
        for table in LIVE.tables:
            await conn.execute(sa.text(f'DROP TABLE "{table.name}"'))
        for table in SHADOW.tables:
            await conn.execute(
                sa.text(f'ALTER TABLE "{table.name}" RENAME TO "{_live_name(table.name)}"')
            )
        for table_name, kind, name in SHADOW.object_names():
            owner = _live_name(table_name)
            if kind == "index":
                statement = f'ALTER INDEX "{name}" RENAME TO "{_live_name(name)}"'
            else:
                statement = (
                    f'ALTER TABLE "{owner}" RENAME CONSTRAINT "{name}" TO "{_live_name(name)}"'
                )
            await conn.execute(sa.text(statement))
    return count
