"""Read-side queries: lists paginated by an opaque cursor, and a customer's balance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.contracts.money import ZERO
from coulisse.platform.domain import NotFound
from coulisse.platform.keyset import Key, Keyset
from coulisse.platform.pagination import PageParams
from coulisse.platform.types import MoneyType

from ..adapters.repositories import InvoiceRepository, PaymentRepository
from ..adapters.tables import credit_notes, customers, invoices, payments, refunds, write_offs
from ..domain.balance import Balance
from ..domain.invoices import OPEN_STATUSES, Invoice
from ..domain.payments import Payment

_ZERO = sa.literal(ZERO, MoneyType())


def _newest_first(table: sa.Table) -> Keyset:
    return Keyset(
        Key("created_at", table.c.created_at, datetime),
        Key("id", table.c.id, UUID),
        descending=True,
    )


NEWEST_INVOICES = _newest_first(invoices)
NEWEST_PAYMENTS = _newest_first(payments)


async def list_invoices(
    session: AsyncSession,
    *,
    customer_id: UUID | None,
    status: str | None,
    page: PageParams,
) -> tuple[list[Invoice], str | None]:
    query = NEWEST_INVOICES.apply(sa.select(invoices), page)
    if customer_id is not None:
        query = query.where(invoices.c.customer_id == customer_id)
    if status is not None:
        query = query.where(invoices.c.status == status)
    rows = (await session.execute(query)).mappings().all()
    found = await InvoiceRepository(session, lambda _: None).with_lines(rows[: page.limit])
    return found, NEWEST_INVOICES.next_cursor(found, len(rows) > page.limit)


async def list_payments(
    session: AsyncSession, *, customer_id: UUID | None, page: PageParams
) -> tuple[list[Payment], str | None]:
    query = NEWEST_PAYMENTS.apply(sa.select(payments), page)
    if customer_id is not None:
        query = query.where(payments.c.customer_id == customer_id)
    rows = (await session.execute(query)).mappings().all()
    found = await PaymentRepository(session, lambda _: None).with_allocations(rows[: page.limit])
    return found, NEWEST_PAYMENTS.next_cursor(found, len(rows) > page.limit)


async def _total(
    session: AsyncSession, column: Any, customer_column: Any, customer_id: UUID
) -> Decimal:
    value = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(column), _ZERO)).where(
            customer_column == customer_id
        )
    )
    return ZERO if value is None else Decimal(value)


async def customer_balance(session: AsyncSession, customer_id: UUID) -> tuple[str, Balance]:
    """The customer's account number and balance; NotFound until billing knows them."""
    customer = (
        await session.execute(
            sa.select(customers.c.account_number, customers.c.credit_available).where(
                customers.c.id == customer_id
            )
        )
    ).first()
    if customer is None or customer.account_number is None:
        raise NotFound(
            f"billing does not know customer {customer_id} (yet): customers are learned from "
            "the customer service's events"
        )
    issued = sa.and_(invoices.c.customer_id == customer_id, invoices.c.number.is_not(None))
    invoiced = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(invoices.c.total_gross), _ZERO)).where(issued)
    )
    open_rows = (
        (
            await session.execute(
                sa.select(invoices)
                .where(
                    invoices.c.customer_id == customer_id,
                    invoices.c.amount_due > ZERO,
                    invoices.c.status.in_((*OPEN_STATUSES, "written_off")),
                )
                .order_by(invoices.c.due_date, invoices.c.issue_date, invoices.c.number)
            )
        )
        .mappings()
        .all()
    )
    open_invoices = await InvoiceRepository(session, lambda _: None).with_lines(open_rows)
    balance = Balance(
        invoiced=ZERO if invoiced is None else Decimal(invoiced),
        credited=await _total(
            session, credit_notes.c.total_gross, credit_notes.c.customer_id, customer_id
        ),
        paid=await _total(session, payments.c.amount, payments.c.customer_id, customer_id),
        refunded=await _total(session, refunds.c.amount, refunds.c.customer_id, customer_id),
        written_off=await _total(
            session, write_offs.c.amount_gross, write_offs.c.customer_id, customer_id
        ),
        credit_available=customer.credit_available,
        open_invoices=open_invoices,
    )
    return str(customer.account_number), balance
