"""Gapless counters: one row per series, advanced inside the caller's transaction.

Advancing a counter is one upsert, which keeps the row locked until the transaction ends: callers
of one series wait in turn, numbers are handed out in commit order, and a rollback gives its
numbers back, so there is no gap and no number twice. (A database sequence would leave gaps.)

A counter table's primary key names the series (one column or several); an integer `value`
column holds the last number taken; any other column must be nullable or have a default.

A counter row may also keep the latest of some value its callers give (`keep_latest`: the series'
last issue date, say), updated by the same upsert: one round trip while the row is locked, and the
caller learns whether a later value was already recorded.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.sql import insert

K = TypeVar("K", bound=Hashable)


def _key_values(key: Hashable) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


async def advance_rows(
    session: AsyncSession,
    table: sa.Table,
    steps: Mapping[K, int],
    *,
    keep_latest: Mapping[str, Any] | None = None,
) -> dict[K, sa.Row[Any]]:
    """Adds `steps[key]` to each series' counter (a new series starts from 0) and returns the
    counter rows as they now are: `value` is the last number taken.

    A key is the primary key's value, or a tuple of them for a composite key.

    `keep_latest` maps columns of the counter row to a value (the same for every series): a new
    row takes it; an existing one keeps the later of its own value and this one (NULL counts as
    earliest). A returned row whose column is later than the value given had a later one already.
    """
    if not steps:
        return {}
    latest = dict(keep_latest or {})
    key_columns = list(table.primary_key.columns)
    keys = {_key_values(key): key for key in steps}
    # One statement for every series; it locks rows in the order given, sorted here so that two
    # transactions never wait on each other in a cycle.
    rows = [
        {
            **{c.key: v for c, v in zip(key_columns, values, strict=True)},
            "value": steps[key],
            **latest,
        }
        for values, key in sorted(keys.items(), key=lambda item: item[0])
    ]
    # One row as keyword values: SQLAlchemy caches that statement's compiled form, never a
    # multi-row VALUES one (compiled again at each call).
    stmt = insert(session, table).values(rows[0] if len(rows) == 1 else rows)
    kept = {
        name: sa.case(
            (
                sa.or_(table.c[name].is_(None), table.c[name] < stmt.excluded[name]),
                stmt.excluded[name],
            ),
            else_=table.c[name],
        )
        for name in latest
    }
    upsert = stmt.on_conflict_do_update(
        index_elements=key_columns, set_={"value": table.c.value + stmt.excluded.value, **kept}
    ).returning(*table.c)
    found = (await session.execute(upsert)).all()
    return {keys[tuple(row._mapping[c.key] for c in key_columns)]: row for row in found}


async def advance(session: AsyncSession, table: sa.Table, steps: Mapping[K, int]) -> dict[K, int]:
    """`advance_rows`, giving each series' last number taken."""
    rows = await advance_rows(session, table, steps)
    return {key: int(row.value) for key, row in rows.items()}


async def next_row(
    session: AsyncSession,
    table: sa.Table,
    key: Hashable,
    *,
    keep_latest: Mapping[str, Any] | None = None,
) -> sa.Row[Any]:
    """Takes the series' next number; the counter row, whose `value` is that number
    (`keep_latest` as in `advance_rows`)."""
    return (await advance_rows(session, table, {key: 1}, keep_latest=keep_latest))[key]


async def next_value(session: AsyncSession, table: sa.Table, key: Hashable) -> int:
    """Takes the series' next number: 1 for a new series."""
    return int((await next_row(session, table, key)).value)
