"""The right to be forgotten, end to end: after the erasure, the person is nowhere.

A front end registers a person with a name, an e-mail and a phone no other test uses, invoices
and paid, opens a request, changes the e-mail, and the customer is erased. Every service runs as
a real process; the consumers open the sealed events with keys from the customer service's route
(a service token minted from the shared secret). Then every topic of the broker is read from the
start with a plain consumer (dead-letter topics included), every table of every service's
database is read whole, and every service's log: the name, the e-mails and the phone are nowhere,
except the label of the customer's auxiliary account in the books, which the law keeps. The
reporting service's read model is then rebuilt from every topic: the person is not back.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from service_processes import ServiceProcesses, group_at_end

from coulisse.contracts.topics import (
    ACCOUNTING_EVENTS,
    BILLING_EVENTS,
    COLLECTIONS_EVENTS,
    CUSTOMER_EVENTS,
)
from coulisse.platform import testing
from coulisse.platform.db import create_engine

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

SUFFIX = uuid.uuid4().hex[:10]
NAME = f"Ondine Effacée-{SUFFIX}"
EMAIL = f"ondine.{SUFFIX}@erasure.example"
NEW_EMAIL = f"o.{SUFFIX}@erasure.example"
PHONE = f"+33 7 {int(SUFFIX, 16) % 10**8:08d}"
STREET = f"{SUFFIX} allée de l'Oubli"
SECRETS = (NAME, EMAIL, NEW_EMAIL, PHONE, STREET)
KEYS = testing.auth_headers(["customers:keys"], sub="auditor")
REPORTS = testing.auth_headers(["reports:read", "reports:admin"], sub="operations")


@dataclass
class System:
    customer: str
    billing: str
    collections: str
    gateway: str
    reporting: str


@pytest.fixture
async def system(services: ServiceProcesses, kafka_bootstrap: str) -> System:
    logged = {"LOG_LEVEL": "INFO"}
    billing_group = await group_at_end(
        kafka_bootstrap, "billing", [CUSTOMER_EVENTS, COLLECTIONS_EVENTS]
    )
    collections_group = await group_at_end(
        kafka_bootstrap, "collections", [BILLING_EVENTS, CUSTOMER_EVENTS]
    )
    gateway_group = await group_at_end(
        kafka_bootstrap, "accounting-gateway", [BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS]
    )
    reporting_group = await group_at_end(
        kafka_bootstrap,
        "reporting",
        [BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS, ACCOUNTING_EVENTS],
    )
    found = System(
        customer=await services.start("customer", **logged),
        billing=await services.start("billing", COULISSE_CONSUMER_GROUP=billing_group, **logged),
        collections=await services.start(
            "collections", COULISSE_CONSUMER_GROUP=collections_group, **logged
        ),
        gateway=await services.start(
            "accounting-gateway",
            COULISSE_CONSUMER_GROUP=gateway_group,
            ACCOUNTING_SIREN="552100554",
            **logged,
        ),
        reporting=await services.start(
            "reporting",
            COULISSE_CONSUMER_GROUP=reporting_group,
            COULISSE_REBUILD_POLL_SECONDS="0.5",
            **logged,
        ),
    )
    await services.ready()
    return found


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def table_texts(database_url: str) -> dict[str, list[str]]:
    """Every row of every table of a database, each value as text (bytes decoded, JSON dumped)."""
    engine = create_engine(database_url)
    found: dict[str, list[str]] = {}
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            for name in names:
                rows = await conn.execute(sa.text(f'SELECT * FROM "{name}"'))
                found[name] = [" | ".join(_text(value) for value in row) for row in rows.all()]
    finally:
        await engine.dispose()
    return found


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="ignore")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def every_record(bootstrap: str) -> list[tuple[str, str]]:
    """(topic, key + headers + value as text) of every record on the broker, from the start."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[tuple[str, str]] = []
    try:
        # A consumer that subscribes to nothing knows no partitions until it asks the cluster.
        cluster = await consumer._client.fetch_all_metadata()
        topics = sorted(t for t in cluster.topics() if not t.startswith("__"))
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    headers = " ".join(
                        f"{k}={v.decode(errors='ignore')}" for k, v in record.headers
                    )
                    key = (record.key or b"").decode(errors="ignore")
                    value = (record.value or b"").decode(errors="ignore")
                    found.append((tp.topic, f"{key} {headers} {value}"))
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    assert any(topic == CUSTOMER_EVENTS for topic, _ in found)
    return found


async def test_an_erased_person_is_nowhere_but_in_the_books_label(
    services: ServiceProcesses, system: System, kafka_bootstrap: str, web_shop: dict[str, str]
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        customers = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.customer, headers=web_shop, timeout=30)
        )
        billing = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.billing, headers=web_shop, timeout=30)
        )
        customer = created(
            await customers.post(
                "/v1/customers",
                json={
                    "kind": "person",
                    "display_name": NAME,
                    "email": EMAIL,
                    "phone": PHONE,
                    "country": "FR",
                    "address": {
                        "line1": STREET,
                        "postal_code": "35000",
                        "city": "Rennes",
                        "country": "FR",
                    },
                },
                headers={"Idempotency-Key": f"erasure-{SUFFIX}"},
            )
        )
        customer_id, account = customer["id"], customer["account_number"]

        async def billing_knows() -> bool:
            found = await billing.get(f"/v1/customers/{customer_id}/balance")
            return found.status_code == 200

        await testing.eventually(billing_knows, what="billing learns the customer", interval=0.3)
        invoice = created(
            await billing.post(
                "/v1/invoices",
                json={
                    "customer_id": customer_id,
                    "lines": [
                        {
                            "description": "Abonnement",
                            "quantity": "1",
                            "unit_price": "50.00",
                            "vat_rate": "20.0",
                        }
                    ],
                },
                headers={"Idempotency-Key": f"erasure-invoice-{SUFFIX}"},
            )
        )
        created(
            await billing.post(
                "/v1/payments",
                json={
                    "customer_id": customer_id,
                    "amount": "60.00",
                    "currency": "EUR",
                    "method": "transfer",
                    "received_on": invoice["issue_date"],
                    "external_ref": f"VIR-{SUFFIX}",
                },
            )
        )
        created(
            await customers.post(
                f"/v1/customers/{customer_id}/requests",
                json={"category": "billing_question", "subject": "Duplicata de facture"},
            )
        )
        updated = await customers.patch(f"/v1/customers/{customer_id}", json={"email": NEW_EMAIL})
        assert updated.status_code == 200, updated.text

        # Before the erasure, the consumers did read the sealed fields.
        async def learned(service: str, query: str, expected: list[tuple[Any, ...]]) -> bool:
            rows = await _rows(services.databases[service], query, customer_id)
            return rows == expected

        await testing.eventually(
            lambda: learned(
                "billing",
                "SELECT display_name, email FROM customers WHERE id = :id",
                [(NAME, NEW_EMAIL)],
            ),
            what="billing opens the registration and the update",
        )
        await testing.eventually(
            lambda: learned(
                "collections",
                "SELECT display_name, email FROM notice_recipients WHERE customer_id = :id",
                [(NAME, NEW_EMAIL)],
            ),
            what="collections learns the notice recipient",
        )
        await testing.eventually(
            lambda: learned(
                "accounting-gateway",
                "SELECT label FROM auxiliary_accounts WHERE customer_id = :id",
                [(NAME,)],
            ),
            what="the books name the auxiliary account",
        )
        reports = await stack.enter_async_context(
            httpx.AsyncClient(base_url=system.reporting, headers=REPORTS, timeout=30)
        )

        async def profile_name() -> str | None:
            found = await reports.get(f"/v1/customers/{customer_id}/360")
            if found.status_code != 200 or found.json()["profile"] is None:
                return None
            name: str | None = found.json()["profile"]["display_name"]
            return name

        async def reporting_names(expected: str) -> bool:
            return await profile_name() == expected

        await testing.eventually(
            lambda: reporting_names(NAME), what="reporting opens the registration"
        )
        key = await customers.get(f"/v1/customers/{customer_id}/personal-data-key", headers=KEYS)
        assert key.status_code == 200

        erased = await customers.post(f"/v1/customers/{customer_id}/erasure")
        assert erased.status_code == 202, erased.text
        gone = await customers.get(f"/v1/customers/{customer_id}/personal-data-key", headers=KEYS)
        assert gone.status_code == 410

        await testing.eventually(
            lambda: learned(
                "billing",
                "SELECT display_name, email FROM customers WHERE id = :id",
                [(f"Erased customer {account}", None)],
            ),
            what="billing pseudonymises the customer",
        )
        await testing.eventually(
            lambda: learned(
                "collections", "SELECT email FROM notice_recipients WHERE customer_id = :id", []
            ),
            what="collections forgets the notice recipient",
        )
        await testing.eventually(
            lambda: learned(
                "accounting-gateway",
                "SELECT label, erased_at IS NOT NULL FROM auxiliary_accounts WHERE customer_id = :id",
                [(NAME, True)],
            ),
            what="the books keep the label and note the erasure",
        )
        pseudonym = f"Erased customer {account}"
        await testing.eventually(
            lambda: reporting_names(pseudonym), what="reporting pseudonymises the profile"
        )

        # Reporting's read model rebuilt from the start of every topic: still the pseudonym.
        requested = await reports.post("/v1/admin/rebuild")
        assert requested.status_code == 202, requested.text
        rebuild_id = requested.json()["id"]

        async def rebuilt() -> bool:
            found = (await reports.get(f"/v1/admin/rebuilds/{rebuild_id}")).json()
            assert found["state"] != "failed", found
            return bool(found["state"] == "done")

        await testing.eventually(rebuilt, what="reporting rebuilds its read model", timeout=240)
        assert await profile_name() == pseudonym

    # -- every topic from the start, dead letters included ------------------------------------
    for topic, text in await every_record(kafka_bootstrap):
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} is on topic {topic}"

    # -- every table of every service's database ----------------------------------------------
    for service, database_url in services.databases.items():
        for table, rows in (await table_texts(database_url)).items():
            for row in rows:
                for secret in SECRETS:
                    if secret not in row:
                        continue
                    allowed = (service, table, secret) == (
                        "accounting-gateway",
                        "auxiliary_accounts",
                        NAME,
                    )
                    assert allowed, f"{secret!r} is in {service}'s table {table}: {row[:200]}"

    # -- every service's log ------------------------------------------------------------------
    for service in services.databases:
        log = (services.logs / f"{service}.log").read_text(encoding="utf-8", errors="ignore")
        for secret in SECRETS:
            assert secret not in log, f"{secret!r} is in {service}'s log"


async def _rows(database_url: str, query: str, customer_id: str) -> list[tuple[Any, ...]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(sa.text(query), {"id": uuid.UUID(customer_id)})
            return [tuple(row) for row in result.all()]
    finally:
        await engine.dispose()
