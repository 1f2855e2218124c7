"""The billing demo data loads through the public API, tells its story, and loads only once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from billing_calls import AGENT, balance
from billing_harness import Billing

from coulisse.ops.demo import CUSTOMERS
from coulisse.ops.demo_billing import load_billing_demo

pytestmark = pytest.mark.integration


async def test_the_demo_tells_its_story_once(billing: Billing) -> None:
    customers: list[dict[str, Any]] = []
    for demo in CUSTOMERS:
        customer_id = await billing.register_customer(
            display_name=demo.display_name, payment_terms_days=demo.payment_terms_days
        )
        customers.append(
            {"id": str(customer_id), "display_name": demo.display_name, "account_number": "C1"}
        )
    async with billing.client_with(AGENT) as client:
        await load_billing_demo(client, customers)
        await check_the_story(client, customers)
        before = await billing.counts()
        await load_billing_demo(client, customers)
        assert await billing.counts() == before


async def check_the_story(client: httpx.AsyncClient, customers: list[dict[str, Any]]) -> None:
    by_name = {c["display_name"]: c["id"] for c in customers}

    invoices = (await client.get("/v1/invoices", params={"limit": 500})).json()["items"]
    issued = sorted(invoices, key=lambda i: i["number"])
    assert [i["number"] for i in issued] == [f"F2026-{n:06d}" for n in range(1, 17)]
    dates = [i["issue_date"] for i in issued]
    assert dates == sorted(dates) and dates[0] == "2026-08-03" and dates[-1] == "2026-11-04"

    rivage = await balance(client, by_name["Hôtel Le Grand Rivage"])
    assert (rivage["balance"], rivage["paid"], rivage["refunded"]) == ("0.00", "2500.00", "1250.00")
    dubois = await balance(client, by_name["Atelier Dubois Menuiserie"])
    assert [(i["amount_due"], i["status"]) for i in dubois["open_invoices"]] == [
        ("280.00", "partially_paid"),
        ("540.00", "issued"),
        ("540.00", "issued"),
    ]
    fontaine = await balance(client, by_name["Librairie Fontaine"])
    assert (fontaine["balance"], fontaine["credited"]) == ("0.00", "1176.00")
    petit = await balance(client, by_name["Julien Petit"])
    assert [i["amount_due"] for i in petit["open_invoices"]] == ["154.00"]
    for customer in customers:
        state = await balance(client, customer["id"])
        assert state["credit_available"] == "0.00", customer["display_name"]


async def test_the_demo_waits_for_billing_to_know_the_customers(billing: Billing) -> None:
    unknown = [{"id": "00000000-0000-0000-0000-000000000001", "display_name": "Nobody"}]
    async with billing.client_with(AGENT) as client:
        with pytest.raises(TimeoutError):
            await load_billing_demo(client, unknown, timeout=1)
