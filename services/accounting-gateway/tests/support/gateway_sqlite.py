"""The gateway's books on a fresh SQLite file (the quick local run's database, no network), for
unit tests of the posting path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from coulisse.accounting_gateway.adapters.rules_file import DEFAULT_RULES, RuleBookSource
from coulisse.accounting_gateway.bootstrap import GatewayUnitOfWorkFactory, definition
from coulisse.platform.clock import SettableClock
from coulisse.platform.db import create_engine, session_factory
from coulisse.platform.migrations import upgrade

CLOCK_START = "2026-10-15T09:00:00Z"


@asynccontextmanager
async def books_on_sqlite(folder: Path) -> AsyncIterator[GatewayUnitOfWorkFactory]:
    """Units of work on `folder/books.sqlite`, migrated, with the shipped rules and a clock set
    in October 2026."""
    url = f"sqlite+aiosqlite:///{folder / 'books.sqlite'}"
    await asyncio.to_thread(upgrade, definition.alembic_ini, url)
    engine = create_engine(url)
    try:
        clock = SettableClock(CLOCK_START)
        yield GatewayUnitOfWorkFactory(
            session_factory(engine),
            service="accounting-gateway",
            rules=RuleBookSource(DEFAULT_RULES, clock),
            clock=clock,
        )
    finally:
        await engine.dispose()
