"""Gapless counters on SQLite: numbering, several series at once, a rollback gives numbers back."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.platform.counters import advance, next_row, next_value
from coulisse.platform.db import session_factory

metadata = sa.MetaData()
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)
# A composite key and a column of the caller's own, as billing numbers per series and year.
series = sa.Table(
    "series",
    metadata,
    sa.Column("series", sa.String(5), primary_key=True),
    sa.Column("year", sa.Integer(), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
    sa.Column("last_date", sa.Date(), nullable=True),
)


async def test_a_series_starts_at_one_and_counts_up(sqlite_engine: AsyncEngine) -> None:
    sessions = session_factory(sqlite_engine)
    async with sessions.begin() as session:
        assert [await next_value(session, counters, "account") for _ in range(3)] == [1, 2, 3]
        assert await next_value(session, counters, "other") == 1


async def test_several_series_advance_in_one_statement(sqlite_engine: AsyncEngine) -> None:
    sessions = session_factory(sqlite_engine)
    async with sessions.begin() as session:
        assert await advance(session, counters, {"VT-2026": 3, "AC-2026": 1}) == {
            "VT-2026": 3,
            "AC-2026": 1,
        }
        assert await advance(session, counters, {"VT-2026": 2}) == {"VT-2026": 5}
        assert await advance(session, counters, {}) == {}


async def test_a_rollback_gives_its_numbers_back(sqlite_engine: AsyncEngine) -> None:
    sessions = session_factory(sqlite_engine)
    async with sessions.begin() as session:
        assert await next_value(session, counters, "account") == 1
    async with sessions() as session:
        assert await next_value(session, counters, "account") == 2
        await session.rollback()
    async with sessions.begin() as session:
        assert await next_value(session, counters, "account") == 2


async def test_a_composite_key_returns_the_whole_counter_row(sqlite_engine: AsyncEngine) -> None:
    sessions = session_factory(sqlite_engine)
    async with sessions.begin() as session:
        first = await next_row(session, series, ("F", 2026))
        assert (first.value, first.last_date) == (1, None)
        await session.execute(
            sa.update(series)
            .where(series.c.series == "F", series.c.year == 2026)
            .values(last_date=date(2026, 3, 1))
        )
        second = await next_row(session, series, ("F", 2026))
        assert (second.value, second.last_date) == (2, date(2026, 3, 1))
        assert (await next_row(session, series, ("F", 2027))).value == 1
        assert (await next_row(session, series, ("A", 2026))).value == 1


async def test_a_counter_keeps_the_latest_value_in_the_same_statement(
    sqlite_engine: AsyncEngine,
) -> None:
    sessions = session_factory(sqlite_engine)
    async with sessions.begin() as session:

        async def take(day: date) -> tuple[int, date]:
            row = await next_row(session, series, ("F", 2026), keep_latest={"last_date": day})
            return int(row.value), row.last_date

        assert await take(date(2026, 3, 1)) == (1, date(2026, 3, 1))
        assert await take(date(2026, 3, 5)) == (2, date(2026, 3, 5))
        # An earlier value leaves the later one: the caller sees it was not the latest.
        assert await take(date(2026, 3, 2)) == (3, date(2026, 3, 5))
        assert await take(date(2026, 3, 5)) == (4, date(2026, 3, 5))
        # A row whose column was never set takes the value given.
        await session.execute(sa.insert(series).values(series="A", year=2026, value=7))
        row = await next_row(
            session, series, ("A", 2026), keep_latest={"last_date": date(2026, 1, 9)}
        )
        assert (row.value, row.last_date) == (8, date(2026, 1, 9))
        # Without it, the column is left as it is.
        assert (await next_row(session, series, ("F", 2026))).last_date == date(2026, 3, 5)
