"""The gateway names auxiliary accounts from sealed customer events (v2); after the erasure it
keeps the label it recorded before, and a replay brings back nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from coulisse.accounting_gateway.adapters.tables import auxiliary_accounts, suspense
from coulisse.accounting_gateway.adapters.uow import GatewayUnitOfWork
from coulisse.accounting_gateway.bootstrap import definition
from coulisse.accounting_gateway.config import GatewaySettings
from coulisse.accounting_gateway.entrypoints.consumers import consumers
from coulisse.contracts.base import EventPayload
from coulisse.contracts.customer import CustomerErased
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.inbox import InboxConsumer
from coulisse.platform.testing_keys import KeyService

pytestmark = pytest.mark.integration

GatewayService = testing.ServiceInProcess[GatewaySettings, GatewayUnitOfWork]
NAME, RENAMED = "Gaston Sealed-Books", "Gaston Sealed-Books & Fils"


@dataclass
class Books:
    service: GatewayService
    consumer: InboxConsumer
    keys: KeyService

    async def deliver(self, *payloads: EventPayload) -> None:
        for payload in payloads:
            await self.consumer.process([testing.consumed_record(payload)])

    async def label(self, customer_id: UUID) -> tuple[str, bool] | None:
        async with self.service.runtime.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(auxiliary_accounts.c.label, auxiliary_accounts.c.erased_at).where(
                        auxiliary_accounts.c.customer_id == customer_id
                    )
                )
            ).first()
        return None if row is None else (row.label, row.erased_at is not None)

    async def suspended(self) -> int:
        async with self.service.runtime.engine.connect() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(suspense)) or 0)


@pytest.fixture
async def books(make_database: DatabaseFactory) -> AsyncIterator[Books]:
    keys = KeyService()
    async with testing.service_in_process(
        definition,
        database_url=await make_database(),
        clock=SettableClock("2026-11-16T09:00:00Z"),
        env={"ACCOUNTING_SIREN": "732829320"},
    ) as service:
        service.runtime.customer_data = keys.customer_events(service.clock)
        [consumer] = consumers(service.runtime)
        yield Books(service, consumer, keys)


async def test_the_label_recorded_before_the_erasure_stays_and_nothing_more_comes_back(
    books: Books,
) -> None:
    keys, customer_id = books.keys, uuid4()
    registered = keys.registered(customer_id, "C700001", kind="person", display_name=NAME)
    renamed = keys.updated(customer_id, "C700001", kind="person", display_name=RENAMED)
    await books.deliver(registered)
    assert await books.label(customer_id) == (NAME, False)
    await books.deliver(renamed)
    assert await books.label(customer_id) == (RENAMED, False)

    keys.erase(customer_id)
    await books.deliver(CustomerErased(customer_id=customer_id, account_number="C700001"))
    assert await books.label(customer_id) == (RENAMED, True)

    # The same events read again after the erasure (a replay): they open no more, and the
    # books' label is not replaced by the pseudonym.
    await books.deliver(registered, renamed)
    assert await books.label(customer_id) == (RENAMED, True)
    assert await books.suspended() == 0  # v2 events post nothing and are not suspended
    assert books.consumer.dead_lettered_count == 0


async def test_an_account_first_read_after_the_erasure_is_named_by_the_pseudonym(
    books: Books,
) -> None:
    keys, customer_id = books.keys, uuid4()
    registered = keys.registered(customer_id, "C700002", display_name=NAME)
    keys.erase(customer_id)
    await books.deliver(registered)
    assert await books.label(customer_id) == ("Erased customer C700002", False)
    assert books.consumer.dead_lettered_count == 0
