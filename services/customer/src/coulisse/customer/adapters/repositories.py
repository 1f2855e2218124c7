"""Repositories: load and save aggregates; every aggregate they hand out is tracked by the unit of work."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from coulisse.platform.counters import next_value
from coulisse.platform.repository import Repository

from ..domain.customers import Customer
from ..domain.requests import CustomerRequest
from .rows import customer_from_row, customer_values, request_from_row, request_values
from .tables import counters, customer_requests, customers


class CustomerRepository(Repository):
    async def next_account_sequence(self) -> int:
        return await next_value(self.session, counters, "account_number")

    async def add(self, customer: Customer) -> None:
        await self.session.execute(
            sa.insert(customers).values(id=customer.id, **customer_values(customer))
        )
        self.track_versioned(customer)

    async def get(self, customer_id: UUID) -> Customer | None:
        row = (
            (await self.session.execute(sa.select(customers).where(customers.c.id == customer_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        customer = customer_from_row(row)
        self.track_versioned(customer)
        return customer

    async def save(self, customer: Customer) -> None:
        await self.save_versioned(customers, customer, customer_values(customer))


class RequestRepository(Repository):
    async def add(self, request: CustomerRequest) -> None:
        await self.session.execute(
            sa.insert(customer_requests).values(id=request.id, **request_values(request))
        )
        self.track_versioned(request)

    async def get(self, request_id: UUID) -> CustomerRequest | None:
        row = (
            (
                await self.session.execute(
                    sa.select(customer_requests).where(customer_requests.c.id == request_id)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        request = request_from_row(row)
        self.track_versioned(request)
        return request

    async def for_customer(self, customer_id: UUID) -> list[CustomerRequest]:
        rows = (
            await self.session.execute(
                sa.select(customer_requests).where(customer_requests.c.customer_id == customer_id)
            )
        ).mappings()
        found = [request_from_row(row) for row in rows]
        for request in found:
            self.track_versioned(request)
        return found

    async def save(self, request: CustomerRequest) -> None:
        await self.save_versioned(customer_requests, request, request_values(request))
