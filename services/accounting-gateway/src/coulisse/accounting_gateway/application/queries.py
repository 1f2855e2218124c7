"""Read side: journal entries, trial balance, general ledger and sub-ledgers, periods, suspense."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.contracts.money import ZERO
from coulisse.platform.keyset import Key, Keyset, finite_decimal
from coulisse.platform.pagination import PageParams, cursor_value

from ..adapters.books import Books
from ..adapters.repositories import PeriodRepository
from ..adapters.rows import suspended_from_row
from ..adapters.tables import journal_entries, journal_lines, letters, suspense
from ..domain.journal_entry import JournalEntry
from ..domain.periods import Period, period_of
from ..domain.suspense import SuspendedEvent


@dataclass(frozen=True)
class Letter:
    letter: str
    lettered_on: date


ENTRIES_IN_ORDER = Keyset(Key("after", journal_entries.c.position, int))
LEDGER_ORDER = Keyset(
    Key("d", journal_entries.c.entry_date, date),
    Key("p", journal_entries.c.position, int),
    Key("n", journal_lines.c.line_no, int),
)
OLDEST_SUSPENDED = Keyset(
    Key("at", suspense.c.suspended_at, datetime), Key("id", suspense.c.source_event_id, UUID)
)


def _untracked(session: AsyncSession) -> Books:
    return Books(session, lambda _: None)


async def letters_of(session: AsyncSession, entries: list[JournalEntry]) -> dict[UUID, Letter]:
    line_ids = [line.id for entry in entries for line in entry.lines]
    if not line_ids:
        return {}
    rows = await session.execute(
        sa.select(letters.c.line_id, letters.c.letter, letters.c.lettered_on).where(
            letters.c.line_id.in_(line_ids)
        )
    )
    return {row.line_id: Letter(row.letter, row.lettered_on) for row in rows}


async def list_entries(
    session: AsyncSession,
    *,
    journal: str | None,
    date_from: date | None,
    date_to: date | None,
    account: str | None,
    source_event_id: UUID | None,
    page: PageParams,
) -> tuple[list[JournalEntry], str | None]:
    table = journal_entries
    query = ENTRIES_IN_ORDER.apply(sa.select(table), page)
    if journal:
        query = query.where(table.c.journal_code == journal)
    if date_from:
        query = query.where(table.c.entry_date >= date_from)
    if date_to:
        query = query.where(table.c.entry_date <= date_to)
    if source_event_id:
        query = query.where(table.c.source_event_id == source_event_id)
    if account:
        query = query.where(
            table.c.id.in_(
                sa.select(journal_lines.c.entry_id).where(
                    journal_lines.c.account.startswith(account, autoescape=True)
                )
            )
        )
    found = await _untracked(session).load(query)
    entries = found[: page.limit]
    next_cursor = None
    if len(found) > page.limit:
        # Entries do not carry their position: read the last one's.
        last = await session.scalar(sa.select(table.c.position).where(table.c.id == entries[-1].id))
        next_cursor = ENTRIES_IN_ORDER.cursor_of({"position": int(last or 0)})
    return entries, next_cursor


async def get_entry(session: AsyncSession, entry_id: UUID) -> JournalEntry | None:
    return await _untracked(session).get(entry_id)


@dataclass(frozen=True)
class BalanceRow:
    account: str
    label: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


async def trial_balance(session: AsyncSession, as_of: date) -> list[BalanceRow]:
    rows = await session.execute(
        sa.select(
            journal_lines.c.account,
            sa.func.max(journal_lines.c.account_label),
            sa.func.sum(journal_lines.c.debit),
            sa.func.sum(journal_lines.c.credit),
        )
        .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
        .where(journal_entries.c.entry_date <= as_of)
        .group_by(journal_lines.c.account)
        .order_by(journal_lines.c.account)
    )
    return [
        BalanceRow(account, label, Decimal(debit or 0), Decimal(credit or 0))
        for account, label, debit, credit in rows
    ]


@dataclass(frozen=True)
class LedgerLine:
    entry_id: UUID
    entry_number: str
    journal_code: str
    entry_date: date
    piece_ref: str
    account: str
    auxiliary_account: str | None
    label: str
    debit: Decimal
    credit: Decimal
    running_balance: Decimal
    letter: str | None
    lettered_on: date | None


@dataclass(frozen=True)
class Ledger:
    opening_balance: Decimal
    debit: Decimal
    credit: Decimal
    lines: list[LedgerLine]
    next_cursor: str | None

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


async def ledger(
    session: AsyncSession,
    *,
    account: str,
    auxiliary: str | None,
    date_from: date | None,
    date_to: date | None,
    page: PageParams,
) -> Ledger:
    """Lines of the accounts starting with `account`; the running balance carries the opening one."""
    lines, entries = journal_lines, journal_entries
    selection = [lines.c.account.startswith(account, autoescape=True)]
    if auxiliary:
        selection.append(lines.c.auxiliary_account == auxiliary)
    joined = lines.join(entries, entries.c.id == lines.c.entry_id)
    opening = ZERO
    if date_from:
        opening = Decimal(
            await session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(lines.c.debit - lines.c.credit), 0))
                .select_from(joined)
                .where(*selection, entries.c.entry_date < date_from)
            )
            or 0
        )
        selection.append(entries.c.entry_date >= date_from)
    if date_to:
        selection.append(entries.c.entry_date <= date_to)
    totals = (
        await session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(lines.c.debit), 0),
                sa.func.coalesce(sa.func.sum(lines.c.credit), 0),
            )
            .select_from(joined)
            .where(*selection)
        )
    ).one()
    query = LEDGER_ORDER.apply(
        sa.select(
            lines.c.id,
            lines.c.entry_id,
            lines.c.line_no,
            lines.c.account,
            lines.c.auxiliary_account,
            lines.c.label,
            lines.c.debit,
            lines.c.credit,
            entries.c.entry_number,
            entries.c.journal_code,
            entries.c.entry_date,
            entries.c.piece_ref,
            entries.c.position,
            letters.c.letter,
            letters.c.lettered_on,
        )
        .select_from(joined.outerjoin(letters, letters.c.line_id == lines.c.id))
        .where(*selection),
        page,
    )
    # The cursor carries the running balance at its line, so a page need not sum what precedes it.
    position = LEDGER_ORDER.position(page.cursor)
    running = opening if position is None else cursor_value(position, "r", finite_decimal)
    rows = (await session.execute(query)).all()
    found: list[LedgerLine] = []
    for row in rows[: page.limit]:
        running += Decimal(row.debit) - Decimal(row.credit)
        found.append(
            LedgerLine(
                entry_id=row.entry_id,
                entry_number=row.entry_number,
                journal_code=row.journal_code,
                entry_date=row.entry_date,
                piece_ref=row.piece_ref,
                account=row.account,
                auxiliary_account=row.auxiliary_account,
                label=row.label,
                debit=Decimal(row.debit),
                credit=Decimal(row.credit),
                running_balance=running,
                letter=row.letter,
                lettered_on=row.lettered_on,
            )
        )
    next_cursor = LEDGER_ORDER.next_cursor(
        rows[: page.limit], len(rows) > page.limit, r=str(running)
    )
    return Ledger(
        opening_balance=opening,
        debit=Decimal(totals[0]),
        credit=Decimal(totals[1]),
        lines=found,
        next_cursor=next_cursor,
    )


async def list_periods(session: AsyncSession, today: date) -> list[Period]:
    """Every month that has entries or was closed, and the current one, oldest first."""
    repository = PeriodRepository(session, lambda _: None)
    counts = await repository.entry_counts()
    stored = {p.period: p for p in await repository.all()}
    months = set(counts) | set(stored) | {period_of(today)}
    listed: list[Period] = []
    for month in sorted(months):
        period = stored.get(month) or Period(month)
        period.entry_count = counts.get(month, 0)
        listed.append(period)
    return listed


async def list_suspense(
    session: AsyncSession, *, status: str | None, page: PageParams
) -> tuple[list[SuspendedEvent], str | None]:
    query = OLDEST_SUSPENDED.apply(sa.select(suspense), page)
    if status:
        query = query.where(suspense.c.status == status)
    rows = (await session.execute(query)).mappings().all()
    found = [suspended_from_row(row) for row in rows[: page.limit]]
    return found, OLDEST_SUSPENDED.next_cursor(found, len(rows) > page.limit)


async def get_suspended(session: AsyncSession, source_event_id: UUID) -> SuspendedEvent | None:
    row = (
        (
            await session.execute(
                sa.select(suspense).where(suspense.c.source_event_id == source_event_id)
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else suspended_from_row(row)
