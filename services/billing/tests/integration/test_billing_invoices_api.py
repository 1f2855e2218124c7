"""Invoices and credit notes over HTTP on PostgreSQL: amounts, numbering, statuses, bad input."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from billing_calls import AGENT, balance, create_invoice, pay, problem_fields, two_lines
from billing_harness import TODAY, Billing

from coulisse.platform import testing
from coulisse.platform.clock import today

pytestmark = pytest.mark.integration


async def test_an_invoice_is_issued_with_exact_totals_and_the_customers_terms(
    billing: Billing,
) -> None:
    customer_id = await billing.register_customer(payment_terms_days=45)
    invoice = await create_invoice(billing.client, customer_id)
    day = today(billing.clock)
    assert re.fullmatch(rf"F{day.year}-\d{{6}}", invoice["number"])
    assert invoice["id"] == invoice["invoice_id"]
    assert invoice["status"] == "issued" and invoice["kind"] == "standard"
    assert invoice["issue_date"] == day.isoformat()
    assert invoice["due_date"] == (day + timedelta(days=45)).isoformat()
    assert [(line["net"], line["vat"]) for line in invoice["lines"]] == [
        ("240.00", "48.00"),
        ("30.45", "1.67"),
    ]
    assert invoice["vat_breakdown"] == [
        {"vat_rate": "20.0", "net": "240.00", "vat": "48.00"},
        {"vat_rate": "5.5", "net": "30.45", "vat": "1.67"},
    ]
    assert (invoice["total_net"], invoice["total_vat"], invoice["total_gross"]) == (
        "270.45",
        "49.67",
        "320.12",
    )
    assert invoice["amount_due"] == "320.12"
    read = await billing.client.get(f"/v1/invoices/{invoice['id']}", headers=AGENT)
    assert read.status_code == 200 and read.json() == invoice
    listed = await billing.client.get(
        "/v1/invoices", params={"customer_id": str(customer_id)}, headers=AGENT
    )
    assert [i["id"] for i in listed.json()["items"]] == [invoice["id"]]


async def test_a_draft_gets_its_number_when_issued_and_never_again(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    draft = await create_invoice(billing.client, customer_id, issue=False)
    assert (draft["status"], draft["number"], draft["amount_due"]) == ("draft", None, "0.00")
    refused = await billing.client.post(
        f"/v1/invoices/{draft['id']}/credit-notes",
        json={"reason": "x", "full": True},
        headers=AGENT,
    )
    assert refused.status_code == 409
    issued = await billing.client.post(f"/v1/invoices/{draft['id']}/issue", headers=AGENT)
    assert issued.status_code == 200, issued.text
    assert issued.json()["status"] == "issued" and issued.json()["number"]
    assert issued.json()["due_date"] == (today(billing.clock) + timedelta(days=30)).isoformat()
    again = await billing.client.post(f"/v1/invoices/{draft['id']}/issue", headers=AGENT)
    assert again.status_code == 409
    read = await billing.client.get(f"/v1/invoices/{draft['id']}", headers=AGENT)
    assert read.json()["number"] == issued.json()["number"]


def _line(**overrides: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "description": "Prestation",
        "quantity": "1",
        "unit_price": "100.00",
        "vat_rate": "20.0",
    }
    line.update(overrides)
    return line


BAD_INVOICES: list[tuple[str, dict[str, Any], str]] = [
    ("zero quantity", {"lines": [_line(quantity="0")]}, "body.lines.0.quantity"),
    ("negative quantity", {"lines": [_line(quantity="-2")]}, "body.lines.0.quantity"),
    ("float quantity", {"lines": [_line(quantity=1.5)]}, "body.lines.0.quantity"),
    ("unknown VAT rate", {"lines": [_line(vat_rate="19.6")]}, "body.lines.0.vat_rate"),
    ("VAT rate as a number", {"lines": [_line(vat_rate=20)]}, "body.lines.0.vat_rate"),
    ("three decimals", {"lines": [_line(unit_price="10.005")]}, "body.lines.0.unit_price"),
    ("float price", {"lines": [_line(unit_price=10.5)]}, "body.lines.0.unit_price"),
    ("negative price", {"lines": [_line(unit_price="-1.00")]}, "body.lines.0.unit_price"),
    (
        "not a revenue account",
        {"lines": [_line(revenue_account="411000")]},
        "body.lines.0.revenue_account",
    ),
    ("no lines", {"lines": []}, "body.lines"),
    ("unknown field", {"discount": "10"}, "body.discount"),
    ("date as a number", {"issue_date": 20261101}, "body.issue_date"),
    ("impossible date", {"issue_date": "2026-02-30"}, "body.issue_date"),
    # Billing's clock stands at TODAY (billing_harness.CLOCK_START).
    ("future issue date", {"issue_date": (TODAY + timedelta(days=2)).isoformat()}, "issue_date"),
    (
        "due before issue",
        {"issue_date": TODAY.isoformat(), "due_date": (TODAY - timedelta(days=1)).isoformat()},
        "due_date",
    ),
    ("other currency", {"currency": "USD"}, "currency"),
    (
        "too large",
        {"lines": [_line(quantity="999999999", unit_price="99999999999.00")]},
        "lines.0.unit_price",
    ),
]


@pytest.mark.parametrize(
    ("case", "overrides", "field"), BAD_INVOICES, ids=[c[0] for c in BAD_INVOICES]
)
async def test_bad_invoices_are_refused_naming_the_field_and_change_nothing(
    billing: Billing, case: str, overrides: dict[str, Any], field: str
) -> None:
    customer_id = await billing.register_customer()
    before = await billing.counts()
    body: dict[str, Any] = {"customer_id": str(customer_id), "lines": [_line()]}
    body.update(overrides)
    response = await billing.client.post("/v1/invoices", json=body, headers=AGENT)
    assert response.status_code == 422, response.text
    assert field in problem_fields(response), case
    assert await billing.counts() == before


async def test_an_unknown_customer_is_a_clear_422(billing: Billing) -> None:
    before = await billing.counts()
    stranger = uuid4()
    response = await billing.client.post(
        "/v1/invoices", json={"customer_id": str(stranger), "lines": two_lines()}, headers=AGENT
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["customer_id"]
    assert "does not know customer" in response.json()["detail"]
    refund = await billing.client.post(
        "/v1/refunds",
        json={
            "customer_id": str(stranger),
            "amount": "1.00",
            "method": "card",
            "reason": "goodwill",
        },
        headers=AGENT,
    )
    assert refund.status_code == 422 and problem_fields(refund) == ["customer_id"]
    payment = await pay(billing.client, stranger, "10.00", "VIR-X")
    assert payment.status_code == 422 and problem_fields(payment) == ["customer_id"]
    missing = await billing.client.get(f"/v1/customers/{stranger}/balance", headers=AGENT)
    assert missing.status_code == 404
    assert await billing.counts() == before


async def test_numbers_follow_dates_and_a_refusal_leaves_no_gap(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    first = await create_invoice(billing.client, customer_id, issue_date="2025-03-10")
    assert first["number"] == "F2025-000001"
    before = await billing.counts()
    earlier = await billing.client.post(
        "/v1/invoices",
        json={"customer_id": str(customer_id), "lines": two_lines(), "issue_date": "2025-03-09"},
        headers=AGENT,
    )
    assert earlier.status_code == 409
    assert problem_fields(earlier) == ["issue_date"]
    assert earlier.json()["last_issue_date"] == "2025-03-10"
    assert await billing.counts() == before
    second = await create_invoice(billing.client, customer_id, issue_date="2025-03-10")
    assert second["number"] == "F2025-000002"
    credit = await billing.client.post(
        f"/v1/invoices/{first['id']}/credit-notes",
        json={"reason": "Erreur", "full": True, "issue_date": "2025-03-09"},
        headers=AGENT,
    )
    assert credit.status_code == 422 and problem_fields(credit) == ["issue_date"]


async def test_credit_notes_by_lines_then_in_full(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    invoice = await create_invoice(billing.client, customer_id)
    url = f"/v1/invoices/{invoice['id']}/credit-notes"
    partial = await billing.client.post(
        url,
        json={
            "reason": "Un livre abîmé",
            "lines": [_line(description="Livres", unit_price="10.15", vat_rate="5.5")],
        },
        headers=AGENT,
    )
    assert partial.status_code == 201, partial.text
    note = partial.json()
    assert re.fullmatch(rf"A{today(billing.clock).year}-\d{{6}}", note["number"])
    assert (note["invoice_number"], note["total_net"], note["total_vat"], note["total_gross"]) == (
        invoice["number"],
        "10.15",
        "0.56",
        "10.71",
    )
    read = await billing.client.get(f"/v1/credit-notes/{note['id']}", headers=AGENT)
    assert read.json() == note
    after = (await billing.client.get(f"/v1/invoices/{invoice['id']}", headers=AGENT)).json()
    assert (after["status"], after["amount_due"], after["amount_credited"]) == (
        "issued",
        "309.41",
        "10.71",
    )

    before = await billing.counts()
    for lines, why in [
        ([_line(description="Livres", quantity="3", unit_price="10.15", vat_rate="5.5")], "5.5"),
        ([_line(quantity="1", unit_price="240.01")], "20.0"),
        ([_line(vat_rate="10.0", unit_price="1.00")], "10.0"),
    ]:
        too_much = await billing.client.post(
            url, json={"reason": "Trop", "lines": lines}, headers=AGENT
        )
        assert too_much.status_code == 409, too_much.text
        assert problem_fields(too_much) == ["lines"]
        assert why in too_much.json()["detail"]
    neither = await billing.client.post(url, json={"reason": "?"}, headers=AGENT)
    both = await billing.client.post(
        url, json={"reason": "?", "full": True, "lines": [_line()]}, headers=AGENT
    )
    assert neither.status_code == both.status_code == 422
    assert await billing.counts() == before

    full = await billing.client.post(
        url, json={"reason": "Annulation", "full": True}, headers=AGENT
    )
    assert full.status_code == 201, full.text
    assert full.json()["total_gross"] == "309.41"
    assert [(r["vat_rate"], r["net"], r["vat"]) for r in full.json()["vat_breakdown"]] == [
        ("20.0", "240.00", "48.00"),
        ("5.5", "20.30", "1.11"),
    ]
    after = (await billing.client.get(f"/v1/invoices/{invoice['id']}", headers=AGENT)).json()
    assert (after["status"], after["amount_due"]) == ("credited", "0.00")
    nothing_left = await billing.client.post(
        url, json={"reason": "Encore", "full": True}, headers=AGENT
    )
    assert nothing_left.status_code == 409
    assert (await balance(billing.client, customer_id))["balance"] == "0.00"


async def test_crediting_a_paid_invoice_gives_the_customer_credit(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    invoice = await create_invoice(billing.client, customer_id)
    paid = await pay(billing.client, customer_id, "320.12", f"VIR-{uuid4().hex[:8]}")
    assert paid.status_code == 201
    note = await billing.client.post(
        f"/v1/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Geste", "lines": [_line(unit_price="50.00")]},
        headers=AGENT,
    )
    assert note.status_code == 201
    assert note.json()["to_customer_credit"] == "60.00"
    state = await balance(billing.client, customer_id)
    assert (state["balance"], state["credit_available"], state["open_invoices"]) == (
        "-60.00",
        "60.00",
        [],
    )


async def test_lists_page_and_filter(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    created = []
    for _ in range(5):
        # Newest first: a moment passes between two invoices, on billing's standing clock.
        billing.clock.advance(timedelta(seconds=1))
        created.append(await create_invoice(billing.client, customer_id))
    await create_invoice(billing.client, customer_id, issue=False)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"customer_id": str(customer_id), "status": "issued", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await billing.client.get("/v1/invoices", params=params, headers=AGENT)).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in reversed(created)]
    for params in ({"status": "lost"}, {"cursor": "!!"}, {"limit": 501}, {"customer_id": "x"}):
        bad = await billing.client.get("/v1/invoices", params=params, headers=AGENT)
        assert bad.status_code == 422, params
        problem_fields(bad)
    unknown = await billing.client.get(f"/v1/invoices/{uuid4()}", headers=AGENT)
    assert unknown.status_code == 404
    problem_fields(unknown)


async def test_scopes(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    body = {"customer_id": str(customer_id), "lines": two_lines()}
    assert (await billing.client.post("/v1/invoices", json=body)).status_code == 401
    reader = testing.auth_headers(["billing:read"])
    assert (await billing.client.post("/v1/invoices", json=body, headers=reader)).status_code == 403
    assert (
        await billing.client.get(f"/v1/customers/{customer_id}/balance", headers=reader)
    ).status_code == 200
    writer_only = testing.auth_headers(["billing:write"])
    assert (await billing.client.get("/v1/invoices", headers=writer_only)).status_code == 403
    other = testing.auth_headers(["customers:read", "customers:write"])
    assert (await billing.client.post("/v1/invoices", json=body, headers=other)).status_code == 403
