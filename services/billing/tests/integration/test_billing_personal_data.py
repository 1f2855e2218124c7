"""Billing reads sealed customer events (v2) like clear ones (v1); once the customer is erased
it keeps only the pseudonym, even when it reads their events for the first time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from billing_harness import Billing, running_billing

from coulisse.billing.adapters import tables
from coulisse.billing.entrypoints.consumers import consumers
from coulisse.contracts.base import EventPayload
from coulisse.contracts.customer import CustomerErased
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.inbox import InboxConsumer, InfrastructureUnavailable
from coulisse.platform.testing_keys import KeyService

pytestmark = pytest.mark.integration

NAME, EMAIL, NEW_EMAIL = "Hortense Sealed-Billing", "hortense@sealed.example", "h2@sealed.example"


@pytest.fixture
async def billing(make_database: DatabaseFactory) -> AsyncIterator[Billing]:
    async with running_billing(await make_database()) as found:
        yield found


async def reading_keys_from(billing: Billing, keys: KeyService) -> InboxConsumer:
    """Billing's consumer, asking `keys` for customers' keys instead of the customer service."""
    runtime = billing.runtime
    if runtime.customer_data is not None:
        await runtime.customer_data.aclose()
    runtime.customer_data = keys.customer_events(billing.clock)
    [consumer] = consumers(runtime)
    return consumer


async def deliver(consumer: InboxConsumer, *payloads: EventPayload) -> None:
    for payload in payloads:
        await consumer.process([testing.consumed_record(payload)])


async def customer_row(billing: Billing, customer_id: UUID) -> dict[str, Any]:
    async with billing.runtime.engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    sa.select(tables.customers).where(tables.customers.c.id == customer_id)
                )
            )
            .mappings()
            .one()
        )
    return dict(row)


async def test_sealed_registration_and_update_then_erasure(billing: Billing) -> None:
    keys = KeyService()
    consumer = await reading_keys_from(billing, keys)
    customer_id = uuid4()
    await deliver(
        consumer,
        keys.registered(customer_id, "C800001", kind="person", display_name=NAME, email=EMAIL),
        keys.updated(customer_id, "C800001", kind="person", email=NEW_EMAIL, payment_terms_days=20),
    )
    row = await customer_row(billing, customer_id)
    assert (row["display_name"], row["email"], row["payment_terms_days"]) == (NAME, NEW_EMAIL, 20)
    assert row["status"] == "active"

    keys.erase(customer_id)
    await deliver(consumer, CustomerErased(customer_id=customer_id, account_number="C800001"))
    row = await customer_row(billing, customer_id)
    assert (row["display_name"], row["email"], row["status"]) == (
        "Erased customer C800001",
        None,
        "erased",
    )
    assert consumer.dead_lettered_count == 0


async def test_a_replay_after_the_erasure_brings_back_only_the_pseudonym(billing: Billing) -> None:
    keys = KeyService()
    customer_id = uuid4()
    events = [
        keys.registered(customer_id, "C800002", kind="person", display_name=NAME, email=EMAIL),
        keys.updated(customer_id, "C800002", kind="person", display_name="Hortense Renamed"),
    ]
    keys.erase(customer_id)  # before billing ever read them: a rebuild, a new consumer
    consumer = await reading_keys_from(billing, keys)
    await deliver(consumer, *events)
    row = await customer_row(billing, customer_id)
    assert (row["display_name"], row["email"]) == ("Erased customer C800002", None)
    assert consumer.dead_lettered_count == 0  # never an error, never a dead letter
    await deliver(consumer, CustomerErased(customer_id=customer_id, account_number="C800002"))
    assert (await customer_row(billing, customer_id))["status"] == "erased"


async def test_an_outage_of_the_customer_service_is_retried_not_replaced_by_a_placeholder(
    billing: Billing,
) -> None:
    keys = KeyService()
    consumer = await reading_keys_from(billing, keys)
    customer_id = uuid4()
    registered = keys.registered(customer_id, "C800003", display_name=NAME, email=EMAIL)
    keys.down = True
    with pytest.raises(InfrastructureUnavailable):
        await deliver(consumer, registered)
    async with billing.runtime.engine.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(tables.customers)
            .where(tables.customers.c.id == customer_id)
        )
    assert found == 0 and consumer.dead_lettered_count == 0
    keys.down = False
    await deliver(consumer, registered)  # the redelivery, once the customer service is back
    assert (await customer_row(billing, customer_id))["display_name"] == NAME
