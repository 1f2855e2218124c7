"""Payments, customer credit, refunds and replays over HTTP on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from billing_calls import AGENT, balance, create_invoice, pay, problem_fields, two_lines
from billing_harness import Billing

from coulisse.contracts.customer import CustomerErased, CustomerUpdated
from coulisse.platform.clock import today

pytestmark = pytest.mark.integration


async def test_oldest_due_first_partial_then_overpaid(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    first = await create_invoice(billing.client, customer_id, issue_date="2026-10-01")
    second = await create_invoice(billing.client, customer_id, issue_date="2026-10-15")
    partial = await pay(billing.client, customer_id, "400.00", "VIR-001")
    assert partial.status_code == 201, partial.text
    body = partial.json()
    assert body["allocations"] == [
        {"invoice_id": first["id"], "invoice_number": first["number"], "amount": "320.12"},
        {"invoice_id": second["id"], "invoice_number": second["number"], "amount": "79.88"},
    ]
    assert body["unallocated"] == "0.00" and body["id"] == body["payment_id"]
    state = await balance(billing.client, customer_id)
    assert state["balance"] == "240.24"
    assert [(i["invoice_id"], i["amount_due"], i["status"]) for i in state["open_invoices"]] == [
        (second["id"], "240.24", "partially_paid")
    ]

    # Listed newest first: a moment passes between the two payments, on billing's standing clock.
    billing.clock.advance(timedelta(seconds=1))
    over = await pay(billing.client, customer_id, "300.00", "VIR-002", method="card")
    assert over.status_code == 201
    assert over.json()["unallocated"] == "59.76"
    state = await balance(billing.client, customer_id)
    assert (state["balance"], state["credit_available"], state["open_invoices"]) == (
        "-59.76",
        "59.76",
        [],
    )
    assert (state["invoiced"], state["paid"]) == ("640.24", "700.00")
    read = await billing.client.get(f"/v1/payments/{over.json()['id']}", headers=AGENT)
    assert read.json() == over.json()
    listed = await billing.client.get(
        "/v1/payments", params={"customer_id": str(customer_id)}, headers=AGENT
    )
    assert [p["external_ref"] for p in listed.json()["items"]] == ["VIR-002", "VIR-001"]


async def test_explicit_allocations(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    older = await create_invoice(billing.client, customer_id)
    newer = await create_invoice(billing.client, customer_id)
    response = await pay(
        billing.client,
        customer_id,
        "150.00",
        "CHQ-1",
        method="check",
        allocations=[{"invoice_id": newer["id"], "amount": "100.00"}],
    )
    assert response.status_code == 201, response.text
    assert [(a["invoice_id"], a["amount"]) for a in response.json()["allocations"]] == [
        (newer["id"], "100.00")
    ]
    assert response.json()["unallocated"] == "50.00"
    states = {
        i["invoice_id"]: i["amount_due"]
        for i in (await balance(billing.client, customer_id))["open_invoices"]
    }
    assert states == {older["id"]: "320.12", newer["id"]: "220.12"}


async def test_bad_payments_change_nothing(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    stranger = await billing.register_customer()
    invoice = await create_invoice(billing.client, customer_id)
    theirs = await create_invoice(billing.client, stranger)
    draft = await create_invoice(billing.client, customer_id, issue=False)
    ok = await pay(billing.client, customer_id, "10.00", "VIR-DUP")
    assert ok.status_code == 201
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"amount": "0.00"}, 422, "body.amount"),
        ({"amount": "-5.00"}, 422, "body.amount"),
        ({"amount": 10.5}, 422, "body.amount"),
        ({"amount": "10.005"}, 422, "body.amount"),
        ({"method": "bitcoin"}, 422, "body.method"),
        ({"received_on": "02/11/2026"}, 422, "body.received_on"),
        ({"received_on": "2099-01-01"}, 422, "received_on"),
        ({"external_ref": "VIR-DUP"}, 409, "external_ref"),
        ({"allocations": []}, 422, "body.allocations"),
        (
            {"allocations": [{"invoice_id": theirs["id"], "amount": "1.00"}]},
            422,
            "allocations.0.invoice_id",
        ),
        (
            {"allocations": [{"invoice_id": draft["id"], "amount": "1.00"}]},
            409,
            "allocations.0.invoice_id",
        ),
        (
            {
                "allocations": [{"invoice_id": invoice["id"], "amount": "320.13"}],
                "amount": "999.00",
            },
            409,
            "allocations.0.amount",
        ),
        ({"allocations": [{"invoice_id": invoice["id"], "amount": "60.00"}]}, 422, "allocations"),
        (
            {"allocations": [{"invoice_id": invoice["id"], "amount": 5}]},
            422,
            "body.allocations.0.amount",
        ),
    ]
    before = await billing.counts()
    for overrides, status, field in cases:
        response = await pay(billing.client, customer_id, "50.00", "VIR-NEW", **overrides)
        assert response.status_code == status, (overrides, response.text)
        assert field in problem_fields(response), overrides
    assert await billing.counts() == before


async def test_refunds_never_exceed_the_credit_and_keep_the_request(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    await create_invoice(billing.client, customer_id)
    assert (await pay(billing.client, customer_id, "400.00", "VIR-R1")).status_code == 201
    before = await billing.counts()
    body: dict[str, Any] = {
        "customer_id": str(customer_id),
        "amount": "79.89",
        "method": "transfer",
        "reason": "overpayment",
    }
    too_much = await billing.client.post("/v1/refunds", json=body, headers=AGENT)
    assert too_much.status_code == 409
    assert problem_fields(too_much) == ["amount"]
    assert too_much.json()["credit_available"] == "79.88"
    bad_refunds: list[tuple[dict[str, Any], str]] = [
        ({"reason": "mistake"}, "body.reason"),
        ({"amount": 79.88}, "body.amount"),
        ({"amount": "0.00"}, "body.amount"),
        ({"request_id": "nope"}, "body.request_id"),
    ]
    for bad, field in bad_refunds:
        response = await billing.client.post("/v1/refunds", json={**body, **bad}, headers=AGENT)
        assert response.status_code == 422 and field in problem_fields(response), bad
    assert await billing.counts() == before

    request_id = str(uuid4())
    refund = await billing.client.post(
        "/v1/refunds", json={**body, "amount": "79.88", "request_id": request_id}, headers=AGENT
    )
    assert refund.status_code == 201, refund.text
    assert (refund.json()["request_id"], refund.json()["amount"]) == (request_id, "79.88")
    read = await billing.client.get(f"/v1/refunds/{refund.json()['id']}", headers=AGENT)
    assert read.json() == refund.json()
    state = await balance(billing.client, customer_id)
    assert (state["balance"], state["credit_available"], state["refunded"]) == (
        "0.00",
        "0.00",
        "79.88",
    )


async def test_creating_posts_replay_with_the_same_key(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    invoice_body = {"customer_id": str(customer_id), "lines": two_lines()}
    first = await billing.client.post(
        "/v1/invoices", json=invoice_body, headers={**AGENT, "Idempotency-Key": "inv-1"}
    )
    invoice_id = first.json()["id"]
    payment = {
        "customer_id": str(customer_id),
        "amount": "400.00",
        "method": "transfer",
        "received_on": "2026-11-02",
        "external_ref": "VIR-IDEM",
    }
    refund = {
        "customer_id": str(customer_id),
        "amount": "5.00",
        "method": "card",
        "reason": "goodwill",
    }
    credit = {"reason": "Remise", "lines": [two_lines()[1]]}
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("/v1/invoices", invoice_body, {**invoice_body, "lines": two_lines()[:1]}),
        (f"/v1/invoices/{invoice_id}/credit-notes", credit, {**credit, "reason": "Autre"}),
        ("/v1/payments", payment, {**payment, "amount": "401.00"}),
        ("/v1/refunds", refund, {**refund, "amount": "6.00"}),
    ]
    for index, (url, body, other_body) in enumerate(calls):
        headers = {**AGENT, "Idempotency-Key": "inv-1" if index == 0 else f"key-{index}"}
        if index == 0:
            original = first
        else:
            original = await billing.client.post(url, json=body, headers=headers)
        assert original.status_code == 201, original.text
        before = await billing.counts()
        replay = await billing.client.post(url, json=body, headers=headers)
        assert replay.status_code == 201 and replay.json() == original.json()
        assert replay.headers["idempotent-replayed"] == "true"
        other = await billing.client.post(url, json=other_body, headers=headers)
        assert other.status_code == 422 and problem_fields(other) == ["header.Idempotency-Key"]
        assert await billing.counts() == before, url


async def test_customers_are_learned_in_any_order_and_erasure_stops_invoicing(
    billing: Billing,
) -> None:
    customer_id = uuid4()
    await billing.deliver(
        CustomerUpdated(
            customer_id=customer_id, changed=["payment_terms_days"], payment_terms_days=10
        )
    )
    early = await billing.client.post(
        "/v1/invoices", json={"customer_id": str(customer_id), "lines": two_lines()}, headers=AGENT
    )
    assert early.status_code == 422 and problem_fields(early) == ["customer_id"]
    await billing.register_customer(customer_id=customer_id, account_number="C900001")
    invoice = await create_invoice(billing.client, customer_id)
    # The update's terms, not the registration's.
    assert invoice["due_date"] == (today(billing.clock) + timedelta(days=10)).isoformat()
    assert invoice["account_number"] == "C900001"

    await billing.deliver(CustomerErased(customer_id=customer_id, account_number="C900001"))
    refused = await billing.client.post(
        "/v1/invoices", json={"customer_id": str(customer_id), "lines": two_lines()}, headers=AGENT
    )
    assert refused.status_code == 409 and problem_fields(refused) == ["customer_id"]
    # Money still comes in from an erased customer, and their invoices can still be settled.
    assert (await pay(billing.client, customer_id, "320.12", "VIR-ERASED")).status_code == 201
    assert (await balance(billing.client, customer_id))["balance"] == "0.00"
    async with billing.runtime.uow_factory() as uow:
        known = await uow.customers.get(customer_id)
    assert known is not None
    assert (known.email, known.account_number) == (None, "C900001")
    assert known.display_name == "Erased customer C900001"
