"""Repositories: load and save aggregates; every aggregate they hand out is tracked by the unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.counters import next_value
from coulisse.platform.crypto import DataKey, MasterKeyring, WrappedKey
from coulisse.platform.repository import Repository
from coulisse.platform.sql import dialect_name
from coulisse.platform.tables import idempotency_table

from ..domain.customers import Customer
from ..domain.requests import CustomerRequest
from .rows import customer_from_row, customer_values, request_from_row, request_values
from .tables import counters, customer_requests, customers, personal_data_keys


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


class PersonalDataKeyRepository:
    """Customers' data keys: stored wrapped by the current master key, handed out unwrapped."""

    def __init__(self, session: AsyncSession, keyring: MasterKeyring) -> None:
        self.session = session
        self.keyring = keyring

    async def add(self, customer_id: UUID, key: DataKey, now: datetime) -> None:
        wrapped = self.keyring.wrap(key, owner=str(customer_id))
        await self.session.execute(
            sa.insert(personal_data_keys).values(
                customer_id=customer_id,
                key_id=wrapped.key_id,
                master_key_id=wrapped.master_key_id,
                wrapped_key=wrapped.wrapped,
                created_at=now,
                wrapped_at=now,
            )
        )

    async def get(self, customer_id: UUID) -> DataKey | None:
        wrapped = await self._wrapped(customer_id)
        return None if wrapped is None else self.keyring.unwrap(wrapped, owner=str(customer_id))

    async def get_or_create(self, customer_id: UUID, now: datetime) -> DataKey:
        """The customer's key; a customer registered before events were sealed gets one now."""
        key = await self.get(customer_id)
        if key is None:
            key = DataKey.generate()
            await self.add(customer_id, key, now)
        return key

    async def destroy(self, customer_id: UUID) -> None:
        """Crypto-shredding: without the key, no copy of the customer's sealed fields opens."""
        await self.session.execute(
            sa.delete(personal_data_keys).where(personal_data_keys.c.customer_id == customer_id)
        )

    async def rewrap_batch(self, now: datetime, limit: int) -> int:
        """Wraps up to `limit` keys still wrapped by an older master key with the current one;
        returns how many. The rows are locked, so two rotations never rewrap one key twice."""
        query = (
            sa.select(personal_data_keys)
            .where(personal_data_keys.c.master_key_id != self.keyring.current_id)
            .order_by(personal_data_keys.c.customer_id)
            .limit(limit)
        )
        if dialect_name(self.session) == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await self.session.execute(query)).mappings().all()
        for row in rows:
            rewrapped = self.keyring.rewrap(_wrapped_of(row), owner=str(row["customer_id"]))
            await self.session.execute(
                sa.update(personal_data_keys)
                .where(personal_data_keys.c.customer_id == row["customer_id"])
                .values(
                    master_key_id=rewrapped.master_key_id,
                    wrapped_key=rewrapped.wrapped,
                    wrapped_at=now,
                )
            )
        return len(rows)

    async def _wrapped(self, customer_id: UUID) -> WrappedKey | None:
        row = (
            (
                await self.session.execute(
                    sa.select(personal_data_keys).where(
                        personal_data_keys.c.customer_id == customer_id
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else _wrapped_of(row)


def _wrapped_of(row: Any) -> WrappedKey:
    return WrappedKey(row["key_id"], row["master_key_id"], bytes(row["wrapped_key"]))


async def forget_stored_responses(session: AsyncSession, customer_id: UUID) -> None:
    """Drops the stored first responses (idempotency keys) that name the customer: a replayed
    registration would otherwise give their name back after the erasure."""
    needle = str(customer_id).encode()
    body = idempotency_table.c.response_body
    # PostgreSQL matches bytea with LIKE; SQLite's LIKE never matches a BLOB, its instr does.
    names_customer = (
        body.contains(needle)
        if dialect_name(session) == "postgresql"
        else sa.func.instr(body, needle) > 0
    )
    await session.execute(sa.delete(idempotency_table).where(names_customer))
