"""Fixtures of the end-to-end tests: the system's service processes, and who calls them.

`services` starts what a test asks for (`await services.start("billing")`), each on a fresh
database and the session's broker, and stops them all when the test ends. Every process's clock
starts at the same instant (`COULISSE_CLOCK_START`); tests compute the dates they expect from
`services.today`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from service_processes import ServiceProcesses

from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.clock import BUSINESS_ZONE, default_clock, today


@pytest.fixture
def clock_start() -> datetime:
    """Noon in Paris on the test process's business date: the services keep that date for
    hours, whatever the hour the test starts at, and under COULISSE_CLOCK_START the whole system
    lives at that date."""
    day = today(default_clock())
    return datetime(day.year, day.month, day.day, 12, tzinfo=BUSINESS_ZONE).astimezone(UTC)


@pytest.fixture
async def services(
    make_database: DatabaseFactory, kafka_bootstrap: str, tmp_path: Path, clock_start: datetime
) -> AsyncIterator[ServiceProcesses]:
    started = ServiceProcesses(make_database, kafka_bootstrap, tmp_path, clock_start)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def web_shop() -> dict[str, str]:
    """The front end's headers: it registers customers and goes through billing."""
    return testing.auth_headers(
        ["customers:read", "customers:write", "billing:read", "billing:write"], sub="web-shop"
    )


@pytest.fixture
def accountant() -> dict[str, str]:
    """An accountant's headers: they read and write the books."""
    return testing.auth_headers(["accounting:read", "accounting:write"], sub="comptable")
