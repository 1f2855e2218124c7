"""The daily run: past the configured time of day (Paris), the service runs dunning for that day by
itself, once, on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from collections_harness import AGENT, running_collections

from coulisse.collections.adapters import tables
from coulisse.collections.entrypoints.daily_run import run_due
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock

pytestmark = pytest.mark.integration


def test_a_run_is_due_once_a_day_after_its_time_in_paris() -> None:
    at = time(7, 0)
    # 05:59 UTC is 06:59 in Paris in winter; 06:00 UTC is 07:00.
    assert run_due(datetime(2026, 1, 20, 5, 59, tzinfo=UTC), at, None) is None
    assert run_due(datetime(2026, 1, 20, 6, 0, tzinfo=UTC), at, None) == date(2026, 1, 20)
    assert run_due(datetime(2026, 1, 20, 22, 0, tzinfo=UTC), at, date(2026, 1, 20)) is None
    # 23:30 UTC on 20 January is 00:30 on the 21st in Paris: a new day, not yet its time.
    assert run_due(datetime(2026, 1, 20, 23, 30, tzinfo=UTC), at, date(2026, 1, 20)) is None
    assert run_due(datetime(2026, 1, 21, 6, 0, tzinfo=UTC), at, date(2026, 1, 20)) == date(
        2026, 1, 21
    )
    # Summer time: 05:00 UTC is 07:00 in Paris.
    assert run_due(datetime(2026, 7, 1, 5, 0, tzinfo=UTC), at, None) == date(2026, 7, 1)


async def test_the_service_runs_dunning_by_itself_once_a_day(
    make_database: DatabaseFactory,
) -> None:
    url = await make_database("collections")
    clock = SettableClock(datetime(2026, 1, 13, 5, 0, tzinfo=UTC))  # 06:00 in Paris
    env = {"COULISSE_DUNNING_DAILY_AT": "07:00", "COULISSE_DUNNING_CHECK_SECONDS": "0.05"}
    async with running_collections(url, roles="api,workers", clock=clock, env=env) as service:
        customer_id = await service.register()
        await service.invoice(customer_id, "500.00", due_date=date(2026, 1, 16))

        async def run_dates() -> list[date]:
            async with service.runtime.engine.connect() as conn:
                found = await conn.scalars(
                    sa.select(tables.dunning_runs.c.as_of).order_by(tables.dunning_runs.c.as_of)
                )
                return list(found)

        await asyncio.sleep(0.3)  # several checks, all before 07:00
        assert await run_dates() == []
        clock.set(datetime(2026, 1, 13, 6, 1, tzinfo=UTC))  # 07:01 in Paris

        async def ran(*days: date) -> bool:
            return await run_dates() == list(days)

        await testing.eventually(lambda: ran(date(2026, 1, 13)), what="the run of 13 January")
        notices = await service.client.get(f"/v1/notices?customer_id={customer_id}", headers=AGENT)
        assert [n["level"] for n in notices.json()["items"]] == [1]  # the reminder 3 days before

        await asyncio.sleep(0.3)  # later checks the same day run nothing more
        assert await run_dates() == [date(2026, 1, 13)]
        clock.set(datetime(2026, 1, 14, 6, 1, tzinfo=UTC))
        await testing.eventually(
            lambda: ran(date(2026, 1, 13), date(2026, 1, 14)), what="the run of 14 January"
        )


async def test_a_service_started_after_the_time_leaves_that_day_to_a_run_by_hand(
    make_database: DatabaseFactory,
) -> None:
    url = await make_database("collections")
    clock = SettableClock(datetime(2026, 1, 13, 9, 0, tzinfo=UTC))  # 10:00 in Paris
    env = {"COULISSE_DUNNING_DAILY_AT": "07:00", "COULISSE_DUNNING_CHECK_SECONDS": "0.05"}
    async with running_collections(url, roles="api,workers", clock=clock, env=env) as service:
        await asyncio.sleep(0.3)
        # An earlier day can still be run by hand, then today's.
        assert (await service.run(date(2026, 1, 12))).status_code == 201
        assert (await service.run(date(2026, 1, 13))).status_code == 201
        clock.set(datetime(2026, 1, 14, 6, 1, tzinfo=UTC))

        async def ran_next_day() -> bool:
            async with service.runtime.engine.connect() as conn:
                found = await conn.scalars(sa.select(tables.dunning_runs.c.as_of))
                return date(2026, 1, 14) in set(found)

        await testing.eventually(ran_next_day, what="the run of 14 January")
