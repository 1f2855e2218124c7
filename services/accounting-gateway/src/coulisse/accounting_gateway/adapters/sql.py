"""Small SQL helpers the repositories share: dialect upserts and gapless counters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import counters


def dialect(session: AsyncSession) -> str:
    bind: Any = session.bind
    return str(bind.dialect.name)


def insert(session: AsyncSession, table: sa.Table) -> Any:
    """An INSERT that knows ON CONFLICT, on PostgreSQL and SQLite alike."""
    if dialect(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def advance_counters(session: AsyncSession, steps: Mapping[str, int]) -> dict[str, int]:
    """Adds `steps[name]` to each counter and returns its new value (the last number taken).

    The row stays locked until the transaction ends, so numbers are handed out in commit order
    and a rollback gives them back: no gap. Names are taken in sorted order so that two
    transactions never wait on each other in a cycle.
    """
    if not steps:
        return {}
    # One statement for every series: rows are locked in the order given, hence sorted.
    stmt = insert(session, counters).values(
        [{"name": name, "value": steps[name]} for name in sorted(steps)]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[counters.c.name],
        set_={"value": counters.c.value + stmt.excluded.value},
    ).returning(counters.c.name, counters.c.value)
    rows = await session.execute(stmt)
    return {name: int(value) for name, value in rows}


async def insert_rows(session: AsyncSession, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Inserts many rows in one statement.

    On PostgreSQL the rows travel as one array per column (`INSERT … SELECT FROM unnest(…)`):
    one statement whatever the batch size, instead of one execution per row.
    """
    if not rows:
        return
    if dialect(session) != "postgresql":
        await session.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    bind: Any = session.bind
    pg = bind.dialect
    arrays = ", ".join(
        f"CAST(:{name} AS {column.type.compile(dialect=pg)}[])"
        for name, column in zip(names, columns, strict=True)
    )
    statement = sa.text(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"
    ).bindparams(
        *(
            sa.bindparam(name, type_=postgresql.ARRAY(column.type))
            for name, column in zip(names, columns, strict=True)
        )
    )
    await session.execute(statement, {name: [row[name] for row in rows] for name in names})
