"""Read-side queries: lists paginated by an opaque cursor, and a customer's balance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.api import decode_cursor, encode_cursor
from coulisse.platform.domain import InvalidInput, NotFound

from ..adapters.repositories import InvoiceRepository, PaymentRepository
from ..adapters.tables import credit_notes, customers, invoices, payments, refunds, write_offs
from ..adapters.types import MoneyType
from ..domain.amounts import ZERO
from ..domain.balance import Balance
from ..domain.invoices import OPEN_STATUSES, Invoice
from ..domain.payments import Payment

_ZERO = sa.literal(ZERO, MoneyType())


def _after(table: sa.Table, cursor: str | None) -> Any:
    """Newest first: the rows after the cursor's (created_at, id)."""
    position = decode_cursor(cursor)
    if position is None:
        return sa.true()
    try:
        created_at = datetime.fromisoformat(str(position["created_at"]))
        last_id = UUID(str(position["id"]))
    except (KeyError, ValueError) as exc:
        raise InvalidInput("the cursor is not one this API returned", field="query.cursor") from exc
    return sa.or_(
        table.c.created_at < created_at,
        sa.and_(table.c.created_at == created_at, table.c.id < last_id),
    )


def _next_cursor(found: list[Any], more: bool) -> str | None:
    if not more or not found:
        return None
    last = found[-1]
    return encode_cursor({"created_at": last.created_at.isoformat(), "id": str(last.id)})


async def list_invoices(
    session: AsyncSession,
    *,
    customer_id: UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Invoice], str | None]:
    query = (
        sa.select(invoices)
        .where(_after(invoices, cursor))
        .order_by(invoices.c.created_at.desc(), invoices.c.id.desc())
        .limit(limit + 1)
    )
    if customer_id is not None:
        query = query.where(invoices.c.customer_id == customer_id)
    if status is not None:
        query = query.where(invoices.c.status == status)
    rows = (await session.execute(query)).mappings().all()
    found = await InvoiceRepository(session, lambda _: None).with_lines(rows[:limit])
    return found, _next_cursor(found, len(rows) > limit)


async def list_payments(
    session: AsyncSession, *, customer_id: UUID | None, limit: int, cursor: str | None
) -> tuple[list[Payment], str | None]:
    query = (
        sa.select(payments)
        .where(_after(payments, cursor))
        .order_by(payments.c.created_at.desc(), payments.c.id.desc())
        .limit(limit + 1)
    )
    if customer_id is not None:
        query = query.where(payments.c.customer_id == customer_id)
    rows = (await session.execute(query)).mappings().all()
    found = await PaymentRepository(session, lambda _: None).with_allocations(rows[:limit])
    return found, _next_cursor(found, len(rows) > limit)


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
