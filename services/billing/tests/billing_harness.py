"""The billing service in-process for integration tests, and its database's counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import sqlalchemy as sa

from coulisse.billing.adapters import tables
from coulisse.billing.adapters.uow import BillingUnitOfWork
from coulisse.billing.bootstrap import definition
from coulisse.billing.config import BillingSettings
from coulisse.billing.entrypoints.consumers import consumers
from coulisse.contracts.base import EventPayload
from coulisse.contracts.customer import CustomerRegistered
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock, today
from coulisse.platform.inbox import InboxConsumer
from coulisse.platform.service import Runtime
from coulisse.platform.tables import outbox_table

BillingService = testing.ServiceInProcess[BillingSettings, BillingUnitOfWork]

# The instant billing lives at in the tests: after every date they write by hand (payments
# received on 2026-11-02, a write-off on 2026-11-20, the demo's last steps), in the same year,
# so "today" (issue dates, due dates, "not in the future") is this date whatever the machine's.
CLOCK_START = datetime(2026, 11, 27, 9, tzinfo=UTC)
TODAY = today(SettableClock(CLOCK_START))

COUNTED = {
    "invoices": tables.invoices,
    "invoice_lines": tables.invoice_lines,
    "credit_notes": tables.credit_notes,
    "payments": tables.payments,
    "allocations": tables.allocations,
    "refunds": tables.refunds,
    "write_offs": tables.write_offs,
    "outbox": outbox_table,
}


@asynccontextmanager
async def running_billing(
    database_url: str,
    *,
    kafka_bootstrap: str = testing.NO_KAFKA,
    roles: str = "api",
    clock: SettableClock | None = None,
) -> AsyncIterator[Billing]:
    """Billing in-process on `database_url`, on `clock` (a clock standing at CLOCK_START
    unless given). Consumed events are handed to its inbox consumer directly."""
    service_clock = clock or SettableClock(CLOCK_START)
    async with testing.service_in_process(
        definition,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        roles=roles,
        clock=service_clock,
    ) as service:
        [consumer] = consumers(service.runtime)
        yield Billing(service, consumer, service_clock)


@dataclass
class Billing:
    """The billing API in-process, its database, and a way to feed it consumed events."""

    service: BillingService
    consumer: InboxConsumer
    clock: SettableClock
    """Billing's clock: it stands still until a test moves it."""

    @property
    def client(self) -> httpx.AsyncClient:
        return self.service.client

    @property
    def runtime(self) -> Runtime[BillingSettings, BillingUnitOfWork]:
        return self.service.runtime

    @property
    def database_url(self) -> str:
        return self.service.database_url

    def client_with(self, headers: dict[str, str]) -> httpx.AsyncClient:
        """Another client of the same in-process app, with default headers."""
        return self.service.client_with(headers)

    async def deliver(self, payload: EventPayload, *, event_id: UUID | None = None) -> None:
        """Hands an event to billing's inbox consumer, as if Kafka had delivered it."""
        await self.consumer.process([testing.consumed_record(payload, event_id=event_id)])

    async def register_customer(self, payment_terms_days: int = 30, **overrides: Any) -> UUID:
        customer_id = uuid4()
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "account_number": f"C{customer_id.int % 10**8:08d}",
            "kind": "company",
            "display_name": "Menuiserie Lefèvre SARL",
            "email": "compta@lefevre.example.fr",
            "country": "FR",
            "payment_terms_days": payment_terms_days,
        }
        values.update(overrides)
        await self.deliver(CustomerRegistered(**values))
        return customer_id

    async def counts(self) -> dict[str, Any]:
        async with self.runtime.engine.connect() as conn:
            found: dict[str, Any] = {}
            for name, table in COUNTED.items():
                found[name] = await conn.scalar(sa.select(sa.func.count()).select_from(table))
            found["numbers"] = await conn.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(tables.number_counters.c.value), 0))
            )
            found["credit"] = await conn.scalar(
                sa.select(sa.func.sum(tables.customers.c.credit_available))
            )
            found["invoice_rows"] = (
                await conn.execute(
                    sa.select(tables.invoices.c.id, tables.invoices.c.version).order_by(
                        tables.invoices.c.id
                    )
                )
            ).all()
            return found
