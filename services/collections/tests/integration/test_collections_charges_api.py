"""Charges over HTTP on PostgreSQL and Kafka: a waived charge is never assessed (and the waiver is
published), the reference rates an operator enters extend the default rate, and a customer's
contract rate is refused below three times the legal rate and then charged."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from collections_harness import AGENT, READER, Collections, problem_fields

pytestmark = pytest.mark.integration

DUE = date(2026, 1, 16)
LEVEL_DAYS = (date(2026, 1, 13), date(2026, 1, 23), date(2026, 1, 31), date(2026, 2, 15))


async def climb(collections: Collections) -> dict[str, Any]:
    """Runs each level's day of the default policy; the formal notice's run."""
    found: dict[str, Any] = {}
    for day in LEVEL_DAYS:
        collections.on(day)
        response = await collections.run(day)
        assert response.status_code == 201, response.text
        found = response.json()
    return found


async def test_a_waived_charge_is_kept_published_and_never_assessed(
    collections: Collections,
) -> None:
    customer_id = await collections.register()
    issued = await collections.invoice(customer_id, "1000.00", due_date=DUE)
    collections.on(date(2026, 1, 20))
    body = {
        "invoice_id": str(issued.invoice_id),
        "kind": "late_interest",
        "reason": "late delivery",
    }
    headers = {**AGENT, "Idempotency-Key": "waiver-1"}
    created = await collections.client.post("/v1/charge-waivers", json=body, headers=headers)
    assert created.status_code == 201, created.text
    waiver = created.json()
    assert (waiver["kind"], waiver["waived_on"], waiver["invoice_number"]) == (
        "late_interest",
        "2026-01-20",
        issued.number,
    )
    replay = await collections.client.post("/v1/charge-waivers", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json() == waiver
    read = await collections.client.get(f"/v1/charge-waivers/{waiver['id']}", headers=READER)
    assert read.status_code == 200 and read.json() == waiver

    before = await collections.counts()
    twice = await collections.client.post("/v1/charge-waivers", json=body, headers=AGENT)
    assert twice.status_code == 409 and problem_fields(twice) == ["kind"]
    unknown = await collections.client.post(
        "/v1/charge-waivers", json={**body, "invoice_id": str(uuid4())}, headers=AGENT
    )
    assert unknown.status_code == 404
    wrong_kind = await collections.client.post(
        "/v1/charge-waivers", json={**body, "kind": "vat"}, headers=AGENT
    )
    assert wrong_kind.status_code == 422 and problem_fields(wrong_kind) == ["body.kind"]
    assert await collections.counts() == before

    view = await collections.collections_of(customer_id)
    assert view["receivables"][0]["waived_charges"] == ["late_interest"]

    formal = await climb(collections)
    assert [(f["kind"], f["amount"]) for f in formal["fees"]] == [("recovery_indemnity", "40.00")]
    events = await collections.published(customer_id, 6)
    assert events[0]["type"] == "collections.fee.waived.v1"
    assert events[0]["data"]["reason"] == "late delivery"


async def test_reference_rates_are_listed_and_a_new_half_year_is_entered(
    collections: Collections,
) -> None:
    listed = await collections.client.get("/v1/reference-rates", headers=READER)
    assert listed.status_code == 200
    rates = listed.json()
    assert rates["legal_interest"][-1] == {
        "kind": "legal_interest",
        "effective_on": "2025-07-01",
        "rate": "2.76",
        "source": "Legal interest rate, second half of 2025, creditors other than consumers",
    }
    assert rates["default_penalty_rates"][-1]["first_day"] == "2026-01-01"
    assert rates["default_penalty_rates"][-1]["last_day"] == "2026-06-30"

    path = "/v1/reference-rates/ecb_main_refinancing/2026-07-01"
    body = {"rate": "2.00", "source": "ECB main refinancing rate on 1 July 2026"}
    entered = await collections.client.put(path, json=body, headers=AGENT)
    assert entered.status_code == 201, entered.text
    again = await collections.client.put(path, json=body, headers=AGENT)
    assert again.status_code == 200 and again.json() == entered.json()
    different = await collections.client.put(path, json={**body, "rate": "2.25"}, headers=AGENT)
    assert different.status_code == 409 and problem_fields(different) == ["rate"]
    shipped = await collections.client.put(
        "/v1/reference-rates/ecb_main_refinancing/2025-07-01",
        json={"rate": "9.99", "source": "typo"},
        headers=AGENT,
    )
    assert shipped.status_code == 409
    mid_year = await collections.client.put(
        "/v1/reference-rates/legal_interest/2026-03-01", json=body, headers=AGENT
    )
    assert mid_year.status_code == 422 and problem_fields(mid_year) == ["effective_on"]
    reader = await collections.client.put(path, json=body, headers=READER)
    assert reader.status_code == 403

    listed = (await collections.client.get("/v1/reference-rates", headers=READER)).json()
    assert listed["default_penalty_rates"][-1] == {
        "first_day": "2026-07-01",
        "last_day": "2026-12-31",
        "rate": "12.00",
        "source": "ECB main refinancing rate on 1 July 2026, plus 10 points "
        "(Code de commerce L441-10)",
    }


async def test_a_contract_rate_is_checked_then_charged(collections: Collections) -> None:
    customer_id = await collections.register()
    await collections.invoice(customer_id, "1000.00", due_date=DUE)
    path = f"/v1/customers/{customer_id}/late-payment-rate"
    low = {"rate": "8.27", "effective_on": "2025-09-01", "reference": "CGV 2025 art. 9"}
    before = await collections.counts()
    refused = await collections.client.put(path, json=low, headers=AGENT)
    assert refused.status_code == 422 and problem_fields(refused) == ["rate"]
    assert "8.28" in refused.json()["detail"]
    assert await collections.counts() == before
    unknown = await collections.client.put(
        f"/v1/customers/{uuid4()}/late-payment-rate", json=low, headers=AGENT
    )
    assert unknown.status_code == 404

    agreed = await collections.client.put(path, json={**low, "rate": "10.00"}, headers=AGENT)
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["rate"] == "10.00"
    assert (await collections.collections_of(customer_id))["late_payment_rate"] == "10.00"

    formal = await climb(collections)
    fees = {f["kind"]: f for f in formal["fees"]}
    # 1,000.00 × 10 % × 30 days / 365 = 8.2191… → 8.22
    assert fees["late_interest"]["amount"] == "8.22"
    assert fees["late_interest"]["interest"]["periods"][0]["rate"] == "10.00"

    removed = await collections.client.delete(path, headers=AGENT)
    assert removed.status_code == 200 and removed.json()["rate"] is None
