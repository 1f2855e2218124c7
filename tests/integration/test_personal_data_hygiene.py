"""No log line and no span attribute names a customer: a whole journey, from registration to
erasure, through the customer service and a consumer opening sealed events with a key from the
customer service's route, logged at DEBUG in the services' JSON format and traced in memory."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from coulisse.billing.adapters.tables import customers as billing_customers
from coulisse.billing.bootstrap import definition as billing_definition
from coulisse.billing.entrypoints.consumers import consumers as billing_consumers
from coulisse.customer.bootstrap import definition as customer_definition
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.personal_data import CustomerEvents, PersonalDataKeys
from coulisse.platform.service_token import ServiceToken
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.tables import outbox_table
from coulisse.platform.telemetry import setup_logging, setup_tracing

pytestmark = pytest.mark.integration

SUFFIX = uuid.uuid4().hex[:8]
NAME = f"Zéphyrin Hygiène-{SUFFIX}"
EMAIL = f"zephyrin.{SUFFIX}@hygiene.example"
NEW_EMAIL = f"z.{SUFFIX}@hygiene.example"
PHONE = f"+33 6 {int(SUFFIX, 16) % 10**8:08d}"
SECRETS = (NAME, EMAIL, NEW_EMAIL, PHONE, SUFFIX)
AGENT = testing.auth_headers(["customers:read", "customers:write"], sub="agent-7")


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every log line, as the services write them (`setup_logging`), at DEBUG."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    setup_logging("hygiene", "DEBUG")
    stream = io.StringIO()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    try:
        yield stream
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    setup_tracing("hygiene", ServiceSettings())
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # the processor stays on the provider, exporting nothing any more


def texts_of(span: ReadableSpan) -> Iterator[str]:
    yield span.name
    if span.status.description:
        yield span.status.description
    for value in (span.attributes or {}).values():
        yield str(value)
    for event in span.events:
        yield event.name
        for value in (event.attributes or {}).values():
            yield str(value)


def records_of(outbox_values: list[bytes]) -> list[ConsumerRecord[bytes, bytes]]:
    return [
        ConsumerRecord(
            topic="customer.events",
            partition=0,
            offset=offset,
            timestamp=0,
            timestamp_type=0,
            key=None,
            value=value,
            checksum=None,
            serialized_key_size=0,
            serialized_value_size=len(value),
            headers=(),
        )
        for offset, value in enumerate(outbox_values)
    ]


@pytest.fixture
async def databases(make_database: DatabaseFactory) -> AsyncIterator[tuple[str, str]]:
    yield await make_database(), await make_database()


async def test_a_journey_to_the_erasure_logs_and_traces_no_personal_data(
    databases: tuple[str, str], json_logs: io.StringIO, spans: InMemorySpanExporter
) -> None:
    customer_url, billing_url = databases
    clock = SettableClock("2026-10-15T09:00:00Z")
    async with (
        testing.service_in_process(
            customer_definition, database_url=customer_url, clock=clock
        ) as customer,
        testing.service_in_process(
            billing_definition, database_url=billing_url, clock=clock
        ) as billing,
    ):
        # Billing asks the customer service's real route, with its minted service token.
        keys = PersonalDataKeys(
            base_url=testing.IN_PROCESS_URL,
            token=ServiceToken(billing.settings, clock),
            clock=clock,
            transport=httpx.ASGITransport(app=customer.app),
        )
        if billing.runtime.customer_data is not None:
            await billing.runtime.customer_data.aclose()
        billing.runtime.customer_data = CustomerEvents(keys)
        [consumer] = billing_consumers(billing.runtime)

        api = customer.client
        created = await api.post(
            "/v1/customers",
            json={
                "kind": "person",
                "display_name": NAME,
                "email": EMAIL,
                "phone": PHONE,
                "country": "FR",
                "address": {
                    "line1": f"{SUFFIX} rue de l'Hygiène",
                    "postal_code": "75011",
                    "city": "Paris",
                    "country": "FR",
                },
            },
            headers={**AGENT, "Idempotency-Key": f"hygiene-{SUFFIX}"},
        )
        assert created.status_code == 201, created.text
        customer_id = created.json()["id"]
        found = await api.get("/v1/customers", params={"q": EMAIL}, headers=AGENT)
        assert len(found.json()["items"]) == 1
        assert (
            await api.patch(
                f"/v1/customers/{customer_id}", json={"email": NEW_EMAIL}, headers=AGENT
            )
        ).status_code == 200
        refused = await api.post(
            "/v1/customers",
            json={"kind": "person", "display_name": NAME, "email": f"{NAME} at home"},
            headers=AGENT,
        )
        assert refused.status_code == 422
        opened = await api.post(
            f"/v1/customers/{customer_id}/requests",
            json={"category": "billing_question", "subject": "Duplicata de facture"},
            headers=AGENT,
        )
        assert opened.status_code == 201

        async with customer.runtime.engine.connect() as conn:
            published = list(
                (
                    await conn.execute(
                        sa.select(outbox_table.c.value).order_by(outbox_table.c.position)
                    )
                ).scalars()
            )
        await consumer.process(records_of(published))
        async with billing.runtime.engine.connect() as conn:
            learned = (await conn.execute(sa.select(billing_customers))).mappings().one()
        assert (learned["display_name"], learned["email"]) == (NAME, NEW_EMAIL)

        assert (
            await api.post(f"/v1/customers/{customer_id}/erasure", headers=AGENT)
        ).status_code == 202
        async with customer.runtime.engine.connect() as conn:
            erased = (
                await conn.execute(
                    sa.select(outbox_table.c.value).order_by(outbox_table.c.position)
                )
            ).scalars()
            after = [value for value in erased if value not in published]
        await consumer.process(records_of(after))
        # A replay from the start under another group, once the consumer's cache has expired:
        # the key route answers 410 and the sealed fields read as the pseudonym.
        keys.forget()
        billing.runtime.settings.consumer_group = "billing-replay"
        [replay] = billing_consumers(billing.runtime)
        await replay.process(records_of([*published, *after]))
        assert consumer.dead_lettered_count == replay.dead_lettered_count == 0
        async with billing.runtime.engine.connect() as conn:
            learned = (await conn.execute(sa.select(billing_customers))).mappings().one()
        assert (learned["display_name"], learned["email"], learned["status"]) == (
            f"Erased customer {created.json()['account_number']}",
            None,
            "erased",
        )

    logged = json_logs.getvalue()
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    assert any(line["logger"] == "coulisse.customer.keys" for line in lines)  # it did log
    traced = [text for span in spans.get_finished_spans() for text in texts_of(span)]
    assert any("/v1/customers" in text for text in traced)  # it did trace the requests
    for secret in SECRETS:
        assert secret not in logged, f"{secret!r} is in the logs"
        leaking = [text for text in traced if secret in text]
        assert leaking == [], f"{secret!r} is in span attributes: {leaking[:3]}"
    assert any("q=REDACTED" in text for text in traced)
