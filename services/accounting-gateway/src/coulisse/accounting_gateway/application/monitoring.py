"""What the operations team watches in the books: open suspense and entries posted.

Cheap enough for every metrics scrape: suspense is small, and entries are counted from the
numbering counters (one row per journal and year) rather than from the entries themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..adapters.tables import counters, suspense

LETTER_SERIES = "letter:"
"""Lettering codes share the counters table; they are not entries."""


@dataclass(frozen=True)
class BooksSignals:
    suspense_open: int
    oldest_open_suspended_at: datetime | None
    entries_by_journal: dict[str, int]
    """Journal code → entries numbered in it, all years together."""


async def books_signals(session: AsyncSession) -> BooksSignals:
    count, oldest = (
        await session.execute(
            sa.select(sa.func.count(), sa.func.min(suspense.c.suspended_at)).where(
                suspense.c.status == "open"
            )
        )
    ).one()
    series = await session.execute(
        sa.select(counters.c.name, counters.c.value).where(
            counters.c.name.not_like(f"{LETTER_SERIES}%")
        )
    )
    by_journal: dict[str, int] = {}
    for name, value in series:
        # An entry series is named `<journal>-<fiscal year>`.
        journal = str(name).rsplit("-", 1)[0]
        by_journal[journal] = by_journal.get(journal, 0) + int(value)
    return BooksSignals(int(count), oldest, by_journal)
