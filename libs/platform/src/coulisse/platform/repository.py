"""Base of every repository: aggregates it hands out are tracked by the unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, overload, runtime_checkable
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


@runtime_checkable
class Versioned(Protocol):
    """An aggregate whose row has an `id` and a `version` its every change increments."""

    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...


class Repository:
    def __init__(self, session: AsyncSession, track: Callable[[Aggregate], None]) -> None:
        self.session = session
        self._track = track
        self._read_versions: dict[UUID, int] = {}

    def track(self, aggregate: Aggregate) -> None:
        self._track(aggregate)

    def track_versioned(self, aggregate: Aggregate) -> None:
        """Tracks an aggregate just read (or added) and notes its version, for `save_versioned`."""
        if not isinstance(aggregate, Versioned):
            raise TypeError(f"{type(aggregate).__name__} has no id and version")
        self._read_versions[aggregate.id] = aggregate.version
        self.track(aggregate)

    async def save_versioned(
        self,
        table: sa.Table,
        aggregate: Versioned,
        values: dict[str, Any],
        *,
        what: str = "this resource",
    ) -> None:
        """Optimistic concurrency: writes `values` only if the row is still at the version this
        repository read it at; otherwise someone else changed it meanwhile (409).

        The rule compares with the version read, not with `version - 1`: a command may change an
        aggregate several times before saving it, each change incrementing the version, and must
        not conflict with itself.
        """
        read = self._read_versions.get(aggregate.id)
        if read is None:
            raise LookupError(f"{aggregate.id} was not read through this repository")
        result: Any = await self.session.execute(
            sa.update(table)
            .where(table.c.id == aggregate.id, table.c.version == read)
            .values(values)
        )
        if result.rowcount != 1:
            raise Conflict(f"{what} was changed by someone else meanwhile; read it again and retry")
        self._read_versions[aggregate.id] = aggregate.version
