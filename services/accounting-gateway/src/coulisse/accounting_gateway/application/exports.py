"""Exports streamed from a server-side cursor: memory stays flat however large the year."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ..adapters.fec_sql import fec_lines_query, positions_query
from ..adapters.tables import auxiliary_accounts, journal_entries, journal_lines, letters
from ..domain.chart import Journals
from ..domain.fec import LINE_END, FecLine, fec_header, fec_line
from ..domain.plain_text_ledger import (
    Posting,
    Transaction,
    journal_preamble,
    ledger_account,
    transaction_text,
)

CHUNK_LINES = 500
SLICE_POSITIONS = 2_500
SLICES_AHEAD = 1
"""Entries' positions per slice of a FEC formatted by the database: about a megabyte of text."""


def _lines_query() -> sa.Select[Any]:
    lines, entries = journal_lines, journal_entries
    return sa.select(
        entries.c.id.label("entry_id"),
        entries.c.journal_code,
        entries.c.entry_number,
        entries.c.entry_date,
        entries.c.piece_ref,
        entries.c.piece_date,
        entries.c.label.label("entry_label"),
        entries.c.source_event_id,
        entries.c.posted_at,
        lines.c.account,
        lines.c.account_label,
        lines.c.auxiliary_account,
        lines.c.label,
        lines.c.debit,
        lines.c.credit,
        letters.c.letter,
        letters.c.lettered_on,
        auxiliary_accounts.c.label.label("auxiliary_label"),
    ).select_from(
        lines.join(entries, entries.c.id == lines.c.entry_id)
        .outerjoin(letters, letters.c.line_id == lines.c.id)
        .outerjoin(
            auxiliary_accounts,
            auxiliary_accounts.c.account_number == lines.c.auxiliary_account,
        )
    )


def fec_export(engine: AsyncEngine, *, fiscal_year: int, journals: Journals) -> AsyncIterator[str]:
    """The FEC of a fiscal year, in order of validation (which is each journal's number order).

    On PostgreSQL the database formats the lines (`adapters.fec_sql`); elsewhere, Python."""
    if engine.dialect.name == "postgresql":
        return fec_export_formatted_by_database(engine, fiscal_year=fiscal_year, journals=journals)
    return fec_export_formatted_in_python(engine, fiscal_year=fiscal_year, journals=journals)


async def fec_export_formatted_by_database(
    engine: AsyncEngine,
    *,
    fiscal_year: int,
    journals: Journals,
    slice_positions: int = SLICE_POSITIONS,
) -> AsyncIterator[str]:
    """The year in slices of `slice_positions` positions, each formatted by the database on a
    connection of its own: while one slice is sent, the next ones are being made (several
    server processes at work, at most `SLICES_AHEAD + 1` slices in memory)."""
    # The database is asked before the first byte: a database that is down is still a 503.
    async with engine.connect() as connection:
        first, last = (await connection.execute(positions_query(fiscal_year))).one()
    yield fec_header()
    if first is None:
        return
    slices = [
        (start, min(start + slice_positions - 1, last))
        for start in range(first, last + 1, slice_positions)
    ]

    async def made(positions: tuple[int, int]) -> str:
        query = fec_lines_query(fiscal_year, journals.labels, positions)
        async with engine.connect() as connection:
            lines = (await connection.execute(query)).scalars().all()
        return "".join(line + LINE_END for line in lines)

    made_ahead: collections.deque[asyncio.Task[str]] = collections.deque()
    pending = iter(slices)
    try:
        while True:
            # The slices being made: the one to send next and `SLICES_AHEAD` more.
            while len(made_ahead) <= SLICES_AHEAD:
                following = next(pending, None)
                if following is None:
                    break
                made_ahead.append(asyncio.create_task(made(following)))
            if not made_ahead:
                return
            text = await made_ahead.popleft()
            if text:
                yield text
    finally:
        for task in made_ahead:  # the client left: the slices being made are not wanted
            task.cancel()
        for task in made_ahead:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def fec_export_formatted_in_python(
    engine: AsyncEngine, *, fiscal_year: int, journals: Journals
) -> AsyncIterator[str]:
    query = (
        _lines_query()
        .where(journal_entries.c.fiscal_year == fiscal_year)
        .order_by(journal_entries.c.position, journal_lines.c.line_no)
    )
    chunk = [fec_header()]
    async with engine.connect() as connection:
        result = await connection.stream(query.execution_options(yield_per=CHUNK_LINES))
        async for row in result:
            chunk.append(
                fec_line(
                    FecLine(
                        journal_code=row.journal_code,
                        journal_label=journals.label(row.journal_code) or row.journal_code,
                        entry_number=row.entry_number,
                        entry_date=row.entry_date,
                        account=row.account,
                        account_label=row.account_label,
                        auxiliary_account=row.auxiliary_account,
                        auxiliary_label=row.auxiliary_label,
                        piece_ref=row.piece_ref,
                        piece_date=row.piece_date,
                        label=row.label,
                        debit=Decimal(row.debit),
                        credit=Decimal(row.credit),
                        letter=row.letter,
                        lettered_on=row.lettered_on,
                        validated_on=row.posted_at.date(),
                    )
                )
            )
            if len(chunk) >= CHUNK_LINES:
                yield "".join(chunk)
                chunk = []
    if chunk:
        yield "".join(chunk)


async def ledger_export(
    engine: AsyncEngine, *, date_from: date | None, date_to: date | None
) -> AsyncIterator[str]:
    """The plain-text journal (hledger, ledger) of the entries dated in the range."""
    selection = []
    if date_from:
        selection.append(journal_entries.c.entry_date >= date_from)
    if date_to:
        selection.append(journal_entries.c.entry_date <= date_to)
    accounts_query = (
        sa.select(journal_lines.c.account, journal_lines.c.auxiliary_account)
        .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
        .where(*selection)
        .distinct()
    )
    query = (
        _lines_query()
        .where(*selection)
        .order_by(journal_entries.c.entry_date, journal_entries.c.position, journal_lines.c.line_no)
    )
    async with engine.connect() as connection:
        accounts = await connection.execute(accounts_query)
        yield journal_preamble(ledger_account(a, aux) for a, aux in accounts)
        result = await connection.stream(query.execution_options(yield_per=CHUNK_LINES))
        current: Any = None
        postings: list[Posting] = []
        chunk: list[str] = []
        async for row in result:
            if current is not None and row.entry_id != current.entry_id:
                chunk.append(transaction_text(_transaction(current, postings)))
                postings = []
                if len(chunk) >= CHUNK_LINES // 5:
                    yield "".join(chunk)
                    chunk = []
            current = row
            postings.append(
                Posting(
                    account=row.account,
                    auxiliary_account=row.auxiliary_account,
                    label=row.label,
                    debit=Decimal(row.debit),
                    credit=Decimal(row.credit),
                )
            )
        if current is not None:
            chunk.append(transaction_text(_transaction(current, postings)))
        if chunk:
            yield "".join(chunk)


def _transaction(head: Any, postings: list[Posting]) -> Transaction:
    return Transaction(
        entry_date=head.entry_date,
        entry_number=head.entry_number,
        label=head.entry_label,
        piece_ref=head.piece_ref,
        source_event_id=str(head.source_event_id) if head.source_event_id else None,
        postings=postings,
    )
