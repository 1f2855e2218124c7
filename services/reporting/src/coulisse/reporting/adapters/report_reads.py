"""The reports' SQL: sums of dated movements and receivable lines, and the lists behind the
pulse (paged by keyset like every list of the API).

Sums come back per invoice, customer or account and the arithmetic of the reports is done by
`domain/`, so the same rules hold on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.keyset import Key, Keyset
from coulisse.platform.pagination import Page, PageParams

from .tables import ReadModel

ZERO = Decimal("0.00")
CLOSED_REQUESTS = ("resolved", "rejected")
SALES_KINDS = ("invoice",)
"""Sales are standard invoices; late-payment charges (`fee` invoices) are owed, not sold."""


@dataclass(frozen=True)
class InvoiceOpen:
    invoice_id: UUID
    customer_id: UUID
    amount: Decimal
    issue_date: date | None
    due_date: date | None


@dataclass(frozen=True)
class DisputeSpan:
    invoice_id: UUID
    opened_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class DailySales:
    customer_id: UUID
    on_date: date
    amount: Decimal


def _rows_page(rows: Sequence[Any], page: PageParams, order: Keyset) -> Page[Any]:
    more = len(rows) > page.limit
    items = list(rows[: page.limit])
    return Page[Any](items=items, next_cursor=order.next_cursor(items, more))


def _col(column: Any) -> sa.Column[Any]:
    """A subquery's column where a key wants a table's (they behave alike in SQL)."""
    return cast(sa.Column[Any], column)


class ReportReads:
    def __init__(self, session: AsyncSession, model: ReadModel) -> None:
        self.session = session
        self.model = model

    # -- receivables -------------------------------------------------------------------------

    async def open_invoices(self, as_of: date) -> list[InvoiceOpen]:
        """Every invoice whose movements up to `as_of` do not sum to zero."""
        m, i = self.model.movements, self.model.invoices
        total = sa.func.sum(m.c.amount)
        query = (
            sa.select(m.c.invoice_id, m.c.customer_id, total.label("amount"))
            .where(m.c.invoice_id.is_not(None), m.c.on_date <= as_of)
            .group_by(m.c.invoice_id, m.c.customer_id)
            .having(total != 0)
            .subquery()
        )
        rows = (
            await self.session.execute(
                sa.select(query, i.c.issue_date, i.c.due_date)
                .select_from(query.outerjoin(i, i.c.invoice_id == query.c.invoice_id))
                .order_by(query.c.customer_id, query.c.invoice_id)
            )
        ).all()
        return [
            InvoiceOpen(r.invoice_id, r.customer_id, r.amount, r.issue_date, r.due_date)
            for r in rows
        ]

    async def on_account(self, as_of: date) -> dict[UUID, Decimal]:
        """Per customer, the movements on no invoice up to `as_of` (unallocated payments −,
        refunds +)."""
        m = self.model.movements
        rows = await self.session.execute(
            sa.select(m.c.customer_id, sa.func.sum(m.c.amount))
            .where(m.c.invoice_id.is_(None), m.c.on_date <= as_of)
            .group_by(m.c.customer_id)
        )
        return {customer_id: amount for customer_id, amount in rows.all()}

    async def disputes(self) -> list[DisputeSpan]:
        d = self.model.disputes
        rows = await self.session.execute(sa.select(d.c.invoice_id, d.c.opened_at, d.c.resolved_at))
        return [DisputeSpan(*row) for row in rows.all()]

    async def books_receivables(self, as_of: date | None = None) -> Decimal:
        """Debit − credit on 411 + 416, entries dated up to `as_of` (all when None)."""
        r = self.model.receivable_lines
        query = sa.select(sa.func.sum(r.c.debit), sa.func.sum(r.c.credit))
        if as_of is not None:
            query = query.where(r.c.entry_date <= as_of)
        debit, credit = (await self.session.execute(query)).one()
        return (debit or ZERO) - (credit or ZERO)

    async def daily_sales(self, start: date, end: date) -> list[DailySales]:
        m = self.model.movements
        rows = await self.session.execute(
            sa.select(m.c.customer_id, m.c.on_date, sa.func.sum(m.c.amount))
            .where(m.c.kind.in_(SALES_KINDS), m.c.on_date >= start, m.c.on_date <= end)
            .group_by(m.c.customer_id, m.c.on_date)
        )
        return [DailySales(*row) for row in rows.all()]

    async def account_numbers(self) -> dict[UUID, str]:
        """Each customer's account number (the smallest, should one have several)."""
        a = self.model.accounts
        rows = await self.session.execute(
            sa.select(a.c.customer_id, sa.func.min(a.c.account_number)).group_by(a.c.customer_id)
        )
        return {customer_id: number for customer_id, number in rows.all()}

    # -- reconciliation ----------------------------------------------------------------------

    async def billing_balances(self) -> dict[UUID, Decimal]:
        m = self.model.movements
        rows = await self.session.execute(
            sa.select(m.c.customer_id, sa.func.sum(m.c.amount)).group_by(m.c.customer_id)
        )
        return {customer_id: amount for customer_id, amount in rows.all()}

    async def books_by_auxiliary(self) -> dict[str, Decimal]:
        r = self.model.receivable_lines
        aux = sa.func.coalesce(r.c.auxiliary_account, "")
        rows = await self.session.execute(
            sa.select(aux, sa.func.sum(r.c.debit), sa.func.sum(r.c.credit)).group_by(aux)
        )
        return {number: debit - credit for number, debit, credit in rows.all()}

    async def accounts(self) -> dict[str, UUID]:
        """Each account number's customer (the smallest id, should two share one)."""
        a = self.model.accounts
        rows = await self.session.execute(
            sa.select(a.c.account_number, a.c.customer_id).order_by(
                a.c.account_number, a.c.customer_id
            )
        )
        found: dict[str, UUID] = {}
        for number, customer_id in rows.all():
            found.setdefault(number, customer_id)
        return found

    def _journaled(self, event_id: Any) -> sa.Exists:
        e = self.model.entries
        return sa.exists().where(e.c.source_event_id == event_id)

    async def unjournaled(self, customer_id: UUID) -> Sequence[Any]:
        """The customer's money events no entry names as its source, nor suspended."""
        m, s = self.model.movements, self.model.suspensions
        suspended = sa.exists().where(s.c.source_event_id == m.c.event_id)
        query = (
            sa.select(
                m.c.event_id,
                m.c.event_type,
                m.c.occurred_at,
                sa.func.min(m.c.on_date).label("on_date"),
                sa.func.min(m.c.reference).label("reference"),
                sa.func.sum(m.c.amount).label("amount"),
            )
            .where(m.c.customer_id == customer_id, ~self._journaled(m.c.event_id), ~suspended)
            .group_by(m.c.event_id, m.c.event_type, m.c.occurred_at)
            .order_by(m.c.occurred_at, m.c.event_id)
        )
        return (await self.session.execute(query)).all()

    def _open_suspensions(self) -> sa.Select[Any]:
        s, t, m = self.model.suspensions, self.model.timeline, self.model.movements
        amount = (
            sa.select(sa.func.sum(m.c.amount))
            .where(m.c.event_id == s.c.source_event_id)
            .scalar_subquery()
        )
        return (
            sa.select(
                s.c.source_event_id,
                s.c.source_event_type,
                s.c.error,
                s.c.suspended_at,
                t.c.customer_id,
                amount.label("amount"),
            )
            .select_from(s.outerjoin(t, t.c.event_id == s.c.source_event_id))
            .where(~self._journaled(s.c.source_event_id))
        )

    async def suspended_of(self, customer_id: UUID) -> Sequence[Any]:
        s, t = self.model.suspensions, self.model.timeline
        query = (
            self._open_suspensions()
            .where(t.c.customer_id == customer_id)
            .order_by(s.c.suspended_at, s.c.source_event_id)
        )
        found: Sequence[Any] = (await self.session.execute(query)).all()
        return found

    def _reversal(self) -> sa.ColumnElement[bool]:
        """A manual entry whose lines mirror an entry posted before it."""
        e = self.model.entries
        original = e.alias("original")
        earlier = sa.or_(
            original.c.posted_at < e.c.posted_at,
            sa.and_(
                original.c.posted_at == e.c.posted_at,
                original.c.entry_number < e.c.entry_number,
            ),
        )
        mirrored = sa.exists().where(original.c.lines_digest == e.c.mirror_digest, earlier)
        return sa.and_(e.c.manual.is_(True), mirrored)

    async def entries_on(self, account_numbers: Sequence[str]) -> Sequence[Any]:
        """Entries touching these auxiliary accounts that explain a drift: manual ones (and
        reversals), and generated ones whose source event reporting has not read."""
        e, r, m = self.model.entries, self.model.receivable_lines, self.model.movements
        debit, credit = sa.func.sum(r.c.debit), sa.func.sum(r.c.credit)
        read = sa.exists().where(m.c.event_id == e.c.source_event_id)
        query = (
            sa.select(
                e.c.entry_id,
                e.c.journal_code,
                e.c.entry_number,
                e.c.entry_date,
                e.c.posted_at,
                e.c.manual,
                e.c.source_event_id,
                e.c.source_event_type,
                self._reversal().label("reversal"),
                debit.label("debit"),
                credit.label("credit"),
            )
            .select_from(e.join(r, r.c.entry_id == e.c.entry_id))
            .where(r.c.auxiliary_account.in_(list(account_numbers)))
            .where(sa.or_(e.c.manual.is_(True), ~read))
            .group_by(e.c.entry_id)
            .having(debit != credit)
            .order_by(e.c.posted_at, e.c.entry_id)
        )
        return (await self.session.execute(query)).all()

    # -- the pulse's counts ------------------------------------------------------------------

    def _manual_entries(self, since: datetime) -> sa.Select[Any]:
        e = self.model.entries
        return sa.select(e).where(e.c.manual.is_(True), ~self._reversal(), e.c.posted_at >= since)

    async def count_manual_entries(self, since: datetime) -> int:
        query = sa.select(sa.func.count()).select_from(self._manual_entries(since).subquery())
        return int(await self.session.scalar(query) or 0)

    async def count_out_of_band_writes(self, since: datetime) -> int:
        o = self.model.out_of_band_writes
        query = sa.select(sa.func.count()).where(o.c.occurred_at >= since)
        return int(await self.session.scalar(query) or 0)

    async def suspense(self) -> tuple[int, datetime | None]:
        """Events suspended and not posted since, and when the oldest was suspended."""
        found = self._open_suspensions().subquery()
        count, oldest = (
            await self.session.execute(
                sa.select(sa.func.count(), sa.func.min(found.c.suspended_at))
            )
        ).one()
        return int(count or 0), oldest

    async def count_corrections(self, since: datetime) -> dict[str, int]:
        m, e = self.model.movements, self.model.entries
        rows = await self.session.execute(
            sa.select(m.c.kind, sa.func.count(sa.distinct(m.c.event_id)))
            .where(m.c.kind.in_(("credit_note", "refund")), m.c.occurred_at >= since)
            .group_by(m.c.kind)
        )
        found = {"credit_note": 0, "refund": 0, "reversal": 0}
        found.update({kind: int(count) for kind, count in rows.all()})
        reversals = sa.select(sa.func.count()).where(self._reversal(), e.c.posted_at >= since)
        found["reversal"] = int(await self.session.scalar(reversals) or 0)
        return found

    def _requests(self, state: str, now: datetime, category: str | None) -> sa.Select[Any]:
        r = self.model.requests
        query = sa.select(r).where(r.c.opened_at.is_not(None), r.c.status.not_in(CLOSED_REQUESTS))
        if state == "late":
            query = query.where(r.c.due_at < now)
        if category is not None:
            query = query.where(r.c.category == category)
        return query

    async def count_requests(self, state: str, now: datetime) -> int:
        found = self._requests(state, now, None).subquery()
        return int(await self.session.scalar(sa.select(sa.func.count()).select_from(found)) or 0)

    # -- refund lead time --------------------------------------------------------------------

    def _first_refund(self) -> sa.ScalarSelect[Any]:
        r, f = self.model.requests, self.model.refunds
        return (
            sa.select(sa.func.min(f.c.issued_at))
            .where(f.c.request_id == r.c.request_id)
            .scalar_subquery()
        )

    async def refund_requests(self, since: datetime) -> Sequence[Any]:
        """`refund` requests opened since then, each with its first refund's time (or None)."""
        r = self.model.requests
        query = (
            sa.select(r, self._first_refund().label("refunded_at"))
            .where(r.c.category == "refund", r.c.opened_at >= since)
            .order_by(r.c.opened_at, r.c.request_id)
        )
        return (await self.session.execute(query)).all()

    def _open_refund_requests(self) -> sa.Select[Any]:
        r, f = self.model.requests, self.model.refunds
        refunded = sa.exists().where(f.c.request_id == r.c.request_id)
        return sa.select(r).where(
            r.c.category == "refund",
            r.c.opened_at.is_not(None),
            r.c.status.not_in(CLOSED_REQUESTS),
            ~refunded,
        )

    async def open_refund_requests(self, limit: int) -> tuple[int, Sequence[Any]]:
        """Refund requests neither refunded nor closed, whatever their age: how many, and the
        `limit` oldest."""
        r = self.model.requests
        found = self._open_refund_requests()
        count = await self.session.scalar(sa.select(sa.func.count()).select_from(found.subquery()))
        rows = await self.session.execute(
            found.order_by(r.c.opened_at, r.c.request_id).limit(limit)
        )
        return int(count or 0), rows.all()

    # -- lists behind the pulse --------------------------------------------------------------

    async def manual_entries_page(self, since: datetime, page: PageParams) -> Page[Any]:
        e = self.model.entries
        order = Keyset(
            Key("posted_at", e.c.posted_at, datetime),
            Key("entry_id", e.c.entry_id, UUID),
            descending=True,
        )
        rows = (await self.session.execute(order.apply(self._manual_entries(since), page))).all()
        return _rows_page(rows, page, order)

    async def receivable_lines_of(self, entry_ids: Sequence[UUID]) -> Sequence[Any]:
        r = self.model.receivable_lines
        if not entry_ids:
            return []
        query = (
            sa.select(r).where(r.c.entry_id.in_(list(entry_ids))).order_by(r.c.entry_id, r.c.line)
        )
        return (await self.session.execute(query)).all()

    async def out_of_band_writes_page(self, since: datetime, page: PageParams) -> Page[Any]:
        o = self.model.out_of_band_writes
        order = Keyset(
            Key("occurred_at", o.c.occurred_at, datetime),
            Key("event_id", o.c.event_id, UUID),
            descending=True,
        )
        query = sa.select(o).where(o.c.occurred_at >= since)
        rows = (await self.session.execute(order.apply(query, page))).all()
        return _rows_page(rows, page, order)

    async def suspense_page(self, page: PageParams) -> Page[Any]:
        found = self._open_suspensions().subquery()
        order = Keyset(
            Key("suspended_at", _col(found.c.suspended_at), datetime),
            Key("source_event_id", _col(found.c.source_event_id), UUID),
        )
        rows = (await self.session.execute(order.apply(sa.select(found), page))).all()
        return _rows_page(rows, page, order)

    async def requests_page(
        self, state: str, now: datetime, category: str | None, page: PageParams
    ) -> Page[Any]:
        r = self.model.requests
        order = Keyset(
            Key("opened_at", r.c.opened_at, datetime), Key("request_id", r.c.request_id, UUID)
        )
        query = self._requests(state, now, category)
        rows = (await self.session.execute(order.apply(query, page))).all()
        return _rows_page(rows, page, order)

    async def corrections_page(self, since: datetime, page: PageParams) -> Page[Any]:
        """Credit notes, refunds and reversals, newest first."""
        m, e = self.model.movements, self.model.entries
        documents = (
            sa.select(
                m.c.kind.label("kind"),
                m.c.event_id.label("id"),
                m.c.occurred_at.label("occurred_at"),
                m.c.customer_id.label("customer_id"),
                m.c.reference.label("reference"),
                sa.case((m.c.amount < 0, -m.c.amount), else_=m.c.amount).label("amount"),
            )
            .where(m.c.kind.in_(("credit_note", "refund")), m.c.line == 0)
            .where(m.c.occurred_at >= since)
        )
        reversals = sa.select(
            sa.literal("reversal").label("kind"),
            e.c.entry_id.label("id"),
            e.c.posted_at.label("occurred_at"),
            sa.null().label("customer_id"),
            e.c.entry_number.label("reference"),
            e.c.total.label("amount"),
        ).where(self._reversal(), e.c.posted_at >= since)
        found = sa.union_all(documents, reversals).subquery()
        order = Keyset(
            Key("occurred_at", _col(found.c.occurred_at), datetime),
            Key("id", _col(found.c.id), UUID),
            descending=True,
        )
        rows = (await self.session.execute(order.apply(sa.select(found), page))).all()
        return _rows_page(rows, page, order)
