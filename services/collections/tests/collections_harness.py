"""The collections service in-process for integration tests: billing's and the customer
service's events delivered to its inbox consumer, its API, its database's counts and what it
published on `collections.events`."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import sqlalchemy as sa

from coulisse.collections.adapters import tables
from coulisse.collections.adapters.uow import CollectionsUnitOfWork
from coulisse.collections.bootstrap import definition
from coulisse.collections.config import CollectionsSettings
from coulisse.collections.entrypoints.consumers import consumers
from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import (
    Allocation,
    CreditNoteIssued,
    DocumentLine,
    InvoiceIssued,
    PaymentReceived,
    VatSubtotal,
)
from coulisse.contracts.customer import CustomerKind, CustomerRegistered
from coulisse.contracts.money import ZERO
from coulisse.contracts.topics import COLLECTIONS_EVENTS
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.inbox import InboxConsumer
from coulisse.platform.service import Runtime
from coulisse.platform.tables import outbox_table

CollectionsService = testing.ServiceInProcess[CollectionsSettings, CollectionsUnitOfWork]

# The instant collections lives at when a test starts: in the first half of 2026, which the
# shipped late-interest rates cover, so that formal notices can assess interest. Tests move it.
CLOCK_START = datetime(2026, 1, 5, 9, tzinfo=UTC)

AGENT = testing.auth_headers(["collections:read", "collections:write"], sub="agent-7")
READER = testing.auth_headers(["collections:read"], sub="reader-1")

COUNTED = {
    "receivables": tables.receivables,
    "receivable_facts": tables.receivable_facts,
    "dunning_runs": tables.dunning_runs,
    "notices": tables.notices,
    "fees": tables.fees,
    "disputes": tables.disputes,
    "promises": tables.promises,
    "payment_plans": tables.payment_plans,
    "write_offs": tables.write_offs,
    "outbox": outbox_table,
}

_numbers = itertools.count(1)


@asynccontextmanager
async def running_collections(
    database_url: str,
    *,
    kafka_bootstrap: str = testing.NO_KAFKA,
    roles: str = "api",
    clock: SettableClock | None = None,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[Collections]:
    service_clock = clock or SettableClock(CLOCK_START)
    async with testing.service_in_process(
        definition,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        roles=roles,
        clock=service_clock,
        env=env,
    ) as service:
        [consumer] = consumers(service.runtime)
        yield Collections(service, consumer, service_clock, kafka_bootstrap)


@dataclass
class Collections:
    service: CollectionsService
    consumer: InboxConsumer
    clock: SettableClock
    kafka_bootstrap: str

    @property
    def client(self) -> httpx.AsyncClient:
        return self.service.client

    @property
    def runtime(self) -> Runtime[CollectionsSettings, CollectionsUnitOfWork]:
        return self.service.runtime

    def on(self, day: date) -> None:
        """Moves collections' clock to `day` (noon in Paris)."""
        self.clock.set(day)

    # -- consumed events ------------------------------------------------------------------------

    async def deliver(self, payload: EventPayload, *, event_id: UUID | None = None) -> None:
        """Hands an event to the inbox consumer, as if Kafka had delivered it."""
        await self.consumer.process([testing.consumed_record(payload, event_id=event_id)])

    async def register(
        self, customer_id: UUID | None = None, *, kind: CustomerKind = "company"
    ) -> UUID:
        customer_id = customer_id or uuid4()
        await self.deliver(registration(customer_id, kind=kind))
        return customer_id

    async def invoice(self, customer_id: UUID, gross: str, **details: Any) -> InvoiceIssued:
        issued = invoice_issued(customer_id, gross, **details)
        await self.deliver(issued)
        return issued

    async def pay(
        self, customer_id: UUID, received_on: date, *allocations: tuple[UUID, str]
    ) -> PaymentReceived:
        paid = payment(customer_id, received_on, *allocations)
        await self.deliver(paid)
        return paid

    # -- the API --------------------------------------------------------------------------------

    async def run(self, as_of: date, *, dry_run: bool = False) -> httpx.Response:
        body = {"as_of": as_of.isoformat(), "dry_run": dry_run}
        return await self.client.post("/v1/dunning/runs", json=body, headers=AGENT)

    async def collections_of(self, customer_id: UUID) -> dict[str, Any]:
        response = await self.client.get(f"/v1/customers/{customer_id}/collections", headers=AGENT)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def counts(self) -> dict[str, int]:
        """Rows per table. The relay deletes the events published a week before the clock's
        now, whenever it gets to it: that is done here first, so that two counts taken at one
        instant differ only by what was written in between."""
        if self.runtime.relay is not None:
            await self.runtime.relay.purge(self.clock.now())
        async with self.runtime.engine.connect() as conn:
            return {
                name: int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
                for name, table in COUNTED.items()
            }

    async def published(self, customer_id: UUID, count: int) -> list[dict[str, Any]]:
        """The customer's events on `collections.events`, in publication order (waits for
        `count` of them)."""
        records = await testing.read_topic(
            self.kafka_bootstrap,
            COLLECTIONS_EVENTS,
            keep=lambda r: r.key == str(customer_id).encode(),
            until=lambda found: len(found) >= count,
        )
        records.sort(key=lambda r: r.offset)  # one key, one partition: publication order
        return [testing.event_json(r) for r in records]


# -- events as the other services publish them --------------------------------------------------


def account_of(customer_id: UUID) -> str:
    return f"C{customer_id.int % 10**6:06d}"


def registration(customer_id: UUID, *, kind: CustomerKind = "company") -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id,
        account_number=account_of(customer_id),
        kind=kind,
        display_name="Menuiserie Lefèvre SARL" if kind == "company" else "Jeanne Martin",
        email="compta@lefevre.example.fr",
        country="FR",
        payment_terms_days=30,
    )


def invoice_issued(
    customer_id: UUID,
    gross: str,
    *,
    vat: str = "0.00",
    issue_date: date = date(2025, 12, 17),
    due_date: date = date(2026, 1, 16),
    kind: str = "standard",
    invoice_id: UUID | None = None,
    number: str | None = None,
) -> InvoiceIssued:
    total, tax = Decimal(gross), Decimal(vat)
    net = total - tax
    rate = "20.0" if tax else "0.0"
    return InvoiceIssued(
        invoice_id=invoice_id or uuid4(),
        number=number or f"F2025-{next(_numbers):06d}",
        kind=kind,
        customer_id=customer_id,
        account_number=account_of(customer_id),
        issue_date=issue_date,
        due_date=due_date,
        lines=[
            DocumentLine(
                description="Pose de parquet",
                quantity=Decimal(1),
                unit_price=net,
                vat_rate=Decimal(rate),
                net=net,
                vat=tax,
            )
        ],
        vat_breakdown=[VatSubtotal(vat_rate=Decimal(rate), net=net, vat=tax)],
        total_net=net,
        total_vat=tax,
        total_gross=total,
    )


def payment(
    customer_id: UUID, received_on: date, *allocations: tuple[UUID, str], extra: str = "0.00"
) -> PaymentReceived:
    allocated = sum((Decimal(amount) for _, amount in allocations), ZERO)
    return PaymentReceived(
        payment_id=uuid4(),
        customer_id=customer_id,
        account_number=account_of(customer_id),
        amount=allocated + Decimal(extra),
        method="transfer",
        received_on=received_on,
        external_ref=f"VIR-{uuid4().hex[:8]}",
        allocations=[
            Allocation(invoice_id=invoice_id, invoice_number="F2025-000000", amount=Decimal(amount))
            for invoice_id, amount in allocations
        ],
        unallocated=Decimal(extra),
    )


def credit_note(
    customer_id: UUID, invoice: InvoiceIssued, gross: str, issue_date: date
) -> CreditNoteIssued:
    total = Decimal(gross)
    return CreditNoteIssued(
        credit_note_id=uuid4(),
        number=f"A2026-{next(_numbers):06d}",
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.number,
        customer_id=customer_id,
        account_number=account_of(customer_id),
        issue_date=issue_date,
        reason="Remise commerciale",
        lines=[
            DocumentLine(
                description="Remise",
                quantity=Decimal(1),
                unit_price=total,
                vat_rate=Decimal("0.0"),
                net=total,
                vat=ZERO,
            )
        ],
        vat_breakdown=[VatSubtotal(vat_rate=Decimal("0.0"), net=total, vat=ZERO)],
        total_net=total,
        total_vat=ZERO,
        total_gross=total,
    )


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    return [error["field"] for error in problem.get("errors", [])]
