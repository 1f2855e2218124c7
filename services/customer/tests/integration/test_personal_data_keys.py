"""Crypto-shredding on PostgreSQL: events carry sealed personal fields, consumers get the key
from the customer service, and the erasure destroys it in its own transaction."""

from __future__ import annotations

import base64
import json
import os
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa

from coulisse.contracts.customer import CustomerRegisteredV2, CustomerUpdatedV2, PersonalData
from coulisse.customer.adapters.tables import customers, personal_data_keys
from coulisse.customer.adapters.uow import CustomerUnitOfWork
from coulisse.customer.application.keys import rewrap_keys
from coulisse.customer.bootstrap import definition
from coulisse.customer.config import CustomerSettings
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.crypto import DataKey, DecryptionFailed, b64decode
from coulisse.platform.personal_data import open_personal
from coulisse.platform.tables import idempotency_table, outbox_table

pytestmark = pytest.mark.integration

CustomerService = testing.ServiceInProcess[CustomerSettings, CustomerUnitOfWork]
CLOCK_START = datetime(2026, 10, 15, 9, tzinfo=UTC)
AGENT = testing.auth_headers(["customers:read", "customers:write"], sub="agent-42")
BILLING = testing.auth_headers(["customers:keys"], sub="billing")
PERSON = {
    "kind": "person",
    "display_name": "Jeanne Dupont-Sealed",
    "email": "jeanne.sealed@example.fr",
    "phone": "+33 6 11 22 33 44",
    "country": "FR",
    "vat_number": "FR44732829320",
    "address": {
        "line1": "3 rue des Lilas",
        "postal_code": "75020",
        "city": "Paris",
        "country": "FR",
    },
}
PERSONAL_VALUES = ("Jeanne Dupont-Sealed", "jeanne.sealed@example.fr", "+33 6 11 22 33 44", "Lilas")


def master_keys(*names: str) -> str:
    return ",".join(f"{name}:{base64.b64encode(os.urandom(32)).decode()}" for name in names)


async def outbox_events(service: CustomerService, customer_id: str) -> list[dict[str, Any]]:
    async with service.runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox_table.c.value)
            .where(outbox_table.c.key == customer_id)
            .order_by(outbox_table.c.position)
        )
        return [json.loads(value) for value in rows.scalars()]


async def fetch_key(client: httpx.AsyncClient, customer_id: str) -> httpx.Response:
    return await client.get(f"/v1/customers/{customer_id}/personal-data-key", headers=BILLING)


def key_of(response: httpx.Response) -> DataKey:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["algorithm"] == "AES-256-GCM"
    return DataKey(UUID(body["key_id"]), b64decode(body["key"]))


async def test_events_are_sealed_and_the_key_route_opens_them(
    customer_service: CustomerService,
) -> None:
    client = customer_service.client
    created = await client.post("/v1/customers", json=PERSON, headers=AGENT)
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    patched = await client.patch(
        f"/v1/customers/{customer_id}",
        json={"email": "j.dupont.sealed@example.fr", "payment_terms_days": 45},
        headers=AGENT,
    )
    assert patched.status_code == 200

    events = await outbox_events(customer_service, customer_id)
    assert [e["type"] for e in events] == [
        "customer.customer.registered.v2",
        "customer.customer.updated.v2",
    ]
    for event in events:
        for value in (*PERSONAL_VALUES, "j.dupont.sealed@example.fr", "FR44732829320"):
            assert value not in json.dumps(event)

    response = await fetch_key(client, customer_id)
    assert response.headers["cache-control"] == "no-store"
    key = key_of(response)
    registered = CustomerRegisteredV2.model_validate(events[0]["data"])
    opened = open_personal(key, UUID(customer_id), registered.personal)
    assert opened["display_name"] == "Jeanne Dupont-Sealed"
    assert opened["vat_number"] == "FR44732829320"  # a person's: sealed
    assert opened["address"]["city"] == "Paris"
    updated = CustomerUpdatedV2.model_validate(events[1]["data"])
    assert updated.payment_terms_days == 45 and updated.account_number == registered.account_number
    assert updated.personal is not None
    assert open_personal(key, UUID(customer_id), updated.personal) == {
        "email": "j.dupont.sealed@example.fr"
    }

    # Stored wrapped, never in clear.
    async with customer_service.runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(personal_data_keys))).mappings().one()
    assert row["key_id"] == key.key_id and key.secret not in bytes(row["wrapped_key"])


async def test_the_key_route_is_for_services_and_knows_only_customers(
    customer_service: CustomerService,
) -> None:
    client = customer_service.client
    customer_id = (await client.post("/v1/customers", json=PERSON, headers=AGENT)).json()["id"]
    refused = await client.get(f"/v1/customers/{customer_id}/personal-data-key", headers=AGENT)
    assert refused.status_code == 403
    unknown = await fetch_key(client, "6f1c3b52-9a0e-4d8e-9a56-2f1f4b1a7c01")
    assert unknown.status_code == 404


async def test_erasure_destroys_the_key_so_no_copy_of_the_events_opens_any_more(
    customer_service: CustomerService,
) -> None:
    client = customer_service.client
    created = await client.post(
        "/v1/customers", json=PERSON, headers={**AGENT, "Idempotency-Key": "register-jeanne"}
    )
    customer_id = created.json()["id"]
    key = key_of(await fetch_key(client, customer_id))
    other = (
        await client.post(
            "/v1/customers", json={**PERSON, "email": "other@example.fr"}, headers=AGENT
        )
    ).json()["id"]

    erased = await client.post(f"/v1/customers/{customer_id}/erasure", headers=AGENT)
    assert erased.status_code == 202

    gone = await fetch_key(client, customer_id)
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert (await fetch_key(client, other)).status_code == 200  # only theirs
    async with customer_service.runtime.engine.connect() as conn:
        kept = (await conn.execute(sa.select(personal_data_keys.c.customer_id))).scalars().all()
        assert kept == [UUID(other)]
        stored = (await conn.execute(sa.select(idempotency_table.c.response_body))).scalars()
        assert not any(b"Jeanne" in bytes(body) for body in stored)
        row = (
            (await conn.execute(sa.select(customers).where(customers.c.id == UUID(customer_id))))
            .mappings()
            .one()
        )
    assert row["display_name"] == f"Erased customer {row['account_number']}"
    assert row["phone"] is None and row["vat_number"] is None

    # What was published before the erasure opens only with the destroyed key.
    registered = CustomerRegisteredV2.model_validate(
        (await outbox_events(customer_service, customer_id))[0]["data"]
    )
    assert open_personal(key, UUID(customer_id), registered.personal)["email"]
    with pytest.raises(DecryptionFailed):
        open_personal(DataKey.generate(), UUID(customer_id), _with_key_of(registered.personal))


def _with_key_of(sealed: PersonalData) -> PersonalData:
    # Any other key (the key id aside) cannot open it: the ciphertext is authenticated.
    return sealed.model_copy(update={"key_id": DataKey.generate().key_id})


async def test_a_customer_registered_before_sealing_gets_a_key_at_the_first_update(
    customer_service: CustomerService,
) -> None:
    client = customer_service.client
    customer_id = (await client.post("/v1/customers", json=PERSON, headers=AGENT)).json()["id"]
    async with customer_service.runtime.engine.begin() as conn:
        await conn.execute(sa.delete(personal_data_keys))  # as before this version
    assert (await fetch_key(client, customer_id)).status_code == 404
    await client.patch(f"/v1/customers/{customer_id}", json={"phone": None}, headers=AGENT)
    key = key_of(await fetch_key(client, customer_id))
    updated = CustomerUpdatedV2.model_validate(
        (await outbox_events(customer_service, customer_id))[-1]["data"]
    )
    assert updated.personal is not None
    assert open_personal(key, UUID(customer_id), updated.personal) == {"phone": None}


async def test_the_master_key_rotates_without_changing_the_data_keys(
    make_database: DatabaseFactory,
) -> None:
    database_url = await make_database()
    old, new = master_keys("2026-a"), master_keys("2026-b")
    clock = SettableClock(CLOCK_START)

    def running(keys: str) -> AbstractAsyncContextManager[CustomerService]:
        return testing.service_in_process(
            definition,
            database_url=database_url,
            clock=clock,
            env={"COULISSE_PERSONAL_DATA_MASTER_KEYS": keys},
        )

    async with running(old) as service:
        customer_id = (
            await service.client.post("/v1/customers", json=PERSON, headers=AGENT)
        ).json()["id"]
        before = key_of(await fetch_key(service.client, customer_id))

    async with running(f"{new},{old}") as service:
        assert key_of(await fetch_key(service.client, customer_id)) == before
        assert await rewrap_keys(service.runtime.uow_factory, batch=1) == 1
        assert await rewrap_keys(service.runtime.uow_factory) == 0  # nothing left to do
        async with service.runtime.engine.connect() as conn:
            wrapped_by = (
                await conn.execute(sa.select(personal_data_keys.c.master_key_id))
            ).scalars()
            assert list(wrapped_by) == ["2026-b"]

    async with running(new) as service:  # the old master key is gone
        assert key_of(await fetch_key(service.client, customer_id)) == before
