"""Writes and reads of the read model, on the unit of work's session.

Every write is order-independent: sums are added to, an outcome is never replaced by an earlier
state, a profile field keeps the newest value. The timeline row of an event, keyed by its id,
is what makes a second delivery (or the same event read by a rebuild and by the live consumer)
a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform import counters
from coulisse.platform.keyset import Key, Keyset
from coulisse.platform.pagination import Page, PageParams
from coulisse.platform.sql import insert

from ..domain.profiles import Profile
from ..domain.timeline import TimelineEntry
from .tables import ReadModel, rebuilds

SEQUENCE = "timeline_seq"
ZERO = Decimal("0.00")


def _entry(row: Any) -> TimelineEntry:
    return TimelineEntry(
        seq=int(row.seq),
        event_id=row.event_id,
        event_type=row.event_type,
        occurred_at=row.occurred_at,
        customer_id=row.customer_id,
        subject=row.subject,
        actor=row.actor,
        summary=row.summary,
        trace_id=row.trace_id,
    )


@dataclass(frozen=True)
class InvoiceView:
    invoice_id: UUID
    number: str | None
    issue_date: date | None
    due_date: date | None
    currency: str
    gross: Decimal
    paid: Decimal
    credited: Decimal
    outstanding: Decimal
    disputed: bool


@dataclass(frozen=True)
class BalanceView:
    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    refunded: Decimal
    written_off: Decimal

    @property
    def balance(self) -> Decimal:
        """What the customer owes; negative when they hold a credit."""
        return self.invoiced - self.credited - self.paid + self.refunded - self.written_off


def timeline_order(rows: sa.FromClause) -> Keyset:
    """Newest first: by the event's time, then by position (events of one transaction share
    their time)."""
    return Keyset(
        Key("occurred_at", rows.c.occurred_at, datetime),
        Key("seq", rows.c.seq, int),
        descending=True,
    )


def about_customer(model: ReadModel, customer_id: UUID) -> sa.Subquery:
    """The timeline rows about a customer: those naming them, and those linked to them (a
    journal entry on their account), shown as theirs. A link repeats its row's position and
    time, so each half reads in timeline order from its own index."""
    t, k = model.timeline, model.timeline_links
    named = sa.select(t).where(t.c.customer_id == customer_id)
    linked = (
        sa.select(
            t.c.event_id,
            k.c.seq,
            t.c.event_type,
            k.c.occurred_at,
            k.c.customer_id,
            t.c.subject,
            t.c.actor,
            t.c.summary,
            t.c.trace_id,
        )
        .join(t, t.c.event_id == k.c.event_id)
        .where(k.c.customer_id == customer_id)
    )
    return sa.union_all(named, linked).subquery("about_customer")


class ReadModelStore:
    def __init__(self, session: AsyncSession, model: ReadModel) -> None:
        self.session = session
        self.model = model

    # -- the timeline ---------------------------------------------------------------------------

    async def seen(self, event_id: UUID) -> bool:
        t = self.model.timeline
        found = await self.session.scalar(sa.select(t.c.seq).where(t.c.event_id == event_id))
        return found is not None

    async def append(
        self,
        *,
        event_id: UUID,
        event_type: str,
        occurred_at: datetime,
        customer_id: UUID | None,
        subject: str,
        actor: str,
        summary: str,
        trace_id: str | None,
    ) -> int:
        """Adds the event at the next position of the sequence; returns the position."""
        seq = await counters.next_value(self.session, self.model.state, SEQUENCE)
        await self.session.execute(
            sa.insert(self.model.timeline).values(
                event_id=event_id,
                seq=seq,
                event_type=event_type,
                occurred_at=occurred_at,
                customer_id=customer_id,
                subject=subject[:200],
                actor=actor[:200],
                summary=summary,
                trace_id=trace_id,
            )
        )
        return seq

    async def knows_customer(self, customer_id: UUID) -> bool:
        t = self.model.timeline
        found = await self.session.scalar(
            sa.select(t.c.seq).where(t.c.customer_id == customer_id).limit(1)
        )
        return found is not None

    async def timeline_page(self, customer_id: UUID, page: PageParams) -> Page[TimelineEntry]:
        rows = about_customer(self.model, customer_id)
        order = timeline_order(rows)
        query = order.apply(sa.select(rows), page)
        found = (await self.session.execute(query)).all()
        more = len(found) > page.limit
        items = [_entry(row) for row in found[: page.limit]]
        return Page[TimelineEntry](items=items, next_cursor=order.next_cursor(items, more))

    async def entries_after(
        self,
        position: int,
        *,
        customer_id: UUID | None = None,
        types: frozenset[str] = frozenset(),
        limit: int = 200,
    ) -> list[TimelineEntry]:
        """Entries beyond `position` in sequence order (a stream's next events)."""
        rows: sa.FromClause = (
            self.model.timeline if customer_id is None else about_customer(self.model, customer_id)
        )
        query = sa.select(rows).where(rows.c.seq > position)
        if types:
            query = query.where(rows.c.event_type.in_(sorted(types)))
        found = (await self.session.execute(query.order_by(rows.c.seq).limit(limit))).all()
        return [_entry(row) for row in found]

    async def last_position(self) -> int:
        t = self.model.timeline
        return int(await self.session.scalar(sa.select(sa.func.max(t.c.seq))) or 0)

    # -- the profile ----------------------------------------------------------------------------

    async def profile(self, customer_id: UUID) -> Profile | None:
        p = self.model.profiles
        row = (
            await self.session.execute(sa.select(p).where(p.c.customer_id == customer_id))
        ).first()
        if row is None:
            return None
        return Profile(
            customer_id=row.customer_id,
            values=dict(row.fields),
            set_at={name: datetime.fromisoformat(at) for name, at in row.set_at.items()},
            registered_at=row.registered_at,
            erased_at=row.erased_at,
        )

    async def save_profile(self, profile: Profile) -> None:
        p = self.model.profiles
        values = {
            "fields": profile.values,
            "set_at": {name: at.isoformat() for name, at in profile.set_at.items()},
            "registered_at": profile.registered_at,
            "erased_at": profile.erased_at,
        }
        stmt = insert(self.session, p).values(customer_id=profile.customer_id, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[p.c.customer_id], set_=values)
        )

    async def forget_request_subjects(self, customer_id: UUID) -> None:
        r = self.model.requests
        await self.session.execute(
            sa.update(r).where(r.c.customer_id == customer_id).values(subject=None)
        )

    # -- money ----------------------------------------------------------------------------------

    async def add_to_balance(self, customer_id: UUID, **amounts: Decimal) -> None:
        b = self.model.balances
        stmt = insert(self.session, b).values(customer_id=customer_id, **amounts)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[b.c.customer_id],
                set_={name: b.c[name] + stmt.excluded[name] for name in amounts},
            )
        )

    async def invoice_issued(
        self,
        invoice_id: UUID,
        customer_id: UUID,
        *,
        number: str,
        issue_date: date,
        due_date: date,
        currency: str,
        gross: Decimal,
    ) -> None:
        i = self.model.invoices
        values = {
            "number": number,
            "issue_date": issue_date,
            "due_date": due_date,
            "currency": currency,
            "gross": gross,
        }
        stmt = insert(self.session, i).values(
            invoice_id=invoice_id, customer_id=customer_id, **values
        )
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[i.c.invoice_id], set_=values)
        )

    async def add_to_invoice(
        self, invoice_id: UUID, customer_id: UUID, *, paid: Decimal = ZERO, credited: Decimal = ZERO
    ) -> None:
        """A payment or a credit note on an invoice, read before or after the invoice itself."""
        i = self.model.invoices
        stmt = insert(self.session, i).values(
            invoice_id=invoice_id, customer_id=customer_id, paid=paid, credited=credited
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[i.c.invoice_id],
                set_={
                    "paid": i.c.paid + stmt.excluded.paid,
                    "credited": i.c.credited + stmt.excluded.credited,
                },
            )
        )

    async def invoice_written_off(self, invoice_id: UUID, customer_id: UUID) -> None:
        i = self.model.invoices
        stmt = insert(self.session, i).values(
            invoice_id=invoice_id, customer_id=customer_id, written_off=True
        )
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[i.c.invoice_id], set_={"written_off": True})
        )

    async def balance(self, customer_id: UUID) -> BalanceView:
        b = self.model.balances
        row = (
            await self.session.execute(sa.select(b).where(b.c.customer_id == customer_id))
        ).first()
        if row is None:
            return BalanceView(ZERO, ZERO, ZERO, ZERO, ZERO)
        return BalanceView(row.invoiced, row.credited, row.paid, row.refunded, row.written_off)

    async def open_invoices(self, customer_id: UUID) -> list[InvoiceView]:
        """Issued invoices with something left to pay, oldest due first."""
        i, d = self.model.invoices, self.model.disputes
        outstanding = i.c.gross - i.c.paid - i.c.credited
        disputed = (
            sa.select(d.c.dispute_id)
            .where(d.c.invoice_id == i.c.invoice_id, d.c.resolved_at.is_(None))
            .exists()
        )
        query = (
            sa.select(i, disputed.label("disputed"))
            .where(
                i.c.customer_id == customer_id,
                i.c.gross.is_not(None),
                i.c.written_off.is_(False),
                outstanding > 0,
            )
            .order_by(i.c.due_date, i.c.number, i.c.invoice_id)
        )
        return [
            InvoiceView(
                invoice_id=row.invoice_id,
                number=row.number,
                issue_date=row.issue_date,
                due_date=row.due_date,
                currency=row.currency or "EUR",
                gross=row.gross,
                paid=row.paid,
                credited=row.credited,
                outstanding=row.gross - row.paid - row.credited,
                disputed=bool(row.disputed),
            )
            for row in (await self.session.execute(query)).all()
        ]

    # -- collections ----------------------------------------------------------------------------

    async def notice_sent(
        self, customer_id: UUID, *, level: int, level_name: str, sent_on: date, amount_due: Decimal
    ) -> None:
        """Keeps the latest notice (by date, then level) whatever the order they are read in."""
        c = self.model.collections
        stmt = insert(self.session, c).values(
            customer_id=customer_id,
            level=level,
            level_name=level_name,
            level_on=sent_on,
            level_amount_due=amount_due,
        )
        newer = sa.or_(
            c.c.level_on.is_(None),
            stmt.excluded.level_on > c.c.level_on,
            sa.and_(stmt.excluded.level_on == c.c.level_on, stmt.excluded.level > c.c.level),
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[c.c.customer_id],
                set_={
                    "level": stmt.excluded.level,
                    "level_name": stmt.excluded.level_name,
                    "level_on": stmt.excluded.level_on,
                    "level_amount_due": stmt.excluded.level_amount_due,
                },
                where=newer,
            )
        )

    async def add_doubtful(self, customer_id: UUID, amount: Decimal) -> None:
        c = self.model.collections
        stmt = insert(self.session, c).values(customer_id=customer_id, doubtful=amount)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[c.c.customer_id],
                set_={"doubtful": c.c.doubtful + stmt.excluded.doubtful},
            )
        )

    async def insolvency(self, customer_id: UUID, kind: str, opened_on: date) -> None:
        c = self.model.collections
        values = {"insolvency_kind": kind, "insolvency_opened_on": opened_on}
        stmt = insert(self.session, c).values(customer_id=customer_id, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[c.c.customer_id], set_=values)
        )

    async def dispute(
        self,
        dispute_id: UUID,
        customer_id: UUID,
        invoice_id: UUID,
        *,
        opened_at: datetime | None = None,
        outcome: str | None = None,
        resolved_at: datetime | None = None,
    ) -> None:
        d = self.model.disputes
        stmt = insert(self.session, d).values(
            dispute_id=dispute_id,
            customer_id=customer_id,
            invoice_id=invoice_id,
            opened_at=opened_at,
            outcome=outcome,
            resolved_at=resolved_at,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[d.c.dispute_id],
                set_={
                    name: sa.func.coalesce(stmt.excluded[name], d.c[name])
                    for name in ("opened_at", "outcome", "resolved_at")
                },
            )
        )

    async def promise(
        self,
        promise_id: UUID,
        customer_id: UUID,
        *,
        amount: Decimal,
        promised_on: date,
        status: str,
        paid: Decimal | None = None,
    ) -> None:
        p = self.model.promises
        stmt = insert(self.session, p).values(
            promise_id=promise_id,
            customer_id=customer_id,
            amount=amount,
            promised_on=promised_on,
            status=status,
            paid=paid,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[p.c.promise_id],
                set_={
                    "status": sa.case(
                        (stmt.excluded.status == "standing", p.c.status), else_=stmt.excluded.status
                    ),
                    "paid": sa.func.coalesce(stmt.excluded.paid, p.c.paid),
                },
            )
        )

    async def plan(
        self,
        plan_id: UUID,
        customer_id: UUID,
        *,
        status: str,
        installments: int | None = None,
        total: Decimal | None = None,
        first_due_date: date | None = None,
        last_due_date: date | None = None,
    ) -> None:
        p = self.model.plans
        details = {
            "installments": installments,
            "total": total,
            "first_due_date": first_due_date,
            "last_due_date": last_due_date,
        }
        stmt = insert(self.session, p).values(
            plan_id=plan_id, customer_id=customer_id, status=status, **details
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[p.c.plan_id],
                set_={
                    "status": sa.case(
                        (stmt.excluded.status == "agreed", p.c.status), else_=stmt.excluded.status
                    ),
                    **{name: sa.func.coalesce(stmt.excluded[name], p.c[name]) for name in details},
                },
            )
        )

    async def collections_of(self, customer_id: UUID) -> dict[str, Any]:
        c, d, pr, pl = (
            self.model.collections,
            self.model.disputes,
            self.model.promises,
            self.model.plans,
        )
        row = (
            await self.session.execute(sa.select(c).where(c.c.customer_id == customer_id))
        ).first()
        disputes = (
            await self.session.execute(
                sa.select(d)
                .where(d.c.customer_id == customer_id)
                .order_by(d.c.opened_at, d.c.dispute_id)
            )
        ).all()
        promises = (
            await self.session.execute(
                sa.select(pr)
                .where(pr.c.customer_id == customer_id)
                .order_by(pr.c.promised_on, pr.c.promise_id)
            )
        ).all()
        plans = (
            await self.session.execute(
                sa.select(pl)
                .where(pl.c.customer_id == customer_id)
                .order_by(pl.c.first_due_date, pl.c.plan_id)
            )
        ).all()
        return {
            "summary": None if row is None else dict(row._mapping),
            "disputes": [dict(r._mapping) for r in disputes],
            "promises": [dict(r._mapping) for r in promises],
            "plans": [dict(r._mapping) for r in plans],
        }

    # -- customer requests ----------------------------------------------------------------------

    async def request_opened(
        self,
        request_id: UUID,
        customer_id: UUID,
        *,
        category: str,
        subject: str | None,
        opened_at: datetime,
        due_at: datetime,
    ) -> None:
        r = self.model.requests
        stmt = insert(self.session, r).values(
            request_id=request_id,
            customer_id=customer_id,
            category=category,
            subject=subject,
            opened_at=opened_at,
            due_at=due_at,
            status="open",
            status_at=opened_at,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[r.c.request_id],
                set_={
                    "category": stmt.excluded.category,
                    "subject": stmt.excluded.subject,
                    "opened_at": stmt.excluded.opened_at,
                    "due_at": stmt.excluded.due_at,
                },
            )
        )

    async def request_status(
        self, request_id: UUID, customer_id: UUID, *, status: str, changed_at: datetime
    ) -> None:
        r = self.model.requests
        stmt = insert(self.session, r).values(
            request_id=request_id, customer_id=customer_id, status=status, status_at=changed_at
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[r.c.request_id],
                set_={"status": stmt.excluded.status, "status_at": stmt.excluded.status_at},
                where=sa.or_(r.c.status_at.is_(None), stmt.excluded.status_at >= r.c.status_at),
            )
        )

    async def open_requests(self, customer_id: UUID) -> Sequence[Any]:
        r = self.model.requests
        query = (
            sa.select(r)
            .where(
                r.c.customer_id == customer_id,
                r.c.status.not_in(("resolved", "rejected")),
                r.c.opened_at.is_not(None),
            )
            .order_by(r.c.opened_at, r.c.request_id)
        )
        return (await self.session.execute(query)).all()


class RebuildRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, rebuild_id: UUID, requested_by: str, now: datetime, *, running: bool = False
    ) -> None:
        await self.session.execute(
            sa.insert(rebuilds).values(
                id=rebuild_id,
                state="running" if running else "requested",
                requested_by=requested_by,
                requested_at=now,
                started_at=now if running else None,
            )
        )

    async def abandon_stale(self, started_before: datetime, now: datetime) -> None:
        """Rebuilds still running since before `started_before`: their process died."""
        await self.session.execute(
            sa.update(rebuilds)
            .where(rebuilds.c.state == "running", rebuilds.c.started_at < started_before)
            .values(state="failed", finished_at=now, error="interrupted: its process stopped")
        )

    async def get(self, rebuild_id: UUID) -> Any:
        return (
            await self.session.execute(sa.select(rebuilds).where(rebuilds.c.id == rebuild_id))
        ).first()

    async def active(self) -> Any:
        """A rebuild requested or running, if any."""
        query = (
            sa.select(rebuilds)
            .where(rebuilds.c.state.in_(("requested", "running")))
            .order_by(rebuilds.c.requested_at)
            .limit(1)
        )
        return (await self.session.execute(query)).first()

    async def claim(self) -> Any:
        """The oldest requested rebuild, locked so that one rebuilder takes it."""
        query = (
            sa.select(rebuilds)
            .where(rebuilds.c.state == "requested")
            .order_by(rebuilds.c.requested_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(query)).first()

    async def update(self, rebuild_id: UUID, **values: Any) -> None:
        await self.session.execute(
            sa.update(rebuilds).where(rebuilds.c.id == rebuild_id).values(**values)
        )
