"""Repositories: load and save aggregates; every aggregate they hand out is tracked by the unit of work."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from coulisse.contracts.customer import Address
from coulisse.platform.counters import next_value
from coulisse.platform.repository import Repository, aware

from ..domain.customers import Customer, Profile
from ..domain.requests import CustomerRequest
from .tables import counters, customer_requests, customers


class CustomerRepository(Repository):
    async def next_account_sequence(self) -> int:
        return await next_value(self.session, counters, "account_number")

    async def add(self, customer: Customer) -> None:
        await self.session.execute(
            sa.insert(customers).values(id=customer.id, **self._values(customer))
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
        customer = self.from_row(row)
        self.track_versioned(customer)
        return customer

    async def save(self, customer: Customer) -> None:
        await self.save_versioned(customers, customer, self._values(customer))

    @staticmethod
    def _values(customer: Customer) -> dict[str, Any]:
        profile = customer.profile
        return {
            "account_number": customer.account_number,
            "kind": customer.kind,
            "status": customer.status,
            "display_name": profile.display_name,
            "email": profile.email,
            "phone": profile.phone,
            "country": profile.country,
            "vat_number": profile.vat_number,
            "siren": profile.siren,
            "payment_terms_days": profile.payment_terms_days,
            "address": profile.address.model_dump(mode="json") if profile.address else None,
            "created_at": customer.created_at,
            "updated_at": customer.updated_at,
            "erased_at": customer.erased_at,
            "version": customer.version,
        }

    @staticmethod
    def from_row(row: Any) -> Customer:
        return Customer(
            id=row["id"],
            account_number=row["account_number"],
            kind=row["kind"],
            status=row["status"],
            profile=Profile(
                display_name=row["display_name"],
                email=row["email"],
                phone=row["phone"],
                country=row["country"],
                vat_number=row["vat_number"],
                siren=row["siren"],
                payment_terms_days=row["payment_terms_days"],
                address=Address.model_validate(row["address"]) if row["address"] else None,
            ),
            created_at=aware(row["created_at"]),
            updated_at=aware(row["updated_at"]),
            erased_at=aware(row["erased_at"]),
            version=row["version"],
        )


class RequestRepository(Repository):
    async def add(self, request: CustomerRequest) -> None:
        await self.session.execute(
            sa.insert(customer_requests).values(id=request.id, **self._values(request))
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
        request = self.from_row(row)
        self.track_versioned(request)
        return request

    async def for_customer(self, customer_id: UUID) -> list[CustomerRequest]:
        rows = (
            await self.session.execute(
                sa.select(customer_requests).where(customer_requests.c.customer_id == customer_id)
            )
        ).mappings()
        found = [self.from_row(row) for row in rows]
        for request in found:
            self.track_versioned(request)
        return found

    async def save(self, request: CustomerRequest) -> None:
        await self.save_versioned(customer_requests, request, self._values(request))

    @staticmethod
    def _values(request: CustomerRequest) -> dict[str, Any]:
        return {
            "customer_id": request.customer_id,
            "category": request.category,
            "subject": request.subject,
            "description": request.description,
            "invoice_id": request.invoice_id,
            "channel": request.channel,
            "status": request.status,
            "resolution": request.resolution,
            "opened_at": request.opened_at,
            "due_at": request.due_at,
            "closed_at": request.closed_at,
            "updated_at": request.updated_at,
            "version": request.version,
        }

    @staticmethod
    def from_row(row: Any) -> CustomerRequest:
        return CustomerRequest(
            id=row["id"],
            customer_id=row["customer_id"],
            category=row["category"],
            subject=row["subject"],
            description=row["description"],
            invoice_id=row["invoice_id"],
            channel=row["channel"],
            status=row["status"],
            resolution=row["resolution"],
            opened_at=aware(row["opened_at"]),
            due_at=aware(row["due_at"]),
            closed_at=aware(row["closed_at"]),
            updated_at=aware(row["updated_at"]),
            version=row["version"],
        )
