"""Fixtures of the platform's unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.platform.db import create_engine


@pytest.fixture
async def sqlite_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """A fresh SQLite file holding the tables of the test module's `metadata`."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'unit.sqlite'}")
    async with engine.begin() as conn:
        await conn.run_sync(request.module.metadata.create_all)
    yield engine
    await engine.dispose()
