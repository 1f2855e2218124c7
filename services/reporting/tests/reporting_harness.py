"""The reporting service in-process for integration tests: events of the other services handed
to its inbox consumer (or published on their topics), its API, and a real HTTP server for its
Server-Sent Events streams (the in-process transport buffers whole answers)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import uvicorn
from fastapi import FastAPI

from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import (
    Allocation,
    DocumentLine,
    InvoiceIssued,
    PaymentReceived,
    VatSubtotal,
)
from coulisse.contracts.customer import CustomerRegistered
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.inbox import InboxConsumer
from coulisse.platform.service_token import customer_events
from coulisse.reporting.adapters.uow import ReportingUnitOfWork
from coulisse.reporting.bootstrap import definition
from coulisse.reporting.config import ReportingSettings
from coulisse.reporting.entrypoints.consumers import consumers

ReportingService = testing.ServiceInProcess[ReportingSettings, ReportingUnitOfWork]

CLOCK_START = datetime(2026, 11, 16, 9, tzinfo=UTC)
READER = testing.auth_headers(["reports:read"], sub="analyst-1")
ADMIN = testing.auth_headers(["reports:read", "reports:admin"], sub="admin-1")

_numbers = itertools.count(1)


def erased_keys() -> httpx.MockTransport:
    """A customer service that says every customer was erased (410): sealed fields become
    placeholders instead of waiting for a service that is not running."""
    return httpx.MockTransport(lambda request: httpx.Response(410))


@asynccontextmanager
async def running_reporting(
    database_url: str,
    *,
    kafka_bootstrap: str = testing.NO_KAFKA,
    roles: str = "api",
    env: Mapping[str, str] | None = None,
    customer_keys: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Reporting]:
    clock = SettableClock(CLOCK_START)
    async with testing.service_in_process(
        definition,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        roles=roles,
        clock=clock,
        env={"COULISSE_STREAM_POLL_SECONDS": "0.1", **(env or {})},
    ) as service:
        runtime = service.runtime
        if runtime.customer_data is None:  # the live consumer, when it runs, made its own
            runtime.customer_data = customer_events(
                runtime.settings, clock, transport=customer_keys or erased_keys()
            )
        [consumer] = consumers(runtime)
        yield Reporting(service, consumer, kafka_bootstrap)


@dataclass
class Reporting:
    service: ReportingService
    consumer: InboxConsumer
    kafka_bootstrap: str
    delivered: list[UUID] = field(default_factory=list)

    @property
    def client(self) -> httpx.AsyncClient:
        return self.service.client

    async def deliver(self, payload: EventPayload, *, event_id: UUID | None = None) -> UUID:
        """Hands an event to the inbox consumer, as if Kafka had delivered it."""
        event_id = event_id or uuid4()
        await self.consumer.process([testing.consumed_record(payload, event_id=event_id)])
        self.delivered.append(event_id)
        return event_id

    async def view(self, customer_id: UUID) -> dict[str, Any]:
        response = await self.client.get(f"/v1/customers/{customer_id}/360", headers=READER)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The app (its lifespan already running) behind a real HTTP server on a free port."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class StreamEvent:
    id: str | None
    event: str | None
    data: str


class EventReader:
    """Reads an open stream's events one by one; comment lines go to `comments`."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = aiter(response.aiter_lines())
        self.comments: list[str] = []
        self.fields: list[str] = []
        """Every field line read, e.g. `retry: 3000`."""

    async def next(self, count: int, *, within: float = 20) -> list[StreamEvent]:
        found: list[StreamEvent] = []
        current: dict[str, str] = {}
        async with asyncio.timeout(within):
            while len(found) < count:
                line = await anext(self._lines)
                if line.startswith(":"):
                    self.comments.append(line)
                elif not line:
                    if "data" in current:
                        found.append(
                            StreamEvent(current.get("id"), current.get("event"), current["data"])
                        )
                    current = {}
                else:
                    self.fields.append(line)
                    name, _, value = line.partition(":")
                    current[name] = value.removeprefix(" ")
        return found

    async def nothing_within(self, seconds: float) -> bool:
        """True when no event arrives for `seconds` (the stream is unusable afterwards)."""
        try:
            await self.next(1, within=seconds)
        except TimeoutError:
            return True
        return False


# -- events as the other services publish them --------------------------------------------------


def account_of(customer_id: UUID) -> str:
    return f"C{customer_id.int % 10**6:06d}"


def registration(customer_id: UUID) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id,
        account_number=account_of(customer_id),
        kind="company",
        display_name="Menuiserie Lefèvre SARL",
        email="compta@lefevre.example.fr",
        country="FR",
        payment_terms_days=30,
    )


def invoice(customer_id: UUID, gross: str, *, due_date: date = date(2026, 12, 16)) -> InvoiceIssued:
    total = Decimal(gross)
    return InvoiceIssued(
        invoice_id=uuid4(),
        number=f"F2026-{next(_numbers):06d}",
        kind="standard",
        customer_id=customer_id,
        account_number=account_of(customer_id),
        issue_date=date(2026, 11, 16),
        due_date=due_date,
        lines=[
            DocumentLine(
                description="Pose de parquet",
                quantity=Decimal(1),
                unit_price=total,
                vat_rate=Decimal("0.0"),
                net=total,
                vat=Decimal("0.00"),
            )
        ],
        vat_breakdown=[VatSubtotal(vat_rate=Decimal("0.0"), net=total, vat=Decimal("0.00"))],
        total_net=total,
        total_vat=Decimal("0.00"),
        total_gross=total,
    )


def payment(customer_id: UUID, issued: InvoiceIssued, amount: str) -> PaymentReceived:
    paid = Decimal(amount)
    return PaymentReceived(
        payment_id=uuid4(),
        customer_id=customer_id,
        account_number=account_of(customer_id),
        amount=paid,
        method="transfer",
        received_on=date(2026, 11, 20),
        external_ref=f"VIR-{uuid4().hex[:8]}",
        allocations=[
            Allocation(invoice_id=issued.invoice_id, invoice_number=issued.number, amount=paid)
        ],
        unallocated=Decimal("0.00"),
    )
