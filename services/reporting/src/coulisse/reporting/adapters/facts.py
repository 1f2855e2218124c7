"""Writes of what the reports read: account numbers, dated money movements, the books'
receivable lines, suspense, refunds, out-of-band writes.

Every row is keyed by the event (or the entry, the refund) it comes from and written with
`ON CONFLICT DO NOTHING`, or keeps the earliest time it saw: whatever the order in which events
are read, and however often, the tables end the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.sql import insert

from ..domain.books import Line, digest, is_receivable
from ..domain.out_of_band import OutOfBandWrite
from .tables import ReadModel


@dataclass(frozen=True)
class Movement:
    """A change to what a customer owes, on an invoice or (`invoice_id` None) on account."""

    kind: str
    customer_id: UUID
    invoice_id: UUID | None
    on_date: date
    amount: Decimal
    reference: str | None = None


@dataclass(frozen=True)
class Entry:
    entry_id: UUID
    journal_code: str
    entry_number: str
    entry_date: date
    source_event_id: UUID | None
    source_event_type: str | None
    manual: bool
    lines: Sequence[Line]


class FactsStore:
    def __init__(self, session: AsyncSession, model: ReadModel) -> None:
        self.session = session
        self.model = model

    async def account(self, account_number: str, customer_id: UUID) -> None:
        """Learns whose an account is; journal entries on it read earlier join that customer's
        timeline now (entries read later join it as they are read: `link_entry`)."""
        a = self.model.accounts
        stmt = insert(self.session, a).values(
            account_number=account_number, customer_id=customer_id
        )
        learnt = await self.session.scalar(
            stmt.on_conflict_do_nothing(
                index_elements=[a.c.account_number, a.c.customer_id]
            ).returning(a.c.account_number)
        )
        if learnt is not None:
            await self._link(
                sa.and_(
                    self.model.receivable_lines.c.auxiliary_account == account_number,
                    a.c.customer_id == customer_id,
                )
            )

    async def link_entry(self, entry_id: UUID) -> None:
        """Puts a journal entry on the timeline of each customer whose account its receivable
        lines name, as far as those accounts are known yet."""
        await self._link(self.model.entries.c.entry_id == entry_id)

    async def _link(self, which: sa.ColumnElement[bool]) -> None:
        """Links the timeline rows of entries (`which`, over entries, their receivable lines and
        the accounts) to their customers: whichever of the entry and the account is read last
        makes the link, so the links end the same in any order of reading."""
        m = self.model
        e, r, a, t, k = m.entries, m.receivable_lines, m.accounts, m.timeline, m.timeline_links
        found = (
            sa.select(a.c.customer_id, t.c.event_id, t.c.seq, t.c.occurred_at)
            .distinct()
            .select_from(
                r.join(e, e.c.entry_id == r.c.entry_id)
                .join(t, t.c.event_id == e.c.event_id)
                .join(a, a.c.account_number == r.c.auxiliary_account)
            )
            .where(which, t.c.customer_id.is_distinct_from(a.c.customer_id))
        )
        stmt = insert(self.session, k).from_select(
            ["customer_id", "event_id", "seq", "occurred_at"], found
        )
        await self.session.execute(
            stmt.on_conflict_do_nothing(index_elements=[k.c.customer_id, k.c.event_id])
        )

    async def movements(
        self, event_id: UUID, event_type: str, occurred_at: datetime, found: Sequence[Movement]
    ) -> None:
        if not found:
            return
        m = self.model.movements
        rows = [
            {
                "event_id": event_id,
                "line": line,
                "event_type": event_type,
                "kind": movement.kind,
                "customer_id": movement.customer_id,
                "invoice_id": movement.invoice_id,
                "on_date": movement.on_date,
                "amount": movement.amount,
                "reference": None if movement.reference is None else movement.reference[:100],
                "occurred_at": occurred_at,
            }
            for line, movement in enumerate(found)
        ]
        # Rows as parameters, not a multi-row VALUES: the statement's compiled form is cached.
        await self.session.execute(
            insert(self.session, m).on_conflict_do_nothing(index_elements=[m.c.event_id, m.c.line]),
            rows,
        )

    async def entry(self, entry: Entry, *, event_id: UUID, posted_at: datetime, actor: str) -> None:
        e, r = self.model.entries, self.model.receivable_lines
        stmt = insert(self.session, e).values(
            entry_id=entry.entry_id,
            event_id=event_id,
            journal_code=entry.journal_code,
            entry_number=entry.entry_number,
            entry_date=entry.entry_date,
            source_event_id=entry.source_event_id,
            source_event_type=entry.source_event_type,
            manual=entry.manual,
            posted_at=posted_at,
            actor=actor[:200],
            total=sum((line.debit for line in entry.lines), Decimal("0.00")),
            lines_digest=digest(entry.journal_code, entry.lines),
            mirror_digest=digest(entry.journal_code, entry.lines, mirrored=True),
        )
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=[e.c.entry_id]))
        lines = [
            {
                "entry_id": entry.entry_id,
                "line": number,
                "account": line.account[:20],
                "auxiliary_account": line.auxiliary_account,
                "entry_date": entry.entry_date,
                "debit": line.debit,
                "credit": line.credit,
            }
            for number, line in enumerate(entry.lines)
            if is_receivable(line.account)
        ]
        if lines:
            stmt = insert(self.session, r).values(lines)
            await self.session.execute(
                stmt.on_conflict_do_nothing(index_elements=[r.c.entry_id, r.c.line])
            )

    async def suspended(
        self, source_event_id: UUID, source_event_type: str, error: str, at: datetime
    ) -> None:
        s = self.model.suspensions
        stmt = insert(self.session, s).values(
            source_event_id=source_event_id,
            source_event_type=source_event_type,
            error=error,
            suspended_at=at,
        )
        # The first suspension wins, whichever is read first (ties: the smallest error text).
        earlier = sa.or_(
            stmt.excluded.suspended_at < s.c.suspended_at,
            sa.and_(
                stmt.excluded.suspended_at == s.c.suspended_at, stmt.excluded.error < s.c.error
            ),
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[s.c.source_event_id],
                set_={"suspended_at": stmt.excluded.suspended_at, "error": stmt.excluded.error},
                where=earlier,
            )
        )

    async def refund(
        self,
        refund_id: UUID,
        customer_id: UUID,
        *,
        request_id: UUID | None,
        amount: Decimal,
        issued_on: date,
        issued_at: datetime,
    ) -> None:
        r = self.model.refunds
        stmt = insert(self.session, r).values(
            refund_id=refund_id,
            customer_id=customer_id,
            request_id=request_id,
            amount=amount,
            issued_on=issued_on,
            issued_at=issued_at,
        )
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=[r.c.refund_id]))

    async def out_of_band_write(
        self, event_id: UUID, service: str, write: OutOfBandWrite, occurred_at: datetime
    ) -> None:
        o = self.model.out_of_band_writes
        stmt = insert(self.session, o).values(
            event_id=event_id,
            service=service,
            table_name=write.table,
            operation=write.operation,
            row_key=write.row_key,
            db_role=write.db_role,
            at=write.at,
            occurred_at=occurred_at,
        )
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=[o.c.event_id]))
