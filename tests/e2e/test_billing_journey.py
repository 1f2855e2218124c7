"""A front end's billing journey against the customer and billing services, through the real broker.

The front end registers a customer at the customer service; billing learns them from
`customer.events`. It invoices them (two VAT rates), takes a partial payment then an overpayment,
opens a refund request at the customer service and refunds the overpayment referencing it, then
credits a line of another invoice. Every response is checked, and so is every event billing
published, against its JSON Schema and the responses.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from service_processes import ServiceProcesses

from coulisse.contracts.topics import BILLING_EVENTS
from coulisse.platform import testing

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SCHEMAS = Path(__file__).resolve().parents[2] / "libs" / "contracts" / "schemas"


@pytest.fixture
async def urls(services: ServiceProcesses) -> dict[str, str]:
    found = {
        "customer": await services.start("customer"),
        "billing": await services.start("billing"),
    }
    await services.ready()
    return found


def validate(event: dict[str, Any]) -> None:
    jsonschema.validate(event, json.loads((SCHEMAS / "cloudevent.json").read_text()))
    jsonschema.validate(event["data"], json.loads((SCHEMAS / f"{event['type']}.json").read_text()))


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_until_billing_knows(billing: httpx.AsyncClient, customer_id: str) -> None:
    async def knows() -> bool:
        response = await billing.get(f"/v1/customers/{customer_id}/balance")
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200

    await testing.eventually(
        knows, what="billing learns the customer from customer.events", interval=0.3
    )


async def test_invoice_pay_overpay_refund_and_credit(
    services: ServiceProcesses, urls: dict[str, str], kafka_bootstrap: str, web_shop: dict[str, str]
) -> None:
    customer_api = httpx.AsyncClient(base_url=urls["customer"], headers=web_shop, timeout=15)
    billing = httpx.AsyncClient(base_url=urls["billing"], headers=web_shop, timeout=15)
    trace_ids: list[str] = []
    try:
        customer = created(
            await customer_api.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": "Librairie Fontaine",
                    "email": "librairie@fontaine.example.fr",
                    "country": "FR",
                    "siren": "552100554",
                    "payment_terms_days": 15,
                },
            )
        )
        customer_id = customer["id"]
        await wait_until_billing_knows(billing, customer_id)

        # Invoice: two lines at two VAT rates, due after the customer's 15 days.
        response = await billing.post(
            "/v1/invoices",
            json={
                "customer_id": customer_id,
                "currency": "EUR",
                "lines": [
                    {
                        "description": "Conseil en agencement",
                        "quantity": "1.5",
                        "unit_price": "80.00",
                        "vat_rate": "20.0",
                        "revenue_account": "706100",
                    },
                    {
                        "description": "Ouvrages",
                        "quantity": "4",
                        "unit_price": "12.35",
                        "vat_rate": "5.5",
                    },
                ],
            },
            headers={"Idempotency-Key": f"journey-invoice-{customer_id}"},
        )
        invoice = created(response)
        trace_ids.append(response.headers["x-trace-id"])
        assert invoice["account_number"] == customer["account_number"]
        assert invoice["issue_date"] == services.today.isoformat()
        assert invoice["due_date"] == (services.today + timedelta(days=15)).isoformat()
        assert [(line["net"], line["vat"]) for line in invoice["lines"]] == [
            ("120.00", "24.00"),
            ("49.40", "2.72"),  # 49.40 × 5.5 % = 2.717
        ]
        assert (invoice["total_net"], invoice["total_vat"], invoice["total_gross"]) == (
            "169.40",
            "26.72",
            "196.12",
        )
        assert (invoice["status"], invoice["amount_due"]) == ("issued", "196.12")

        # Part payment, then an overpayment that becomes customer credit.
        response = await billing.post(
            "/v1/payments",
            json={
                "customer_id": customer_id,
                "amount": "100.00",
                "currency": "EUR",
                "method": "transfer",
                "received_on": invoice["issue_date"],
                "external_ref": "VIR-2026-0001",
            },
        )
        part = created(response)
        trace_ids.append(response.headers["x-trace-id"])
        assert part["allocations"] == [
            {"invoice_id": invoice["id"], "invoice_number": invoice["number"], "amount": "100.00"}
        ]
        state = (await billing.get(f"/v1/invoices/{invoice['id']}")).json()
        assert (state["status"], state["amount_due"]) == ("partially_paid", "96.12")

        response = await billing.post(
            "/v1/payments",
            json={
                "customer_id": customer_id,
                "amount": "150.00",
                "currency": "EUR",
                "method": "card",
                "received_on": invoice["issue_date"],
                "external_ref": "CB-2026-0002",
            },
        )
        over = created(response)
        trace_ids.append(response.headers["x-trace-id"])
        assert over["unallocated"] == "53.88"
        assert [a["amount"] for a in over["allocations"]] == ["96.12"]
        balance = (await billing.get(f"/v1/customers/{customer_id}/balance")).json()
        assert (balance["balance"], balance["credit_available"], balance["open_invoices"]) == (
            "-53.88",
            "53.88",
            [],
        )

        # The customer asks for their money back; billing refunds exactly the credit.
        request = created(
            await customer_api.post(
                f"/v1/customers/{customer_id}/requests",
                json={
                    "category": "refund",
                    "subject": "Trop-perçu sur la facture " + invoice["number"],
                    "invoice_id": invoice["id"],
                    "channel": "email",
                },
            )
        )
        too_much = await billing.post(
            "/v1/refunds",
            json={
                "customer_id": customer_id,
                "amount": "53.89",
                "method": "transfer",
                "reason": "overpayment",
                "request_id": request["id"],
            },
        )
        assert too_much.status_code == 409
        response = await billing.post(
            "/v1/refunds",
            json={
                "customer_id": customer_id,
                "amount": "53.88",
                "method": "transfer",
                "reason": "overpayment",
                "request_id": request["id"],
            },
            headers={"Idempotency-Key": f"journey-refund-{customer_id}"},
        )
        refund = created(response)
        trace_ids.append(response.headers["x-trace-id"])
        assert (refund["request_id"], refund["amount"]) == (request["id"], "53.88")
        balance = (await billing.get(f"/v1/customers/{customer_id}/balance")).json()
        assert (balance["balance"], balance["credit_available"]) == ("0.00", "0.00")

        # Another invoice; one of its lines is credited.
        response = await billing.post(
            "/v1/invoices",
            json={
                "customer_id": customer_id,
                "lines": [
                    {
                        "description": "Abonnement",
                        "quantity": "1",
                        "unit_price": "30.00",
                        "vat_rate": "20",
                    },
                    {
                        "description": "Revue",
                        "quantity": "2",
                        "unit_price": "7.90",
                        "vat_rate": "2.1",
                    },
                ],
            },
        )
        second = created(response)
        trace_ids.append(response.headers["x-trace-id"])
        assert second["total_gross"] == "52.13"  # 36.00 + 15.80 + 0.33
        response = await billing.post(
            f"/v1/invoices/{second['id']}/credit-notes",
            json={
                "reason": "Revue non livrée",
                "lines": [
                    {
                        "description": "Revue",
                        "quantity": "2",
                        "unit_price": "7.90",
                        "vat_rate": "2.1",
                    }
                ],
            },
        )
        note = created(response)
        trace_ids.append(response.headers["x-trace-id"])
        assert (note["invoice_number"], note["total_gross"], note["to_customer_credit"]) == (
            second["number"],
            "16.13",
            "0.00",
        )
        state = (await billing.get(f"/v1/invoices/{second['id']}")).json()
        assert (state["status"], state["amount_due"]) == ("issued", "36.00")
        balance = (await billing.get(f"/v1/customers/{customer_id}/balance")).json()
        assert balance["balance"] == "36.00"
        assert [(i["number"], i["amount_due"]) for i in balance["open_invoices"]] == [
            (second["number"], "36.00")
        ]
        # invoices − credit notes − payments + refunds − write-offs
        assert (balance["invoiced"], balance["credited"], balance["paid"], balance["refunded"]) == (
            "248.25",
            "16.13",
            "250.00",
            "53.88",
        )
    finally:
        await customer_api.aclose()
        await billing.aclose()

    expected = [
        ("billing.invoice.issued.v1", invoice),
        ("billing.payment.received.v1", part),
        ("billing.payment.received.v1", over),
        ("billing.refund.issued.v1", refund),
        ("billing.invoice.issued.v1", second),
        ("billing.credit_note.issued.v1", note),
    ]
    records = await testing.read_topic(
        kafka_bootstrap,
        BILLING_EVENTS,
        keep=lambda r: r.key == customer_id.encode(),
        until=lambda found: len(found) >= len(expected),
    )
    records.sort(key=lambda r: r.offset)
    events = [testing.event_json(r) for r in records]
    assert [e["type"] for e in events] == [kind for kind, _ in expected]
    for event, record, (_, resource), trace_id in zip(
        events, records, expected, trace_ids, strict=True
    ):
        validate(event)
        assert event["source"] == "/coulisse/billing"
        assert event["subject"] == resource["id"]
        assert event["partitionkey"] == customer_id
        assert event["actor"] == "web-shop"
        assert event["traceparent"].split("-")[1] == trace_id
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["content-type"] == "application/cloudevents+json"
        data = event["data"]
        assert data["customer_id"] == customer_id
        assert data["account_number"] == customer["account_number"]
        for field, value in data.items():
            if field in resource:
                assert resource[field] == value, (event["type"], field)
    assert events[3]["data"]["request_id"] == request["id"]
    assert events[3]["data"]["reason"] == "overpayment"
