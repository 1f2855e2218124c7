"""A front end and a call-center tool against the running customer service, through the real broker.

The front end registers and updates a customer and opens a request over HTTP with a token; the
call-center tool reads `customer.events` with a plain Kafka consumer and checks every event
against its published JSON Schema and the CloudEvents attributes of events.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from service_processes import ServiceProcesses

from coulisse.contracts.topics import CUSTOMER_EVENTS
from coulisse.platform import testing

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SCHEMAS = Path(__file__).resolve().parents[2] / "libs" / "contracts" / "schemas"


@pytest.fixture
async def customer_service(services: ServiceProcesses) -> str:
    url: str = await services.start("customer")
    await services.ready()
    return url


def validate(event: dict[str, Any]) -> None:
    envelope_schema = json.loads((SCHEMAS / "cloudevent.json").read_text())
    jsonschema.validate(event, envelope_schema)
    data_schema = json.loads((SCHEMAS / f"{event['type']}.json").read_text())
    jsonschema.validate(event["data"], data_schema)


async def test_front_end_journey_publishes_valid_cloud_events(
    customer_service: str, kafka_bootstrap: str, web_shop: dict[str, str]
) -> None:
    trace_ids: list[str] = []
    async with httpx.AsyncClient(base_url=customer_service, headers=web_shop, timeout=10) as front:
        created = await front.post(
            "/v1/customers",
            json={
                "kind": "company",
                "display_name": "Atelier Moreau",
                "email": "contact@atelier-moreau.fr",
                "country": "FR",
                "siren": "552100554",
                "payment_terms_days": 30,
            },
        )
        assert created.status_code == 201, created.text
        trace_ids.append(created.headers["x-trace-id"])
        customer = created.json()
        updated = await front.patch(
            f"/v1/customers/{customer['id']}", json={"phone": "+33 1 45 67 89 00"}
        )
        assert updated.status_code == 200
        trace_ids.append(updated.headers["x-trace-id"])
        opened = await front.post(
            f"/v1/customers/{customer['id']}/requests",
            json={
                "category": "billing_question",
                "subject": "Duplicata de facture",
                "channel": "web",
            },
        )
        assert opened.status_code == 201
        trace_ids.append(opened.headers["x-trace-id"])
        request = opened.json()
        moved = await front.patch(
            f"/v1/requests/{request['id']}", json={"status": "resolved", "resolution": "Envoyé"}
        )
        assert moved.status_code == 200
        trace_ids.append(moved.headers["x-trace-id"])

    expected = [
        "customer.customer.registered.v2",
        "customer.customer.updated.v2",
        "customer.request.opened.v1",
        "customer.request.status_changed.v1",
    ]
    records = await testing.read_topic(
        kafka_bootstrap,
        CUSTOMER_EVENTS,
        keep=lambda r: r.key == customer["id"].encode(),
        until=lambda found: len(found) >= len(expected),
    )
    records.sort(key=lambda r: r.offset)
    events = [testing.event_json(r) for r in records]
    assert [e["type"] for e in events] == expected  # one key, one partition: in order

    for event, record, trace_id in zip(events, records, trace_ids, strict=True):
        validate(event)
        assert event["specversion"] == "1.0"
        assert event["source"] == "/coulisse/customer"
        assert event["partitionkey"] == customer["id"]
        assert event["actor"] == "web-shop"
        assert event["datacontenttype"] == "application/json"
        header_map = {k: v.decode() for k, v in record.headers}
        assert header_map["content-type"] == "application/cloudevents+json"
        # One trace from the HTTP call through the outbox to the Kafka record.
        assert event["traceparent"].split("-")[1] == trace_id
        assert header_map["traceparent"].split("-")[1] == trace_id

    registered, updated_event, opened_event, changed = (e["data"] for e in events)
    assert registered["account_number"] == customer["account_number"]
    # The phone is personal data: sealed, named in `changed` but not in clear.
    assert updated_event["changed"] == ["phone"] and updated_event["personal"]["fields"] == [
        "phone"
    ]
    assert "+33 1 45 67 89 00" not in json.dumps(events) and "Atelier Moreau" not in json.dumps(
        events
    )
    assert registered["siren"] == "552100554"  # a company's: in clear
    assert opened_event["request_id"] == request["id"]
    assert changed["status"] == "resolved"
