"""Read-side queries: searches and lists, paginated by an opaque cursor."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.crypto import DataKey
from coulisse.platform.domain import Gone, NotFound
from coulisse.platform.keyset import Key, Keyset
from coulisse.platform.pagination import PageParams
from coulisse.platform.sql import contains_pattern

from ..adapters.rows import customer_from_row, request_from_row
from ..adapters.tables import customer_requests, customers
from ..adapters.uow import CustomerUnitOfWork
from ..domain.customers import Customer
from ..domain.requests import CustomerRequest

BY_ACCOUNT_NUMBER = Keyset(Key("after", customers.c.account_number, str))
NEWEST_REQUESTS = Keyset(
    Key("opened_at", customer_requests.c.opened_at, datetime),
    Key("id", customer_requests.c.id, UUID),
    descending=True,
)


async def search_customers(
    session: AsyncSession, *, q: str | None, page: PageParams
) -> tuple[list[Customer], str | None]:
    query = BY_ACCOUNT_NUMBER.apply(sa.select(customers), page)
    if q:
        pattern = contains_pattern(q)
        query = query.where(
            sa.or_(
                customers.c.display_name.ilike(pattern, escape="\\"),
                customers.c.email.ilike(pattern, escape="\\"),
                customers.c.account_number.ilike(pattern, escape="\\"),
            )
        )
    rows = (await session.execute(query)).mappings().all()
    found = [customer_from_row(row) for row in rows[: page.limit]]
    return found, BY_ACCOUNT_NUMBER.next_cursor(found, len(rows) > page.limit)


async def list_requests(
    session: AsyncSession,
    *,
    status: str | None,
    customer_id: UUID | None,
    page: PageParams,
) -> tuple[list[CustomerRequest], str | None]:
    table = customer_requests
    query = NEWEST_REQUESTS.apply(sa.select(table), page)
    if status:
        query = query.where(table.c.status == status)
    if customer_id:
        query = query.where(table.c.customer_id == customer_id)
    rows = (await session.execute(query)).mappings().all()
    found = [request_from_row(row) for row in rows[: page.limit]]
    return found, NEWEST_REQUESTS.next_cursor(found, len(rows) > page.limit)


async def personal_data_key(uow: CustomerUnitOfWork, customer_id: UUID) -> DataKey:
    """The customer's data key, for a consumer that opens their events' personal fields.

    Gone (410) once the customer is erased: the key was destroyed with their data.
    """
    customer = await uow.customers.get(customer_id)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    if customer.status == "erased":
        raise Gone(f"customer {customer_id} was erased: their personal data is gone for good")
    key = await uow.personal_keys.get(customer_id)
    if key is None:
        # Registered before events were sealed, and never updated since: no event of theirs is
        # sealed, so no consumer needs a key.
        raise NotFound(f"customer {customer_id} has no personal-data key")
    return key
