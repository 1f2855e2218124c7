"""Collections learns notice recipients from sealed customer events (v2) as from clear ones
(v1), forgets them at the erasure, and learns none from events it reads after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from collections_harness import Collections, account_of, running_collections

from coulisse.collections.adapters import tables
from coulisse.collections.entrypoints.consumers import consumers
from coulisse.contracts.base import EventPayload
from coulisse.contracts.customer import Address, CustomerErased
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.inbox import InboxConsumer, InfrastructureUnavailable
from coulisse.platform.testing_keys import KeyService

pytestmark = pytest.mark.integration

NAME, EMAIL = "Anatole Sealed-Collections", "anatole@sealed.example"
ADDRESS = Address(line1="9 quai des Sealed", postal_code="44000", city="Nantes", country="FR")


@pytest.fixture
async def collections(make_database: DatabaseFactory) -> AsyncIterator[Collections]:
    async with running_collections(await make_database()) as found:
        yield found


async def reading_keys_from(collections: Collections, keys: KeyService) -> InboxConsumer:
    """Collections' consumer, asking `keys` for customers' keys instead of the customer service."""
    runtime = collections.runtime
    if runtime.customer_data is not None:
        await runtime.customer_data.aclose()
    runtime.customer_data = keys.customer_events(collections.clock)
    [consumer] = consumers(runtime)
    return consumer


async def deliver(consumer: InboxConsumer, *payloads: EventPayload) -> None:
    for payload in payloads:
        await consumer.process([testing.consumed_record(payload)])


async def recipient(collections: Collections, customer_id: UUID) -> dict[str, Any] | None:
    table = tables.notice_recipients
    async with collections.runtime.engine.connect() as conn:
        row = (
            (await conn.execute(sa.select(table).where(table.c.customer_id == customer_id)))
            .mappings()
            .first()
        )
    return None if row is None else dict(row)


async def test_recipients_are_learned_from_sealed_events_and_forgotten_at_the_erasure(
    collections: Collections,
) -> None:
    keys = KeyService()
    consumer = await reading_keys_from(collections, keys)
    customer_id = uuid4()
    account = account_of(customer_id)
    await deliver(
        consumer,
        keys.registered(customer_id, account, kind="person", display_name=NAME, email=EMAIL),
        keys.updated(customer_id, account, kind="person", address=ADDRESS),
    )
    found = await recipient(collections, customer_id)
    assert found is not None
    assert (found["display_name"], found["email"]) == (NAME, EMAIL)
    assert found["address"]["city"] == "Nantes"

    keys.erase(customer_id)
    await deliver(consumer, CustomerErased(customer_id=customer_id, account_number=account))
    assert await recipient(collections, customer_id) is None
    assert consumer.dead_lettered_count == 0


async def test_events_read_after_the_erasure_bring_no_contact_details(
    collections: Collections,
) -> None:
    keys = KeyService()
    customer_id = uuid4()
    account = account_of(customer_id)
    events = [
        keys.registered(customer_id, account, kind="person", display_name=NAME, email=EMAIL),
        keys.updated(customer_id, account, kind="person", email="anatole2@sealed.example"),
    ]
    keys.erase(customer_id)
    consumer = await reading_keys_from(collections, keys)
    await deliver(consumer, *events)
    assert await recipient(collections, customer_id) is None
    known = await collections.collections_of(customer_id)
    assert known["customer_id"] == str(customer_id)  # the registration itself was learned
    assert consumer.dead_lettered_count == 0


async def test_an_outage_is_retried_and_learns_nothing_meanwhile(collections: Collections) -> None:
    keys = KeyService()
    consumer = await reading_keys_from(collections, keys)
    customer_id = uuid4()
    registered = keys.registered(customer_id, account_of(customer_id), email=EMAIL)
    keys.down = True
    with pytest.raises(InfrastructureUnavailable):
        await deliver(consumer, registered)
    assert await recipient(collections, customer_id) is None
    keys.down = False
    await deliver(consumer, registered)
    found = await recipient(collections, customer_id)
    assert found is not None and found["email"] == EMAIL
