"""Repositories: load and save aggregates; what they hand out is tracked by the unit of work.

Rows that a command changes are read `FOR NO KEY UPDATE` (ordered by id, so two commands locking
several invoices never deadlock): it serializes the commands that change a row and, unlike
`FOR UPDATE`, does not wait for the key-share locks that inserting a row referencing it takes (a
payment changing a customer's credit does not wait for an invoice of theirs that waits for its
number). Lock order across a transaction: invoices, then the customer's row (their credit), then
a numbering counter, last: every issuer of a series waits for it, so it is taken once everything
else is written and held only for what needs the number. SQLite ignores these locks: its single
writer lock serializes the writes instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from coulisse.contracts.money import ZERO
from coulisse.platform.counters import next_row
from coulisse.platform.repository import Repository

from ..domain.credit_notes import CreditNote
from ..domain.customers import BillingCustomer
from ..domain.invoices import OPEN_STATUSES, Invoice
from ..domain.numbering import Series, check_chronology, document_number
from ..domain.payments import Payment, duplicate_payment
from ..domain.refunds import Refund
from . import rows
from .tables import (
    allocations,
    credit_note_lines,
    credit_notes,
    customers,
    invoice_lines,
    invoices,
    number_counters,
    payments,
    refunds,
    write_offs,
)


class CustomerRepository(Repository):
    async def get(self, customer_id: UUID, *, for_update: bool = False) -> BillingCustomer | None:
        query = sa.select(customers).where(customers.c.id == customer_id)
        if for_update:
            query = query.with_for_update(key_share=True)
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else rows.customer_from_row(row)

    async def add(self, customer: BillingCustomer) -> None:
        await self.session.execute(
            sa.insert(customers).values(id=customer.id, **rows.customer_values(customer))
        )

    async def save(self, customer: BillingCustomer) -> None:
        await self.session.execute(
            sa.update(customers)
            .where(customers.c.id == customer.id)
            .values(rows.customer_values(customer))
        )


class InvoiceRepository(Repository):
    async def add(self, invoice: Invoice) -> None:
        await self.session.execute(
            sa.insert(invoices).values(id=invoice.id, **rows.invoice_values(invoice))
        )
        await self.session.execute(
            sa.insert(invoice_lines),
            [{"invoice_id": invoice.id, **v} for v in rows.line_values(invoice.lines)],
        )
        self.track_versioned(invoice)

    async def get(self, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
        found = await self._load(sa.select(invoices).where(invoices.c.id == invoice_id), for_update)
        return found[0] if found else None

    async def lock_many(self, invoice_ids: Iterable[UUID]) -> dict[UUID, Invoice]:
        query = sa.select(invoices).where(invoices.c.id.in_(list(invoice_ids)))
        return {invoice.id: invoice for invoice in await self._load(query, for_update=True)}

    async def lock_open_of(self, customer_id: UUID) -> dict[UUID, Invoice]:
        """The customer's invoices a payment may settle, locked."""
        query = sa.select(invoices).where(
            invoices.c.customer_id == customer_id,
            invoices.c.status.in_(OPEN_STATUSES),
            invoices.c.amount_due > ZERO,
        )
        return {invoice.id: invoice for invoice in await self._load(query, for_update=True)}

    async def for_fee(self, fee_id: UUID) -> Invoice | None:
        found = await self._load(sa.select(invoices).where(invoices.c.source_fee_id == fee_id))
        return found[0] if found else None

    async def save(self, invoice: Invoice) -> None:
        await self.save_versioned(
            invoices, invoice, rows.invoice_values(invoice), what="this invoice"
        )

    async def _load(self, query: sa.Select[Any], for_update: bool = False) -> list[Invoice]:
        if for_update:
            query = query.order_by(invoices.c.id).with_for_update(key_share=True)
        found_rows = (await self.session.execute(query)).mappings().all()
        found = await self.with_lines(found_rows)
        for invoice in found:
            self.track_versioned(invoice)
        return found

    async def with_lines(self, invoice_rows: Sequence[Any]) -> list[Invoice]:
        if not invoice_rows:
            return []
        line_rows = (
            (
                await self.session.execute(
                    sa.select(invoice_lines)
                    .where(invoice_lines.c.invoice_id.in_([r["id"] for r in invoice_rows]))
                    .order_by(invoice_lines.c.invoice_id, invoice_lines.c.position)
                )
            )
            .mappings()
            .all()
        )
        lines = rows.group_by(line_rows, "invoice_id")
        return [
            rows.invoice_from_row(r, [rows.line_from_row(x) for x in lines.get(r["id"], [])])
            for r in invoice_rows
        ]


class CreditNoteRepository(Repository):
    async def add(self, note: CreditNote) -> None:
        await self.session.execute(sa.insert(credit_notes).values(rows.credit_note_values(note)))
        await self.session.execute(
            sa.insert(credit_note_lines),
            [{"credit_note_id": note.id, **v} for v in rows.line_values(note.lines)],
        )
        self.track(note)

    async def get(self, credit_note_id: UUID) -> CreditNote | None:
        row = (
            (
                await self.session.execute(
                    sa.select(credit_notes).where(credit_notes.c.id == credit_note_id)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        line_rows = (
            await self.session.execute(
                sa.select(credit_note_lines)
                .where(credit_note_lines.c.credit_note_id == credit_note_id)
                .order_by(credit_note_lines.c.position)
            )
        ).mappings()
        return rows.credit_note_from_row(row, [rows.line_from_row(x) for x in line_rows])


class PaymentRepository(Repository):
    async def add(self, payment: Payment) -> None:
        try:
            await self.session.execute(sa.insert(payments).values(rows.payment_values(payment)))
        except IntegrityError as exc:
            # Another payment with this reference committed while this one was being made.
            raise duplicate_payment(payment.external_ref) from exc
        if payment.allocations:
            await self.session.execute(sa.insert(allocations), rows.allocation_values(payment))
        self.track(payment)

    async def get(self, payment_id: UUID) -> Payment | None:
        found = await self._load(sa.select(payments).where(payments.c.id == payment_id))
        return found[0] if found else None

    async def exists(self, customer_id: UUID, external_ref: str) -> bool:
        found = await self.session.execute(
            sa.select(payments.c.id).where(
                payments.c.customer_id == customer_id, payments.c.external_ref == external_ref
            )
        )
        return found.first() is not None

    async def _load(self, query: sa.Select[Any]) -> list[Payment]:
        payment_rows = (await self.session.execute(query)).mappings().all()
        return await self.with_allocations(payment_rows)

    async def with_allocations(self, payment_rows: Sequence[Any]) -> list[Payment]:
        if not payment_rows:
            return []
        allocation_rows = (
            (
                await self.session.execute(
                    sa.select(allocations)
                    .where(allocations.c.payment_id.in_([r["id"] for r in payment_rows]))
                    .order_by(allocations.c.payment_id, allocations.c.position)
                )
            )
            .mappings()
            .all()
        )
        grouped = rows.group_by(allocation_rows, "payment_id")
        return [rows.payment_from_row(r, grouped.get(r["id"], [])) for r in payment_rows]


class RefundRepository(Repository):
    async def add(self, refund: Refund) -> None:
        await self.session.execute(sa.insert(refunds).values(rows.refund_values(refund)))
        self.track(refund)

    async def get(self, refund_id: UUID) -> Refund | None:
        row = (
            (await self.session.execute(sa.select(refunds).where(refunds.c.id == refund_id)))
            .mappings()
            .first()
        )
        return None if row is None else rows.refund_from_row(row)


class WriteOffRepository(Repository):
    async def exists(self, write_off_id: UUID) -> bool:
        found = await self.session.execute(
            sa.select(write_offs.c.id).where(write_offs.c.id == write_off_id)
        )
        return found.first() is not None

    async def add(self, values: dict[str, Any]) -> None:
        await self.session.execute(sa.insert(write_offs).values(values))


class Numbering(Repository):
    """Gapless numbers: a platform counter per series and year, which also keeps the series' last
    issue date (numbers must follow dates).

    Taking a number locks the series' counter row until commit, so callers take it last: after
    the document's other rows are written, before only what carries the number."""

    async def next(
        self, series: Series, issue_date: date, *, move_after_last: bool = False
    ) -> tuple[str, date]:
        """The next number and the date it is issued at. `move_after_last` dates a document the
        series' last date instead of refusing it (documents billing issues on its own)."""
        year = issue_date.year
        # One statement advances the counter and keeps the later of its last date and this one:
        # a row dated after `issue_date` had that date already, and this document may not precede
        # it. A refusal raises, and the rollback gives the number back.
        counter = await next_row(
            self.session,
            number_counters,
            (series, year),
            keep_latest={"last_issue_date": issue_date},
        )
        last_issue_date: date = counter.last_issue_date
        if move_after_last and issue_date < last_issue_date:
            issue_date = last_issue_date
        check_chronology(series, last_issue_date, issue_date)
        return document_number(series, year, int(counter.value)), issue_date
