"""Bulk inserts of the books."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.sql import dialect_name


async def insert_rows(session: AsyncSession, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Inserts many rows in one statement.

    On PostgreSQL the rows travel as one array per column (`INSERT … SELECT FROM unnest(…)`):
    one statement whatever the batch size, instead of one execution per row.
    """
    if not rows:
        return
    if dialect_name(session) != "postgresql":
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
