"""Gapless counters on PostgreSQL: concurrent callers wait in turn, rollbacks leave no gap."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa

from coulisse.platform.counters import advance, next_value
from coulisse.platform.db import create_engine, session_factory

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)
taken = sa.Table(
    "taken", metadata, sa.Column("name", sa.String(50)), sa.Column("number", sa.Integer())
)


async def test_concurrent_callers_get_every_number_once_and_rollbacks_leave_no_gap(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    engine = create_engine(await make_database(), pool_size=20)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        sessions = session_factory(engine)

        async def take(index: int) -> None:
            async with sessions() as session:
                # Several series at once, in an order that differs between callers.
                names = ["b", "a"] if index % 2 else ["a", "b"]
                numbers = await advance(session, counters, {name: 1 for name in names})
                await session.execute(
                    sa.insert(taken), [{"name": n, "number": v} for n, v in numbers.items()]
                )
                await asyncio.sleep(0.01)  # hold the lock while others queue
                if index % 5 == 0:
                    await session.rollback()
                else:
                    await session.commit()

        # Every series is new: the first inserts race each other too.
        await asyncio.gather(*(take(i) for i in range(40)))
        async with sessions() as session:
            rows = (await session.execute(sa.select(taken.c.name, taken.c.number))).all()
            for name in ("a", "b"):
                numbers = sorted(number for n, number in rows if n == name)
                assert numbers == list(range(1, 33))
                assert await next_value(session, counters, name) == 33
    finally:
        await engine.dispose()
