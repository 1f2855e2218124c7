"""Read-side queries: searches and lists, paginated by an opaque cursor."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.api import contains_pattern, decode_cursor, encode_cursor
from coulisse.platform.domain import InvalidInput

from ..adapters.repositories import CustomerRepository, RequestRepository
from ..adapters.tables import customer_requests, customers
from ..domain.customers import Customer
from ..domain.requests import CustomerRequest


async def search_customers(
    session: AsyncSession, *, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Customer], str | None]:
    query = sa.select(customers).order_by(customers.c.account_number).limit(limit + 1)
    if q:
        pattern = contains_pattern(q)
        query = query.where(
            sa.or_(
                customers.c.display_name.ilike(pattern, escape="\\"),
                customers.c.email.ilike(pattern, escape="\\"),
                customers.c.account_number.ilike(pattern, escape="\\"),
            )
        )
    position = decode_cursor(cursor)
    if position is not None:
        query = query.where(customers.c.account_number > str(position.get("after", "")))
    rows = (await session.execute(query)).mappings().all()
    found = [CustomerRepository.from_row(row) for row in rows[:limit]]
    next_cursor = encode_cursor({"after": found[-1].account_number}) if len(rows) > limit else None
    return found, next_cursor


async def list_requests(
    session: AsyncSession,
    *,
    status: str | None,
    customer_id: UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[CustomerRequest], str | None]:
    table = customer_requests
    query = sa.select(table).order_by(table.c.opened_at.desc(), table.c.id.desc()).limit(limit + 1)
    if status:
        query = query.where(table.c.status == status)
    if customer_id:
        query = query.where(table.c.customer_id == customer_id)
    position = decode_cursor(cursor)
    if position is not None:
        try:
            opened_at = datetime.fromisoformat(str(position["opened_at"]))
            last_id = UUID(str(position["id"]))
        except (KeyError, ValueError) as exc:
            raise InvalidInput(
                "the cursor is not one this API returned", field="query.cursor"
            ) from exc
        query = query.where(
            sa.or_(
                table.c.opened_at < opened_at,
                sa.and_(table.c.opened_at == opened_at, table.c.id < last_id),
            )
        )
    rows = (await session.execute(query)).mappings().all()
    found = [RequestRepository.from_row(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor({"opened_at": found[-1].opened_at.isoformat(), "id": str(found[-1].id)})
        if len(rows) > limit
        else None
    )
    return found, next_cursor
