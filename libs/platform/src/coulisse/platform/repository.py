"""Base of every repository: aggregates it hands out are tracked by the unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, overload
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.domain import Aggregate, Conflict


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Repository:
    def __init__(self, session: AsyncSession, track: Callable[[Aggregate], None]) -> None:
        self.session = session
        self._track = track

    def track(self, aggregate: Aggregate) -> None:
        self._track(aggregate)

    async def save_versioned(
        self, table: sa.Table, aggregate_id: UUID, version: int, values: dict[str, Any]
    ) -> None:
        """Optimistic concurrency: the row must still be at the version the aggregate was loaded at."""
        result: Any = await self.session.execute(
            sa.update(table)
            .where(table.c.id == aggregate_id, table.c.version == version - 1)
            .values(values)
        )
        if result.rowcount != 1:
            raise Conflict(
                "this resource was changed by someone else meanwhile; read it again and retry"
            )
