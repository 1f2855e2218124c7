"""SQL that depends on the database: PostgreSQL in production, SQLite for a quick local run."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

UpsertInsert = postgresql.Insert | sqlite.Insert


def dialect_name(session: AsyncSession) -> str:
    bind: Any = session.bind
    return str(bind.dialect.name)


def insert(session: AsyncSession, table: sa.Table) -> UpsertInsert:
    """An INSERT that knows ON CONFLICT (`on_conflict_do_nothing`, `on_conflict_do_update`)."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own wildcards escaped (escape char: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
