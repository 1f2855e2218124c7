"""Group commit on PostgreSQL: commands share a transaction, a refused one leaves the others in,
one that fails otherwise is sent back to run alone, and a failed commit sends them all back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.platform.counters import next_value
from coulisse.platform.db import create_engine, session_factory
from coulisse.platform.domain import Conflict
from coulisse.platform.group_commit import GroupCommit
from coulisse.platform.tables import platform_metadata
from coulisse.platform.uow import UnitOfWork

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("series", sa.String(5), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("number", sa.Integer(), nullable=True),
    # Checked at commit only: two documents named alike get through their savepoints and make
    # the group's commit fail.
    sa.Column("slug", sa.String(20)),
    sa.UniqueConstraint("slug", deferrable=True, initially="DEFERRED"),
)


async def _engine(make_database: Callable[[], Awaitable[str]]) -> AsyncEngine:
    engine = create_engine(await make_database())
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(platform_metadata.create_all)
    return engine


def issue(name: str, *, slug: str | None = None, refuse: bool = False, twice: bool = False):  # type: ignore[no-untyped-def]
    """A command that writes its row, then takes a number (the counter stays locked)."""

    async def work(uow: UnitOfWork) -> int:
        await uow.session.execute(sa.insert(documents).values(name=name, slug=slug or name))
        if twice:  # a primary key taken: an integrity error, not a refusal
            await uow.session.execute(sa.insert(documents).values(name=name, slug=f"{name}-2"))
        number = await next_value(uow.session, counters, "F")
        if refuse:
            raise Conflict(f"{name} refused after taking number {number}")
        await uow.session.execute(
            sa.update(documents).where(documents.c.name == name).values(number=number)
        )
        return number

    return work


async def test_a_refused_command_leaves_the_others_of_its_group_in_and_no_gap(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    engine = await _engine(make_database)
    try:
        group = GroupCommit(lambda: UnitOfWork(session_factory(engine), service="test"))
        works = [issue(f"d{n}", refuse=n % 7 == 3, twice=n == 11) for n in range(30)]
        outcomes = await asyncio.gather(*(group.run(w) for w in works), return_exceptions=True)
        refused = [n for n, o in enumerate(outcomes) if isinstance(o, Conflict)]
        alone = [n for n, o in enumerate(outcomes) if o is None]
        numbers = sorted(o for o in outcomes if isinstance(o, int))
        assert refused == [3, 10, 17, 24]
        assert alone == [11]
        assert numbers == list(range(1, 26))
        async with engine.connect() as conn:
            stored = (await conn.execute(sa.select(documents.c.name, documents.c.number))).all()
            transactions = await conn.scalar(
                sa.select(sa.func.count(sa.distinct(sa.text("xmin::text")))).select_from(counters)
            )
        # Refused and sent-back commands left nothing, not even the row written first.
        assert sorted(n for _, n in stored) == numbers
        assert {name for name, _ in stored} == {
            f"d{n}" for n in range(30) if n not in refused and n not in alone
        }
        assert transactions == 1
    finally:
        await engine.dispose()


async def test_commands_run_in_groups_when_they_arrive_together(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    engine = await _engine(make_database)
    commits = 0

    class Counting(UnitOfWork):
        async def commit(self) -> None:
            nonlocal commits
            commits += 1
            await super().commit()

    try:
        group = GroupCommit(lambda: Counting(session_factory(engine), service="test"))
        outcomes = await asyncio.gather(*(group.run(issue(f"d{n}")) for n in range(100)))
        assert sorted(o for o in outcomes if o is not None) == list(range(1, 101))
        # All arrived before the writer started: 64 at most in one transaction.
        assert commits == 2
    finally:
        await engine.dispose()


async def test_a_failed_commit_sends_every_command_of_the_group_back(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    engine = await _engine(make_database)
    try:
        group = GroupCommit(lambda: UnitOfWork(session_factory(engine), service="test"))
        outcomes: list[int | None] = await asyncio.gather(
            group.run(issue("a", slug="same")),
            group.run(issue("b")),
            group.run(issue("c", slug="same")),
        )
        # Each got through its savepoint; their transaction's commit failed.
        assert outcomes == [None, None, None]
        async with engine.connect() as conn:
            assert (await conn.execute(sa.select(documents.c.name))).scalars().all() == []
            assert (await conn.execute(sa.select(counters.c.value))).scalars().all() == []
    finally:
        await engine.dispose()
